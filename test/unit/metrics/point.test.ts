import { describe, expect, it } from 'vitest';
import {
  computePointMetrics,
  pointMetricsAt,
  pointMetricsAtMinutes,
  skillPerStep,
  skillScore,
  trajectoryRmse,
} from '../../../src-main/engine/metrics/point.js';
import type { ForecastSet } from '../../../src-main/engine/metrics/types.js';
import { MGDL_PER_MMOL } from '../../../src-main/engine/units.js';

// 2 windows × 3 steps; the second window's step 2 is imputed (its error of 2 must not count).
const base: ForecastSet = {
  windows: 2,
  forecastLength: 3,
  target: Float64Array.from([5, 6, 7, 4, 5, 6]),
  forecast: Float64Array.from([6, 6, 5, 4, 7, 6]),
  targetMask: Uint8Array.from([1, 1, 1, 1, 0, 1]),
  unit: 'mmol/L',
};

describe('point metrics', () => {
  const m = computePointMetrics(base, 20);

  it('computes per-step RMSE/MAE/MARD/bias by hand', () => {
    const [s1, s2, s3] = m.perStep;
    // step 1: errors +1, 0
    expect(s1!.n).toBe(2);
    expect(s1!.minutes).toBe(20);
    expect(s1!.rmseMmoll).toBeCloseTo(Math.SQRT1_2, 12);
    expect(s1!.rmseMgdl).toBeCloseTo(12.740649983419214, 9);
    expect(s1!.maeMmoll).toBeCloseTo(0.5, 12);
    expect(s1!.maeMgdl).toBeCloseTo(0.5 * 18.018, 12);
    expect(s1!.mard).toBeCloseTo(10, 12); // (1/5 + 0/4) / 2
    expect(s1!.biasMmoll).toBeCloseTo(0.5, 12);
    // step 2: only window 0 (error 0)
    expect(s2!.n).toBe(1);
    expect(s2!.rmseMmoll).toBe(0);
    expect(s2!.mard).toBe(0);
    // step 3: errors −2, 0
    expect(s3!.rmseMmoll).toBeCloseTo(Math.SQRT2, 12);
    expect(s3!.maeMmoll).toBeCloseTo(1, 12);
    expect(s3!.mard).toBeCloseTo(100 / 7, 10); // (2/7 + 0) / 2
    expect(s3!.biasMmoll).toBeCloseTo(-1, 12);
    expect(s3!.biasMgdl).toBeCloseTo(-18.018, 12);
  });

  it('pools all scored elements in overall', () => {
    expect(m.overall.n).toBe(5);
    expect(m.overall.rmseMmoll).toBeCloseTo(1, 12); // sqrt((1 + 0 + 4 + 0 + 0) / 5)
    expect(m.overall.maeMmoll).toBeCloseTo(0.6, 12);
    expect(m.overall.mard).toBeCloseTo(((0.2 + 2 / 7) / 5) * 100, 10);
  });

  it('gives the same MARD and RMSE in mg/dL input', () => {
    const mg = computePointMetrics(
      { ...base, unit: 'mg/dL', target: base.target.map((v) => v * MGDL_PER_MMOL), forecast: base.forecast.map((v) => v * MGDL_PER_MMOL) },
      20,
    );
    for (let h = 0; h < 3; h++) {
      expect(mg.perStep[h]!.mard).toBeCloseTo(m.perStep[h]!.mard!, 10);
      expect(mg.perStep[h]!.rmseMgdl).toBeCloseTo(m.perStep[h]!.rmseMgdl!, 9);
      expect(mg.perStep[h]!.rmseMmoll).toBeCloseTo(m.perStep[h]!.rmseMmoll!, 10);
    }
  });

  it('selects steps by minutes: step h is h·resolution minutes', () => {
    expect(pointMetricsAt(m, 60).step).toBe(3);
    expect(pointMetricsAt(m, 20).step).toBe(1);
    expect(() => pointMetricsAt(m, 30)).toThrow(/whole number/);
    expect(() => pointMetricsAt(m, 120)).toThrow(/beyond the forecast horizon/);
    expect(pointMetricsAtMinutes(m, [30, 40, 60, 120]).map((s) => s.step)).toEqual([2, 3]);
  });

  it('trajectory-averaged RMSE is the mean of per-step RMSE, not the RMSE at the end', () => {
    const traj = trajectoryRmse(m, 60, 'mmol/L')!;
    expect(traj).toBeCloseTo((Math.SQRT1_2 + 0 + Math.SQRT2) / 3, 12);
    expect(traj).toBeLessThan(pointMetricsAt(m, 60).rmseMmoll!);
    expect(trajectoryRmse(m, 40, 'mg/dL')).toBeCloseTo((Math.SQRT1_2 * 18.018) / 2, 9);
  });

  it('skill = 1 − RMSE / RMSE_persistence', () => {
    expect(skillScore(1, 2)).toBe(0.5);
    expect(skillScore(3, 2)).toBe(-0.5);
    expect(skillScore(1, 0)).toBeNull();
    expect(skillScore(null, 2)).toBeNull();
    const persistence = computePointMetrics({ ...base, forecast: Float64Array.from([5, 5, 5, 4, 4, 4]) }, 20);
    // persistence errors: step1 0,0 → 0 (skill null); step2 −1 → 1; step3 −2, −2 → 2
    const s = skillPerStep(m, persistence);
    expect(s[0]).toBeNull();
    expect(s[1]).toBeCloseTo(1, 12);
    expect(s[2]).toBeCloseTo(1 - Math.SQRT2 / 2, 12);
  });

  it('reports null, not 0, for a step without scored targets', () => {
    const r = computePointMetrics({ ...base, targetMask: Uint8Array.from([1, 0, 1, 1, 0, 1]) }, 5);
    expect(r.perStep[1]).toMatchObject({ n: 0, rmseMgdl: null, maeMmoll: null, mard: null });
  });

  it('ignores non-finite values at imputed targets and refuses them at scored ones', () => {
    const f = Float64Array.from(base.forecast);
    f[4] = Number.NaN;
    expect(computePointMetrics({ ...base, forecast: f }, 5).perStep[1]!.n).toBe(1);
    f[1] = Number.NaN;
    expect(() => computePointMetrics({ ...base, forecast: f }, 5)).toThrow(/window 0, horizon step 2/);
  });

  it('refuses mismatched shapes', () => {
    expect(() => computePointMetrics({ ...base, forecast: new Float32Array(5) }, 5)).toThrow(/needs 6/);
    expect(() => computePointMetrics(base, 0)).toThrow(/Resolution/);
  });

  it('accepts Float32Array input', () => {
    const r = computePointMetrics({ ...base, target: Float32Array.from(base.target), forecast: Float32Array.from(base.forecast) }, 20);
    expect(r.perStep[0]!.rmseMmoll).toBeCloseTo(Math.SQRT1_2, 6);
  });
});
