import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { clarkeErrorGrid } from '../../../src-main/engine/metrics/clarke.js';
import { evaluateForecastSet } from '../../../src-main/engine/metrics/evaluate.js';
import { parkesErrorGrid } from '../../../src-main/engine/metrics/parkes.js';
import { computePointMetrics } from '../../../src-main/engine/metrics/point.js';
import type { ForecastSet } from '../../../src-main/engine/metrics/types.js';
import { MGDL_PER_MMOL } from '../../../src-main/engine/units.js';

describe('full evaluation', () => {
  it('bundles point metrics, both grids, hypo at both levels per horizon and coverage per level', () => {
    const set: ForecastSet = {
      windows: 2,
      forecastLength: 2,
      target: Float64Array.from([100, 60, 200, 50]),
      forecast: Float64Array.from([110, 90, 150, 52]),
      targetMask: Uint8Array.from([1, 1, 1, 0]),
      unit: 'mg/dL',
    };
    const r = evaluateForecastSet(set, {
      resolutionMin: 30,
      intervals: [{ level: 0.8, lower: Float64Array.from([90, 50, 160, 0]), upper: Float64Array.from([120, 70, 190, 0]) }],
    });
    expect(r.point.perStep[0]!.n).toBe(2);
    expect(r.point.perStep[1]!.rmseMgdl).toBeCloseTo(30, 12);
    // (100,110) A, (60,90) D (r ≤ 70, 70 ≤ p ≤ 180, p > 1.2·r), (200,150) B
    expect(r.clarke.overall.counts).toEqual({ A: 1, B: 1, C: 0, D: 1, E: 0 });
    // Parkes: (60,90): U_B(60) = 50 + 30·12/11 ≈ 82.7 < 90 ≤ U_C(60) = 95 → B; (200,150): L_B(150) = 170 + 5·215/155 ≈ 176.9 < 200 ≤ L_C → B
    expect(r.parkes.overall.counts).toEqual({ A: 1, B: 2, C: 0, D: 0, E: 0 });
    // Hypo per horizon (steps of 30 min; 120 min is beyond the horizon): at 30 both windows are
    // above 70 and so are the forecasts → TN, TN; at 60 window 0's 60 < 70 is missed by 90 → FN and
    // window 1's target is imputed → not counted. Level 2 (< 54): nothing low at either.
    expect(r.unit).toBe('mg/dL');
    expect(r.hypoByHorizon.map((h) => [h.level, h.minutes])).toEqual([
      [1, 30],
      [1, 60],
      [2, 30],
      [2, 60],
    ]);
    expect(r.hypoByHorizon[0]).toMatchObject({ tp: 0, fp: 0, tn: 2, fn: 0, windows: 2, skippedWindows: 0, sensitivity: null, specificity: 1, mcc: 1 });
    expect(r.hypoByHorizon[1]).toMatchObject({ tp: 0, fp: 0, tn: 0, fn: 1, windows: 1, skippedWindows: 1, sensitivity: 0, specificity: null, mcc: -1 });
    expect(r.hypoByHorizon[2]).toMatchObject({ tn: 2, windows: 2, mcc: 1 });
    expect(r.hypoByHorizon[3]).toMatchObject({ tn: 1, windows: 1, skippedWindows: 1, mcc: 1 });
    // 100 ∈ [90, 120], 60 ∈ [50, 70], 200 ∉ [160, 190]
    expect(r.coverage['0.8']!.overall).toEqual({ n: 3, coverage: 2 / 3, meanWidth: (30 + 20 + 30) / 3 });
  });
});

describe('metric properties', () => {
  const glucose = fc.double({ min: 20, max: 600, noNaN: true });
  const pairs = fc.array(fc.tuple(glucose, glucose), { minLength: 1, maxLength: 60 });
  const setOf = (ps: [number, number][], unit: 'mg/dL' | 'mmol/L' = 'mg/dL'): ForecastSet => ({
    windows: ps.length,
    forecastLength: 1,
    target: Float64Array.from(ps, ([r]) => (unit === 'mg/dL' ? r : r / MGDL_PER_MMOL)),
    forecast: Float64Array.from(ps, ([, p]) => (unit === 'mg/dL' ? p : p / MGDL_PER_MMOL)),
    unit,
  });

  it('zone percentages sum to 100 and a perfect forecast is all A', () => {
    fc.assert(
      fc.property(pairs, (ps) => {
        for (const g of [clarkeErrorGrid(setOf(ps)), parkesErrorGrid(setOf(ps))]) {
          const p = g.overall.percent;
          expect(p.A! + p.B! + p.C! + p.D! + p.E!).toBeCloseTo(100, 9);
        }
        const perfect = setOf(ps.map(([r]) => [r, r]));
        expect(clarkeErrorGrid(perfect).overall.percent.A).toBe(100);
        expect(parkesErrorGrid(perfect).overall.percent.A).toBe(100);
      }),
    );
  });

  it('MARD does not depend on the unit; RMSE converts by 18.018', () => {
    fc.assert(
      fc.property(pairs, (ps) => {
        const a = computePointMetrics(setOf(ps, 'mg/dL'), 5).overall;
        const b = computePointMetrics(setOf(ps, 'mmol/L'), 5).overall;
        expect(b.mard).toBeCloseTo(a.mard!, 8);
        expect(b.rmseMgdl).toBeCloseTo(a.rmseMgdl!, 8);
        expect(a.rmseMmoll! * MGDL_PER_MMOL).toBeCloseTo(a.rmseMgdl!, 8);
      }),
    );
  });
});
