import { describe, expect, it } from 'vitest';
import { clinicalSummary, percentileSorted, rangeBand, smoothCircular141 } from '../../../src-main/engine/metrics/clinical.js';
import { MGDL_PER_MMOL } from '../../../src-main/engine/units.js';

const MIN = 60_000;
const OFFSET = 60; // UTC+1
// Local midnight 2024-01-01 in UTC+1.
const T0 = Date.UTC(2024, 0, 1) - OFFSET * MIN;

/** `days` days of 5-minute readings from local midnight; value = 100 + 5·(local hour) mg/dL. */
function series(days: number, keep: (localHour: number, day: number) => boolean = () => true) {
  const ts: number[] = [];
  const g: number[] = [];
  for (let d = 0; d < days; d++) {
    for (let k = 0; k < 288; k++) {
      const hour = Math.floor(k / 12);
      if (!keep(hour, d)) continue;
      ts.push(T0 + (d * 288 + k) * 5 * MIN);
      g.push(100 + 5 * hour);
    }
  }
  return { ts, g };
}

describe('clinical CGM summary', () => {
  it('golden numbers on 14 full days', () => {
    const { ts, g } = series(14);
    const s = clinicalSummary({ timestampsMs: ts, glucose: g, unit: 'mg/dL', utcOffsetMin: OFFSET });
    expect(s.daysOfData).toBe(14);
    expect(s.sensorWearPercent).toBe(100);
    expect(s.validReadings).toBe(4032);
    expect(s.daysWithHourOfData).toBe(14);
    expect(s.meanMgdl).toBeCloseTo(157.5, 10); // 100 + 5·11.5
    expect(s.meanMmoll).toBeCloseTo(157.5 / 18.018, 10);
    // population variance of 5h, h uniform on 0..23, is 25·(24² − 1)/12; sample SD scales by N/(N−1)
    expect(s.sdMgdl).toBeCloseTo(34.61522559104488, 9);
    expect(s.cvPercent).toBeCloseTo((34.61522559104488 / 157.5) * 100, 9);
    expect(s.gmi).toEqual({ available: true, percent: expect.closeTo(7.0774, 10), mmolPerMol: expect.closeTo(53.84522727272728, 9) });
    // 100..180 (hours 0..16) in range, 185..215 (hours 17..23) high
    expect(s.timeInRanges.inRange).toBeCloseTo((17 / 24) * 100, 10);
    expect(s.timeInRanges.high).toBeCloseTo((7 / 24) * 100, 10);
    expect(s.timeInRanges.veryLow).toBe(0);
    expect(s.timeInRanges.above180).toBeCloseTo((7 / 24) * 100, 10);
    if (!s.agp.available) throw new Error(s.agp.reason);
    expect(s.agp.countsByHour).toEqual(new Array(24).fill(168));
    // every percentile of an hour is its constant value; local hour, not UTC hour
    expect(s.agp.rawMgdl[2]![0]).toBe(100);
    expect(s.agp.rawMgdl[0]![23]).toBe(215);
    // 1-4-1 smoothing keeps a linear ramp and wraps at midnight
    expect(s.agp.smoothedMgdl[2]![5]).toBeCloseTo(125, 12);
    expect(s.agp.smoothedMgdl[2]![0]).toBeCloseTo((215 + 4 * 100 + 105) / 6, 12); // 120
    expect(s.agp.smoothedMgdl[4]![23]).toBeCloseTo((210 + 4 * 215 + 100) / 6, 12); // 195
  });

  it('mmol/L input gives the same summary in mg/dL', () => {
    const { ts, g } = series(14);
    const a = clinicalSummary({ timestampsMs: ts, glucose: g, unit: 'mg/dL', utcOffsetMin: OFFSET });
    const b = clinicalSummary({ timestampsMs: ts, glucose: g.map((v) => v / MGDL_PER_MMOL), unit: 'mmol/L', utcOffsetMin: OFFSET });
    expect(b.meanMgdl).toBeCloseTo(a.meanMgdl!, 9);
    expect(b.timeInRanges).toEqual(a.timeInRanges);
  });

  it('withholds GMI under 14 days but keeps the AGP', () => {
    const { ts, g } = series(13);
    const s = clinicalSummary({ timestampsMs: ts, glucose: g, unit: 'mg/dL', utcOffsetMin: OFFSET });
    expect(s.daysOfData).toBe(13);
    expect(s.gmi).toEqual({ available: false, reason: expect.stringMatching(/14 days.*13\.0/) });
    expect(s.agp.available).toBe(true);
  });

  it('withholds GMI and AGP under 70 % wear', () => {
    const { ts, g } = series(14, (hour) => hour % 2 === 0); // half of every day
    // explicit period: otherwise it would end at the last reading (22:55 local of day 14)
    const s = clinicalSummary({ timestampsMs: ts, glucose: g, unit: 'mg/dL', utcOffsetMin: OFFSET }, { periodStartMs: T0, periodEndMs: T0 + 14 * 86_400_000 });
    expect(s.sensorWearPercent).toBe(50);
    expect(s.daysWithHourOfData).toBe(14);
    expect(s.gmi).toEqual({ available: false, reason: expect.stringMatching(/70 % sensor wear.*50\.0/) });
    expect(s.agp).toEqual({ available: false, reason: expect.stringMatching(/70 % sensor wear/) });
  });

  it('withholds the AGP with fewer than 7 days holding an hour of data', () => {
    // 6 full days, then 30 minutes of day 7: wear stays 100 % over the period
    const { ts, g } = series(7, (hour, day) => day < 6 || hour === 0);
    const keep = ts.filter((t) => t < T0 + (6 * 288 + 6) * 5 * MIN);
    const s = clinicalSummary({ timestampsMs: keep, glucose: g.slice(0, keep.length), unit: 'mg/dL', utcOffsetMin: OFFSET });
    expect(s.sensorWearPercent).toBe(100);
    expect(s.daysWithHourOfData).toBe(6);
    expect(s.agp).toEqual({ available: false, reason: expect.stringMatching(/7 days.*has 6/) });
  });

  it('days with an hour of data are counted on local calendar days', () => {
    // 7 one-hour blocks, 23:30–00:25 local (UTC+1), every other night: each local day gets only 30 min
    const ts: number[] = [];
    for (let d = 0; d < 14; d += 2) for (let k = 0; k < 12; k++) ts.push(T0 + d * 86_400_000 + (23 * 60 + 30 + k * 5) * MIN);
    const s = clinicalSummary({ timestampsMs: ts, glucose: ts.map(() => 120), unit: 'mg/dL', utcOffsetMin: OFFSET });
    expect(s.daysWithHourOfData).toBe(0);
    // in UTC the same readings fall 22:30–23:30, one hour in each of 7 days
    const u = clinicalSummary({ timestampsMs: ts, glucose: ts.map(() => 120), unit: 'mg/dL', utcOffsetMin: 0 });
    expect(u.daysWithHourOfData).toBe(7);
  });

  it('uses the per-reading UTC offset for the hour of day (DST change)', () => {
    // A week of 5-minute readings whose value encodes the UTC hour; the offset moves from +60
    // to +120 minutes after 3 days.
    const week: number[] = [];
    const off: number[] = [];
    for (let d = 0; d < 7; d++)
      for (let k = 0; k < 288; k++) {
        week.push(Date.UTC(2024, 2, 25) + d * 86_400_000 + k * 5 * MIN);
        off.push(d < 3 ? 60 : 120);
      }
    const s = clinicalSummary({ timestampsMs: week, glucose: week.map((t) => 100 + new Date(t).getUTCHours()), unit: 'mg/dL', utcOffsetMin: off });
    if (!s.agp.available) throw new Error(s.agp.reason);
    // local hour 8 holds UTC 07 (offset +60, 3 days) and UTC 06 (offset +120, 4 days): values 107 ×36 and 106 ×48
    expect(s.agp.rawMgdl[2]![8]).toBe(106);
    expect(s.agp.countsByHour[8]).toBe(84);
    expect(s.agp.rawMgdl[4]![8]).toBe(107);
  });

  it('ignores masked, non-finite and out-of-period readings', () => {
    const ts = [T0, T0 + 5 * MIN, T0 + 10 * MIN, T0 + 15 * MIN];
    const s = clinicalSummary(
      { timestampsMs: ts, glucose: [100, Number.NaN, 300, 200], unit: 'mg/dL', utcOffsetMin: [0, 0, 0, 0], mask: [1, 1, 0, 1] },
      { periodStartMs: T0, periodEndMs: T0 + 20 * MIN },
    );
    expect(s.validReadings).toBe(2);
    expect(s.meanMgdl).toBe(150);
    expect(s.sensorWearPercent).toBe(50);
    expect(s.sdMgdl).toBeCloseTo(Math.sqrt(5000), 10);
  });

  it('bins ranges on integer mg/dL after rounding', () => {
    const mm = (v: number) => rangeBand(v * MGDL_PER_MMOL);
    expect([mm(2.9), mm(3.0), mm(3.8), mm(3.9), mm(10.0), mm(10.1), mm(13.9), mm(14.0)]).toEqual([0, 1, 1, 2, 2, 3, 3, 4]);
    expect([
      rangeBand(53.4),
      rangeBand(53.5),
      rangeBand(69.4),
      rangeBand(69.5),
      rangeBand(180.4),
      rangeBand(180.5),
      rangeBand(250.4),
      rangeBand(250.5),
    ]).toEqual([0, 1, 1, 2, 2, 3, 3, 4]);
  });

  it('percentiles and smoothing helpers', () => {
    expect(percentileSorted([1, 2, 3, 4], 50)).toBe(2.5);
    expect(percentileSorted([1, 2, 3, 4], 5)).toBeCloseTo(1.15, 12);
    expect(percentileSorted([10], 95)).toBe(10);
    const h = new Array<number | null>(24).fill(6);
    h[3] = null;
    h[4] = 12;
    const s = smoothCircular141(h);
    expect(s[3]).toBeNull();
    expect(s[4]).toBeCloseTo((4 * 12 + 6) / 5, 12);
    expect(s[5]).toBeCloseTo((12 + 4 * 6 + 6) / 6, 12);
  });

  it('refuses bad input', () => {
    expect(() => clinicalSummary({ timestampsMs: [2, 1], glucose: [5, 5], unit: 'mmol/L', utcOffsetMin: 0 })).toThrow(/ascending/);
    expect(() => clinicalSummary({ timestampsMs: [1], glucose: [5, 5], unit: 'mmol/L', utcOffsetMin: 0 })).toThrow(/2 glucose/);
  });
});
