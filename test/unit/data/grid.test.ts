import { describe, expect, it } from 'vitest';
import { buildPatientGrid, DEFAULT_GRID_SETTINGS, type RawEvent, type RawReading } from '../../../src-main/engine/data/grid/build.js';

const T0 = Date.UTC(2024, 0, 1, 0, 0, 0);
const MIN = 60_000;
const r = (min: number, bg: number, flags = 0): RawReading => ({ ts: T0 + min * MIN, bgMm: bg, flags, kind: 'cgm' });
const ev = (min: number, kind: RawEvent['kind'], value: number, durationMin: number | null = null): RawEvent => ({
  ts: T0 + min * MIN,
  kind,
  value,
  durationMin,
  flags: 0,
});

describe('buildPatientGrid (golden)', () => {
  it('averages glucose per bin, aligns bins to UTC multiples, imputes short gaps and splits on long ones', () => {
    const readings = [
      r(1, 5), // bin 0
      r(3, 7), // bin 0 → mean 6
      r(6, 8), // bin 1
      // bins 2..3 missing (10 min): imputed linearly between 8 and 11
      r(21, 11), // bin 4
      r(26, 12), // bin 5
      // bins 6..12 missing (35 min > 30): a segment break
      r(66, 4), // bin 13
      r(71, 4.5), // bin 14
      r(74, 99, 8), // removed by a fix: ignored
    ];
    const g = buildPatientGrid(7, readings, []);
    expect(g.startTs).toBe(T0);
    expect(g.length).toBe(15);
    expect(Array.from(g.channels.bg_mM.subarray(0, 6))).toEqual([6, 8, 9, 10, 11, 12]);
    expect(Array.from(g.masks.bg_mM)).toEqual([1, 1, 0, 0, 1, 1, 0, 0, 0, 0, 0, 0, 0, 1, 1]);
    expect(Array.from(g.channels.bg_mM.subarray(6, 13)).every(Number.isNaN)).toBe(true);
    expect(g.segments).toEqual([
      { start: 0, end: 6 },
      { start: 13, end: 15 },
    ]);
    expect(g.absent).toEqual(['dose_units', 'bolus', 'rate', 'food_g', 'iob', 'cob', 'insulin_availability', 'carb_availability', 'hr_bpm', 'steps', 'cals']);
  });

  it('a gap of exactly maxGapMin is imputed, one bin more is not', () => {
    // 6 missing bins = 30 min
    const g30 = buildPatientGrid(1, [r(0, 5), r(35, 12)], []);
    expect(g30.segments).toEqual([{ start: 0, end: 8 }]);
    const g35 = buildPatientGrid(1, [r(0, 5), r(40, 12)], []);
    expect(g35.segments.length).toBe(2);
  });

  it('sums doses and carbs, carries the basal rate forward and spreads extended boluses', () => {
    const readings = [r(0, 6), r(60, 6)]; // 13 bins, one long gap (irrelevant here)
    const events = [
      ev(2, 'bolus', 3),
      ev(4, 'bolus', 1), // same bin: summed
      ev(10, 'carbs', 40),
      ev(12, 'carbs', 5),
      ev(0, 'basal_rate', 1.2), // 1.2 U/h = 0.1 U per 5-min bin
      ev(30, 'basal_rate', 0.6, 10), // 0.6 U/h for 10 min, then nothing until the next record
      ev(50, 'basal_rate', 1.2),
      ev(20, 'bolus', 2, 10), // extended over 10 min: 1 U in bins 4 and 5
    ];
    const g = buildPatientGrid(1, readings, events, { ...DEFAULT_GRID_SETTINGS, maxGapMin: 120 });
    const bolus = Array.from(g.channels.bolus);
    expect(bolus[0]).toBeCloseTo(4, 6);
    expect(bolus[4]).toBeCloseTo(1, 6);
    expect(bolus[5]).toBeCloseTo(1, 6);
    expect(g.channels.food_g[2]).toBe(45);
    const rate = Array.from(g.channels.rate);
    expect(rate[0]).toBeCloseTo(1.2, 5);
    expect(rate[5]).toBeCloseTo(1.2, 5);
    expect(rate[6]).toBeCloseTo(0.6, 5);
    expect(rate[7]).toBeCloseTo(0.6, 5);
    expect(rate[8]).toBeCloseTo(0, 6);
    expect(rate[10]).toBeCloseTo(1.2, 5);
    // dose = basal delivered + boluses
    expect(g.channels.dose_units[0]).toBeCloseTo(4.1, 5);
    expect(g.channels.dose_units[6]).toBeCloseTo(0.05, 5);
    expect(g.masks.rate[0]).toBe(1);
    expect(g.channels.iob[0]).toBeCloseTo(4.1, 5);
    expect(g.channels.cob[2]).toBeCloseTo(45, 4);
    expect(g.absent).toEqual(['hr_bpm', 'steps', 'cals']);
  });

  it('averages heart rate, sums steps and fills their gaps without marking them observed', () => {
    const g = buildPatientGrid(1, [r(0, 6), r(20, 6)], [ev(1, 'hr', 60), ev(3, 'hr', 70), ev(11, 'hr', 90), ev(6, 'steps', 100), ev(7, 'steps', 20)]);
    expect(Array.from(g.channels.hr_bpm)).toEqual([65, 65, 90, 90, 90]);
    expect(Array.from(g.masks.hr_bpm)).toEqual([1, 0, 1, 0, 0]);
    expect(Array.from(g.channels.steps)).toEqual([0, 120, 0, 0, 0]);
    expect(Array.from(g.masks.steps)).toEqual([0, 1, 0, 0, 0]);
  });

  it('an empty patient gives an empty grid', () => {
    const g = buildPatientGrid(1, [], [ev(0, 'bolus', 1)]);
    expect(g.length).toBe(0);
    expect(g.segments).toEqual([]);
  });
});
