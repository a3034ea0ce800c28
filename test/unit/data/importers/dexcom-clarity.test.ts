import { describe, expect, it } from 'vitest';
import { join } from 'node:path';
import { readAll, SHARED, LOCAL, ofChannel, warningCodes, MGDL } from './helpers.js';
import { detectFiles } from '../../../../src-main/engine/data/import-service.js';
import { READING_FLAGS } from '../../../../src-main/engine/store/readings.js';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { MISLABELLED_UNIT_REASON, mislabelledFiles } from '../../../../src-renderer/lib/import-units.js';

describe('Dexcom Clarity importer', () => {
  it('reads the shared 14-column sample with its damaged double-encoded BOM', async () => {
    const [d] = await detectFiles([join(SHARED, 'dexcom-clarity-synthetic.csv')]);
    expect(d!.decision.format).toBe('dexcom-clarity');
    expect(d!.decision.reasons.join(' ')).toContain('14-column');
    expect(d!.decision.reasons.join(' ')).toContain('utf8+double-encoded');

    const r = await readAll(join(SHARED, 'dexcom-clarity-synthetic.csv'));
    const bg = ofChannel(r.rows, 'bg_mM');
    expect(bg).toHaveLength(3922);
    // first EGV: line 12, 1961-04-12 00:56:47, 144 mg/dL, read as UTC (no --tz) with a warning
    expect(bg[0]).toMatchObject({ datetime: '1961-04-12T00:56:47.000Z', utcOffsetMin: 0, p_num: 'dexcom-clarity-synthetic', sourceRow: 12, flags: 0 });
    expect(bg[0]!.value).toBeCloseTo(144 / MGDL, 10);
    const lows = bg.filter((x) => x.flags === READING_FLAGS.clampedLow);
    expect(lows).toHaveLength(5);
    expect(lows[0]!.value).toBeCloseTo(40 / MGDL, 10);
    expect(ofChannel(r.rows, 'bolus')).toHaveLength(33);
    expect(ofChannel(r.rows, 'dose_units')).toHaveLength(14);
    expect(ofChannel(r.rows, 'dose_units')[0]).toMatchObject({ kind: 'basal_dose', value: 27, meta: { insulin: 'long-acting' }, sourceRow: 79 });
    expect(warningCodes(r)).toEqual({ assumed_utc: 1, clamped_low: 5 });
    expect(r.notes.join(' ')).toContain('preamble 10');
  });

  it('reads a 12-column mmol/L export with every field quoted, CRLF, ragged rows and a decimal comma', async () => {
    const r = await readAll(join(LOCAL, 'clarity-12col-mmol.csv'), { timeZone: 'Europe/Oslo' });
    expect(r.decision.reasons).toContain('12-column layout');
    expect(r.decision.reasons.join(' ')).toContain('mmol/L');
    const bg = ofChannel(r.rows, 'bg_mM');
    expect(bg.map((x) => x.datetime)).toEqual(['2023-06-01T06:00:00.000Z', '2023-06-01T06:05:00.000Z', '2023-06-01T06:10:00.000Z', '2023-06-01T06:15:00.000Z']);
    expect(bg.map((x) => x.utcOffsetMin)).toEqual([120, 120, 120, 120]);
    expect(bg[0]!.value).toBeCloseTo(6.2, 10);
    expect(bg[1]).toMatchObject({ flags: READING_FLAGS.clampedLow, sourceRow: 7 });
    expect(bg[1]!.value).toBeCloseTo(40 / MGDL, 10);
    expect(bg[2]!.flags).toBe(READING_FLAGS.clampedHigh);
    expect(bg[2]!.value).toBeCloseTo(400 / MGDL, 10);
    expect(bg[3]!.value).toBeCloseTo(7.4, 10);
    expect(ofChannel(r.rows, 'bolus')).toMatchObject([{ value: 4.5, datetime: '2023-06-01T06:12:00.000Z' }]);
    expect(ofChannel(r.rows, 'food_g')).toMatchObject([{ value: 45, datetime: '2023-06-01T06:13:00.000Z' }]);
    expect(warningCodes(r)).toEqual({ clamped_low: 1, clamped_high: 1 });
  });

  it('converts local times across both DST changes of Europe/Oslo and warns', async () => {
    const r = await readAll(join(LOCAL, 'clarity-14col-bom-dst.csv'), { timeZone: 'Europe/Oslo' });
    expect(r.decision.reasons).toContain('byte-order mark: utf8');
    const bg = ofChannel(r.rows, 'bg_mM').filter((x) => x.kind === 'cgm');
    expect(bg.map((x) => [x.datetime, x.utcOffsetMin])).toEqual([
      ['2023-03-26T00:55:00.000Z', 60],
      // 02:30 does not exist on 26 March: shifted forward to 03:30 summer time
      ['2023-03-26T01:30:00.000Z', 120],
      ['2023-03-26T01:05:00.000Z', 120],
      ['2023-10-28T23:55:00.000Z', 120],
      // 02:30 happens twice on 29 October: the first occurrence (summer time) is taken
      ['2023-10-29T00:30:00.000Z', 120],
      ['2023-10-29T02:05:00.000Z', 60],
    ]);
    expect(warningCodes(r)).toMatchObject({ dst_gap: 1, dst_ambiguous: 1 });
    // preamble Alert rows carry glucose values but are not readings
    expect(ofChannel(r.rows, 'bg_mM')).toHaveLength(7);
    const smbg = ofChannel(r.rows, 'bg_mM').find((x) => x.kind === 'smbg');
    expect(smbg).toMatchObject({ datetime: '2023-10-29T08:00:00.000Z' });
    expect(smbg!.value).toBeCloseTo(120 / MGDL, 10);
    expect(ofChannel(r.rows, 'dose_units')).toMatchObject([{ value: 22, kind: 'basal_dose' }]);
    expect(ofChannel(r.rows, 'exercise')).toMatchObject([{ value: 0.66, durationMin: 45, meta: { subtype: 'Medium' } }]);
  });

  it('reads a file that starts with only a double-encoded BOM', async () => {
    const r = await readAll(join(LOCAL, 'clarity-double-bom.csv'), { timeZone: 'UTC' });
    expect(r.decision.format).toBe('dexcom-clarity');
    expect(r.decision.reasons.join(' ')).toContain('double-encoded');
    expect(ofChannel(r.rows, 'bg_mM').map((x) => Math.round(x.value * MGDL))).toEqual([150, 155]);
  });

  it('flags absurd glucose, negative insulin and carbs over 500 g instead of keeping them silently', async () => {
    const r = await readAll(join(LOCAL, 'clarity-absurd.csv'), { timeZone: 'UTC' });
    const bg = ofChannel(r.rows, 'bg_mM');
    expect(bg.map((x) => x.flags)).toEqual([READING_FLAGS.outOfRange, READING_FLAGS.outOfRange, 0]);
    expect(ofChannel(r.rows, 'bolus')).toMatchObject([{ value: -2, flags: READING_FLAGS.outOfRange }]);
    expect(ofChannel(r.rows, 'food_g')).toMatchObject([{ value: 650, flags: READING_FLAGS.outOfRange }]);
    expect(warningCodes(r)).toEqual({ glucose_out_of_range: 2, bolus_out_of_range: 1, carbs_out_of_range: 1 });
  });

  it('a preview stops after its rows: a bad line far below does not matter', async () => {
    const { mkdtempSync, writeFileSync } = await import('node:fs');
    const { tmpdir } = await import('node:os');
    const lines = [
      'Index,Timestamp (YYYY-MM-DDThh:mm:ss),Event Type,Event Subtype,Patient Info,Device Info,Source Device ID,Glucose Value (mg/dL),Insulin Value (u),Carb Value (grams)',
    ];
    for (let i = 0; i < 20_000; i++) lines.push(`${i},2024-01-01T00:00:00,EGV,,,,G6,${100 + (i % 50)},,`);
    lines.push('x,not a time,EGV,,,,G6,100,,');
    const path = join(mkdtempSync(join(tmpdir(), 'ttm-clarity-')), 'long.csv');
    writeFileSync(path, lines.join('\n'));
    const { previewFile } = await import('../../../../src-main/engine/data/import-service.js');
    const p = await previewFile(path, { timeZone: 'UTC' }, 5);
    expect(p.rows).toHaveLength(5);
    await expect(readAll(path, { timeZone: 'UTC' })).rejects.toThrow(/long\.csv, line 20002: timestamp "not a time"/);
  });

  it('a mmol/L header over mg/dL values: detection names it, the preview warns and reads the values as mg/dL', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'ttm-clarity-unit-'));
    try {
      const file = join(dir, 'mislabelled.csv');
      writeFileSync(file, readFileSync(join(SHARED, 'dexcom-clarity-synthetic.csv'), 'utf8').replace('Glucose Value (mg/dL)', 'Glucose Value (mmol/L)'));
      const [d] = await detectFiles([file]);
      expect(d!.decision.format).toBe('dexcom-clarity');
      expect(d!.decision.reasons).toContain(MISLABELLED_UNIT_REASON);
      // The import wizard's question is driven by this reason.
      expect(mislabelledFiles([{ file: d!.file, reasons: d!.decision.reasons }])).toEqual(['mislabelled.csv']);
      const r = await readAll(file);
      const w = r.warnings.find((x) => x.code === 'unit_mislabelled');
      expect(w?.message).toMatch(
        /header says "Glucose Value \(mmol\/L\)" but \d+ of the first \d+ glucose values are above 33\.3 mmol\/L \(e\.g\. 144, 143, 142/,
      );
      const bg = ofChannel(r.rows, 'bg_mM');
      expect(bg).toHaveLength(3922);
      expect(bg[0]!.value).toBeCloseTo(144 / MGDL, 10);
      expect(Math.max(...bg.map((x) => x.value))).toBeLessThan(33.3);
      // A genuine mmol/L export is read as labelled, without the question.
      const mmol = await readAll(join(LOCAL, 'clarity-12col-mmol.csv'));
      expect(mmol.warnings.map((x) => x.code)).not.toContain('unit_mislabelled');
      expect((await detectFiles([join(LOCAL, 'clarity-12col-mmol.csv')]))[0]!.decision.reasons).not.toContain(MISLABELLED_UNIT_REASON);
      // Mixed values (a few above 33, most plausible mmol/L) stay as labelled: the quality check handles those.
      const mixed = join(dir, 'mixed.csv');
      const head =
        '"Index","Timestamp (YYYY-MM-DDThh:mm:ss)","Event Type","Event Subtype","Patient Info","Device Info","Source Device ID","Glucose Value (mmol/L)"';
      const rows = [6.1, 6.3, 150, 6.8, 7.0, 7.2].map((v, i) => `${i + 1},2023-06-01T08:${String(i * 5).padStart(2, '0')}:00,EGV,,,,X,${v}`);
      writeFileSync(mixed, [head, ...rows].join('\n') + '\n');
      expect((await readAll(mixed)).warnings.map((x) => x.code)).not.toContain('unit_mislabelled');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
