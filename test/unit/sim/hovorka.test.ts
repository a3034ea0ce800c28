import { describe, expect, it } from 'vitest';
import { drawPatient, glucoseOf, MEAN_PARAMS, steadyState, steadyStateBasal, step, stepConstants } from '../../../src-main/engine/sim/hovorka.js';
import { Sfc32 } from '../../../src-main/engine/util/rng.js';

describe('Hovorka model', () => {
  it('the steady-state basal holds glucose exactly without meals', () => {
    const u = steadyStateBasal(MEAN_PARAMS, 6.5)!;
    // hand check of the order of magnitude: ≈ 0.3–0.5 U/h for a 70 kg mean patient
    expect((u * 60) / 1000).toBeGreaterThan(0.2);
    expect((u * 60) / 1000).toBeLessThan(0.6);
    const s = steadyState(MEAN_PARAMS, 6.5, u);
    const k = stepConstants(MEAN_PARAMS);
    for (let t = 0; t < 24 * 60; t++) step(MEAN_PARAMS, k, s, u, 0);
    expect(glucoseOf(MEAN_PARAMS, s)).toBeCloseTo(6.5, 6);
  });

  it('insulin lowers and carbs raise glucose', () => {
    const u = steadyStateBasal(MEAN_PARAMS, 6.5)!;
    const k = stepConstants(MEAN_PARAMS);
    const bolus = steadyState(MEAN_PARAMS, 6.5, u);
    step(MEAN_PARAMS, k, bolus, u + 2000, 0);
    for (let t = 0; t < 180; t++) step(MEAN_PARAMS, k, bolus, u, 0);
    expect(glucoseOf(MEAN_PARAMS, bolus)).toBeLessThan(6);
    const meal = steadyState(MEAN_PARAMS, 6.5, u);
    step(MEAN_PARAMS, k, meal, u, (50 * 1000) / 180.16);
    for (let t = 0; t < 60; t++) step(MEAN_PARAMS, k, meal, u, 0);
    expect(glucoseOf(MEAN_PARAMS, meal)).toBeGreaterThan(8);
  });

  it('draws patients whose steady-state basal is 0.1–2.2 U/h', () => {
    const rng = new Sfc32(42);
    for (let i = 0; i < 200; i++) {
      const { params, basalMuPerMin } = drawPatient(rng, 6.5);
      const uh = (basalMuPerMin * 60) / 1000;
      expect(uh).toBeGreaterThanOrEqual(0.1);
      expect(uh).toBeLessThanOrEqual(2.2);
      expect(params.bw).toBeGreaterThanOrEqual(45);
      expect(params.bw).toBeLessThanOrEqual(95);
    }
  });
});

describe('Sfc32', () => {
  it('is deterministic per seed and stream, and roughly standard normal', () => {
    const a = new Sfc32(1, 3);
    const b = new Sfc32(1, 3);
    const c = new Sfc32(1, 4);
    const xa = Array.from({ length: 5 }, () => a.next());
    expect(Array.from({ length: 5 }, () => b.next())).toEqual(xa);
    expect(Array.from({ length: 5 }, () => c.next())).not.toEqual(xa);
    const r = new Sfc32(7);
    let sum = 0;
    let ss = 0;
    const n = 20000;
    for (let i = 0; i < n; i++) {
      const z = r.normal();
      sum += z;
      ss += z * z;
    }
    expect(Math.abs(sum / n)).toBeLessThan(0.03);
    expect(Math.abs(ss / n - 1)).toBeLessThan(0.05);
  });
});
