import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { readAll, SHARED, LOCAL, ofChannel, warningCodes, MGDL } from './helpers.js';
import { detectFiles } from '../../../../src-main/engine/data/import-service.js';
import { GenericMappingSchema } from '../../../../src-main/engine/data/importers/mapping.js';
import { StudioError } from '../../../../src-main/engine/errors.js';

describe('OhioT1DM XML importer', () => {
  it('reads glucose, finger sticks, basal with temp basals resumed, boluses, meals, exercise, heart rate and steps', async () => {
    const r = await readAll(join(LOCAL, 'ohio-559.xml'), { timeZone: 'UTC' });
    expect(r.decision.format).toBe('ohiot1dm-xml');
    expect(r.decision.reasons).toContain('XML with <patient id="559">');
    const bg = ofChannel(r.rows, 'bg_mM');
    expect(bg.map((x) => [x.kind, x.datetime, Math.round(x.value * MGDL), x.p_num, x.sourceRow])).toEqual([
      ['cgm', '2021-12-07T01:17:00.000Z', 101, '559', 4],
      ['cgm', '2021-12-07T01:22:00.000Z', 98, '559', 5],
      ['cgm', '2021-12-07T01:27:00.000Z', 104, '559', 6],
      ['smbg', '2021-12-07T07:05:00.000Z', 130, '559', 9],
    ]);
    expect(ofChannel(r.rows, 'rate').map((x) => [x.datetime.slice(11, 16), x.value, x.durationMin])).toEqual([
      ['00:00', 0.7, null],
      ['06:00', 0.9, null],
      ['08:00', 0.2, 90],
      ['09:30', 0.9, null],
    ]);
    expect(ofChannel(r.rows, 'bolus').map((x) => [x.value, x.durationMin, x.meta])).toEqual([
      [4.2, null, { type: 'normal', bwzCarbInput: 50 }],
      [2, 60, { type: 'square' }],
    ]);
    expect(ofChannel(r.rows, 'food_g')).toMatchObject([{ value: 50, meta: { type: 'Breakfast' } }]);
    expect(ofChannel(r.rows, 'exercise')).toMatchObject([{ value: 0.6, durationMin: 30 }]);
    expect(ofChannel(r.rows, 'hr_bpm')).toMatchObject([{ value: 65 }]);
    expect(ofChannel(r.rows, 'steps')).toMatchObject([{ value: 120 }]);
    expect(r.notes.join(' ')).toContain('sleep (1)');
  });
});

describe('harmonised CSV importers', () => {
  it('reads Glucose-ML files with the patient id from the file name', async () => {
    const r = await readAll(join(SHARED, 'd1namo-glucose-ml', '001.csv'), { timeZone: 'Europe/Zurich' });
    expect(r.decision.format).toBe('glucose-ml');
    const bg = ofChannel(r.rows, 'bg_mM');
    expect(bg).toHaveLength(1413);
    expect(bg[0]).toMatchObject({ p_num: '001', datetime: '2014-10-01T17:14:00.000Z', utcOffsetMin: 120, sourceRow: 2 });
    expect(bg[0]!.value).toBeCloseTo(185.4 / MGDL, 10);
  });

  it('skips the Glucose-ML metadata file of a folder as not a data format', async () => {
    const found = await detectFiles([join(SHARED, 'd1namo-glucose-ml')]);
    expect(found.filter((d) => d.decision.format === 'glucose-ml')).toHaveLength(9);
    expect(found.find((d) => d.file === 'metadata.csv')!.decision.format).toBeNull();
  });

  it('reads GluPredKit: CGM in mg/dL, patients from id, bolus and carbs as events, basal as delivered doses', async () => {
    const r = await readAll(join(SHARED, 'glupredkit-synthetic.csv'));
    expect(r.decision.format).toBe('glupredkit');
    expect(ofChannel(r.rows, 'bg_mM')).toHaveLength(6000);
    expect(new Set(r.rows.map((x) => x.p_num))).toEqual(new Set(['1']));
    const text = readFileSync(join(SHARED, 'glupredkit-synthetic.csv'), 'utf8')
      .trim()
      .split('\n')
      .slice(1)
      .map((l) => l.split(','));
    const bolusRows = text.filter((f) => Number(f[8]) !== 0).length;
    const carbRows = text.filter((f) => Number(f[4]) !== 0).length;
    expect(ofChannel(r.rows, 'bolus')).toHaveLength(bolusRows);
    expect(ofChannel(r.rows, 'food_g')).toHaveLength(carbRows);
    expect(ofChannel(r.rows, 'dose_units')).toHaveLength(6000);
    expect(ofChannel(r.rows, 'dose_units')[0]!.value).toBeCloseTo(0.22776095715536804, 12);
    const outOfRange = text.filter((f) => Number(f[2]) < 20 || Number(f[2]) > 600).length;
    expect(warningCodes(r).glucose_out_of_range ?? 0).toBe(outOfRange);
  });

  it('reads the combined layout: bg_mM, boluses, basal rate on change, carbs, heart rate; skips derived columns', async () => {
    const r = await readAll(join(LOCAL, 'seed-combined.csv'), { timeZone: 'UTC' });
    expect(r.decision.format).toBe('seed-csv');
    const p1 = r.rows.filter((x) => x.p_num === 'p01');
    expect(ofChannel(p1, 'bg_mM').map((x) => x.value)).toEqual([5.5, 5.6, 5.9]);
    expect(ofChannel(p1, 'bolus').map((x) => x.value)).toEqual([3]);
    expect(ofChannel(p1, 'rate').map((x) => [x.datetime.slice(11, 16), x.value])).toEqual([
      ['00:00', 0.8],
      ['00:15', 0.6],
    ]);
    expect(ofChannel(p1, 'food_g').map((x) => x.value)).toEqual([40]);
    expect(ofChannel(p1, 'hr_bpm').map((x) => x.value)).toEqual([60, 61, 70]);
    expect(ofChannel(p1, 'steps').map((x) => x.value)).toEqual([12]);
    expect(r.rows.some((x) => x.channel === 'dose_units')).toBe(false);
    expect(
      ofChannel(
        r.rows.filter((x) => x.p_num === 'p02'),
        'bg_mM',
      ).map((x) => x.value),
    ).toEqual([8.1]);
  });
});

