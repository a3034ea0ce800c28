import { describe, expect, it } from 'vitest';
import { join } from 'node:path';
import { readAll, SHARED, LOCAL, ofChannel, warningCodes, MGDL } from './helpers.js';
import { detectFiles } from '../../../../src-main/engine/data/import-service.js';
import { reconstructBasal } from '../../../../src-main/engine/data/importers/nightscout-basal.js';

describe('Nightscout importer', () => {
  it('detects each collection of the shared export as Nightscout', async () => {
    const found = await detectFiles([join(SHARED, 'nightscout')]);
    expect(found.map((d) => [d.file, d.decision.format])).toEqual([
      ['nightscout_entries.json', 'nightscout'],
      ['nightscout_profiles.json', 'nightscout'],
      ['nightscout_treatments.json', 'nightscout'],
    ]);
  });

  it('reads sgv entries in mg/dL with epoch-ms dates and their utcOffset', async () => {
    const r = await readAll(join(SHARED, 'nightscout', 'nightscout_entries.json'));
    const bg = ofChannel(r.rows, 'bg_mM');
    expect(bg).toHaveLength(576);
    expect(bg[0]).toMatchObject({ datetime: '2024-10-26T00:00:00.000Z', utcOffsetMin: 0, p_num: 'nightscout' });
    expect(bg[0]!.value).toBeCloseTo(107.6 / MGDL, 10);
  });

  it('reads treatments: meal and correction boluses, carb corrections', async () => {
    const r = await readAll(join(SHARED, 'nightscout', 'nightscout_treatments.json'));
    expect(ofChannel(r.rows, 'bolus').map((x) => x.value)).toEqual([3, 1.5, 4.5, 2.5, 1, 5, 2]);
    expect(ofChannel(r.rows, 'food_g').map((x) => x.value)).toEqual([30, 45, 15, 25, 50, 10, 20]);
    expect(ofChannel(r.rows, 'bolus')[0]).toMatchObject({ datetime: '2024-10-26T07:30:00.000Z', meta: { eventType: 'Meal Bolus' } });
  });

  it('reconstructs delivered basal: scheduled rate in the profile zone, temp basals and profile switches', () => {
    const H = 3_600_000;
    const t0 = Date.UTC(2024, 0, 1, 0, 0);
    const schedules = new Map([
      [
        'A',
        [
          { seconds: 0, rate: 1 },
          { seconds: 6 * 3600, rate: 2 },
        ],
      ],
      ['B', [{ seconds: 0, rate: 0.5 }]],
    ]);
    const segs = reconstructBasal(
      [{ start: 0, defaultProfile: 'A', schedules, timezone: 'UTC' }],
      [
        { ts: t0 + 2 * H, durationMin: 60, absolute: 0.2, percent: null, line: 7 },
        { ts: t0 + 7 * H, durationMin: 30, absolute: null, percent: -50, line: 8 },
      ],
      [{ ts: t0 + 10 * H, profile: 'B', durationMin: 0 }],
      t0,
      t0 + 12 * H,
      () => 60, // local time = UTC + 1 h
      () => undefined,
    );
    expect(segs.map((s) => [(s.ts - t0) / H, s.rate, s.durationMin, s.meta.source])).toEqual([
      [0, 1, 120, 'scheduled'],
      [2, 0.2, 60, 'temp'],
      [3, 1, 120, 'scheduled'],
      [5, 2, 120, 'scheduled'], // 06:00 local = 05:00 UTC
      [7, 1, 30, 'temp'], // percent -50 of 2 U/h
      [7.5, 2, 150, 'scheduled'],
      [10, 0.5, 120, 'scheduled'], // switched to profile B
    ]);
  });
});

describe('Tidepool importer', () => {
  it('reads cbg/smbg in either unit, boluses (normal + extended), basals, food and wizard carbs', async () => {
    const r = await readAll(join(LOCAL, 'tidepool.json'));
    expect(r.decision.format).toBe('tidepool');
    const bg = ofChannel(r.rows, 'bg_mM');
    expect(bg.map((x) => [x.kind, x.datetime, x.utcOffsetMin])).toEqual([
      ['cgm', '2024-05-01T10:00:00.000Z', 120],
      ['cgm', '2024-05-01T10:05:00.000Z', 120],
      ['smbg', '2024-05-01T10:07:00.000Z', 120],
    ]);
    expect(bg[0]!.value).toBeCloseTo(6.5, 10);
    expect(bg[1]!.value).toBeCloseTo(130 / MGDL, 10);
    expect(ofChannel(r.rows, 'bolus').map((x) => [x.value, x.durationMin])).toEqual([
      [2, null],
      [1.5, 60],
      [3.25, null],
    ]);
    expect(ofChannel(r.rows, 'rate').map((x) => [x.value, x.durationMin, x.meta?.deliveryType])).toEqual([
      [0.85, 120, 'scheduled'],
      [0.4, 30, 'temp'],
      [0, 10, 'suspend'],
    ]);
    expect(ofChannel(r.rows, 'food_g').map((x) => x.value)).toEqual([42, 30]);
    expect(r.notes.join(' ')).toMatch(/1 upload records.*1 pumpSettings records/);
    expect(warningCodes(r)).toEqual({});
  });
});