describe('generic CSV with a mapping', () => {
  const mapping = GenericMappingSchema.parse(JSON.parse(readFileSync(join(LOCAL, 'generic-mapping.json'), 'utf8')));

  it('reads semicolons, a header on line 2, DD.MM.YYYY times in the mapping zone, decimal commas and a patient column', async () => {
    const r = await readAll(join(LOCAL, 'generic-semicolon.csv'), { mapping });
    expect(r.decision).toMatchObject({ format: 'generic-csv', forced: true });
    const p1 = r.rows.filter((x) => x.p_num === 'P1');
    expect(ofChannel(p1, 'bg_mM').map((x) => [x.datetime, x.utcOffsetMin, x.value])).toEqual([
      ['2024-07-01T06:00:00.000Z', 120, 6.1],
      ['2024-07-01T06:05:00.000Z', 120, 6.3],
      ['2024-07-01T06:10:00.000Z', 120, 6.8],
    ]);
    expect(ofChannel(p1, 'bolus').map((x) => x.value)).toEqual([4]);
    expect(ofChannel(p1, 'food_g').map((x) => x.value)).toEqual([50]);
    expect(ofChannel(p1, 'rate').map((x) => x.value)).toEqual([0.8, 0.6]);
    const p2 = r.rows.filter((x) => x.p_num === 'P2');
    expect(ofChannel(p2, 'bg_mM').map((x) => x.value)).toEqual([9.9]);
    expect(ofChannel(p2, 'rate').map((x) => x.value)).toEqual([1]);
    expect(warningCodes(r)).toEqual({});
  });

  it('names the missing column when the mapping does not fit the file', async () => {
    const bad = GenericMappingSchema.parse({ ...mapping, glucose: { column: 'Glucose', unit: 'mg/dL' } });
    const err = await readAll(join(LOCAL, 'generic-semicolon.csv'), { mapping: bad }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(StudioError);
    expect((err as StudioError).message).toContain('"Glucose" not in the header');
  });

  it('validates mappings with zod', () => {
    expect(GenericMappingSchema.safeParse({ timestamp: { column: 't' } }).success).toBe(false);
    expect(GenericMappingSchema.safeParse({ timestamp: { column: 't', format: 'dmy' }, glucose: { column: 'g', unit: 'mg/dL' } }).success).toBe(true);
    expect(GenericMappingSchema.safeParse({ timestamp: { column: 't' }, glucose: { column: 'g', unit: 'mg/dl' } }).success).toBe(false);
  });
});
