import { describe, expect, it } from 'vitest';
import { ar2Forecast } from '../../../src-main/engine/forecast/baselines/ar2.js';
import { cholesky, choleskySolve } from '../../../src-main/engine/forecast/baselines/cholesky.js';
import { persistenceForecast } from '../../../src-main/engine/forecast/baselines/persistence.js';
import {
  fitRidge,
  fitRidgeSelectLambda,
  ridgeForecast,
  ridgeModelFromJson,
  ridgeModelToJson,
  type TargetBatch,
} from '../../../src-main/engine/forecast/baselines/ridge.js';
import type { ContextBatch } from '../../../src-main/engine/forecast/baselines/types.js';
import { MGDL_PER_MMOL } from '../../../src-main/engine/units.js';
import { gaussian, mulberry32 } from './rng.js';

describe('persistence', () => {
  it('repeats the last observed value, skipping imputed ones', () => {
    const f = persistenceForecast(
      { windows: 2, contextLength: 3, context: Float64Array.from([5, 6, 7, 4, 5, 9]), contextMask: Uint8Array.from([1, 1, 1, 1, 1, 0]) },
      2,
    );
    expect(Array.from(f)).toEqual([7, 7, 5, 5]);
  });

  it('refuses a window without an observed value', () => {
    expect(() => persistenceForecast({ windows: 1, contextLength: 2, context: Float64Array.of(5, 6), contextMask: [0, 0] }, 3)).toThrow(/window 0/);
    expect(() => persistenceForecast({ windows: 1, contextLength: 2, context: Float64Array.of(5, 6) }, 0)).toThrow(/Forecast length must be/);
  });
});

describe('AR2 (Nightscout log-space)', () => {
  const mm = (mg: number) => mg / MGDL_PER_MMOL;

  it('iterates y[t+1] = 1.716·y[t] − 0.723·y[t−1] on ln(BG/140)', () => {
    // hand-computed from 100 → 120 mg/dL
    const f = ar2Forecast({ windows: 1, contextLength: 3, context: Float64Array.of(mm(90), mm(100), mm(120)) }, 3, { resolutionMin: 5 });
    expect(f[0]! * MGDL_PER_MMOL).toBeCloseTo(137.0559563709575, 9);
    expect(f[1]! * MGDL_PER_MMOL).toBeCloseTo(150.90084669587128, 9);
    expect(f[2]! * MGDL_PER_MMOL).toBeCloseTo(161.6890543740298, 9);
  });

  it('is a fixed point at 140 mg/dL and clamps to 36–400 mg/dL by default', () => {
    const flat = ar2Forecast({ windows: 1, contextLength: 2, context: Float64Array.of(mm(140), mm(140)) }, 4, { resolutionMin: 5 });
    for (const v of flat) expect(v).toBeCloseTo(mm(140), 12);
    const rising = { windows: 1, contextLength: 2, context: Float64Array.of(mm(250), mm(380)) };
    const clamped = ar2Forecast(rising, 12, { resolutionMin: 5 });
    expect(Math.max(...clamped) * MGDL_PER_MMOL).toBeCloseTo(400, 9);
    const free = ar2Forecast(rising, 12, { resolutionMin: 5, clampMgdl: null });
    expect(Math.max(...free) * MGDL_PER_MMOL).toBeGreaterThan(400);
  });

  it('starts without trend when the previous value was imputed, as Nightscout does for a stale reading', () => {
    const b = { windows: 1, contextLength: 3, context: Float64Array.of(mm(90), mm(100), mm(120)), contextMask: [1, 0, 1] };
    const f = ar2Forecast(b, 2, { resolutionMin: 5 });
    // y = ln(120/140) on both lags: y1 = (1.716 − 0.723)·y = 0.993·y, y2 = 1.716·0.993·y − 0.723·y
    const y = Math.log(120 / 140);
    expect(f[0]! * MGDL_PER_MMOL).toBeCloseTo(140 * Math.exp(0.993 * y), 9);
    expect(f[1]! * MGDL_PER_MMOL).toBeCloseTo(140 * Math.exp((1.716 * 0.993 - 0.723) * y), 9);
  });

  it('refuses other resolutions and unusable values', () => {
    const b = { windows: 1, contextLength: 2, context: Float64Array.of(5, 6) };
    expect(() => ar2Forecast(b, 3, { resolutionMin: 15 })).toThrow(/5-minute/);
    expect(() => ar2Forecast({ ...b, context: Float64Array.of(0, 6) }, 3, { resolutionMin: 5 })).toThrow(/position 0/);
  });
});

describe('Cholesky', () => {
  it('factorises and solves a known SPD system', () => {
    const a = Float64Array.from([4, 12, -16, 12, 37, -43, -16, -43, 98]);
    const l = cholesky(a, 3);
    expect(Array.from(l)).toEqual([2, 0, 0, 6, 1, 0, -8, 5, 3]);
    const x = choleskySolve(l, 3, [-20, -43, 192]); // A·[1, 2, 3]
    expect(Array.from(x).map((v) => Number(v.toFixed(10)))).toEqual([1, 2, 3]);
  });

  it('refuses a matrix that is not positive definite', () => {
    expect(() => cholesky(Float64Array.from([1, 2, 2, 1]), 2)).toThrow(/not positive definite/);
  });
});

/** Windows of a noise-free process whose future is linear in the last values. */
function linearProcess(windows: number, L: number, H: number, seed: number, targetMask?: (w: number, h: number) => boolean) {
  const rand = mulberry32(seed);
  const ctx = new Float64Array(windows * L);
  const tgt = new Float64Array(windows * H);
  const mask = new Uint8Array(windows * H).fill(1);
  for (let w = 0; w < windows; w++) {
    for (let j = 0; j < L; j++) ctx[w * L + j] = 4 + 8 * rand();
    const c = ctx[w * L + L - 1]!;
    const d = c - ctx[w * L + L - 2]!;
    for (let h = 0; h < H; h++) {
      tgt[w * H + h] = c + 0.5 * d * (h + 1) - 0.05 * (c - 7) + 0.1;
      if (targetMask?.(w, h)) {
        mask[w * H + h] = 0;
        tgt[w * H + h] = Number.NaN; // imputed targets may hold anything
      }
    }
  }
  const batch: ContextBatch = { windows, contextLength: L, context: ctx };
  const targets: TargetBatch = { windows, forecastLength: H, target: tgt, targetMask: mask };
  return { batch, targets };
}

describe('ridge on lags', () => {
  it('matches the hand-solved one-feature case with λ = 1', () => {
    // levels 1, 2, 3 with Δ = level: z = (level − 2)/sqrt(2/3), b = 2, w = sqrt(2/3)/(1 + λ)
    const m = fitRidge(
      { windows: 3, contextLength: 1, context: Float64Array.of(1, 2, 3) },
      { windows: 3, forecastLength: 1, target: Float64Array.of(2, 4, 6) },
      { lags: 1, lambda: 1 },
    );
    expect(m.intercepts[0]).toBeCloseTo(2, 12);
    expect(m.weights[0]![0]).toBeCloseTo(Math.sqrt(2 / 3) / 2, 12);
    expect(m.featureMean).toEqual([2]);
    expect(m.featureScale[0]).toBeCloseTo(Math.sqrt(2 / 3), 12);
    expect(ridgeForecast(m, { windows: 1, contextLength: 1, context: Float64Array.of(3) })[0]).toBeCloseTo(5.5, 12);
  });

  it('recovers a noise-free linear process with tiny λ, imputed targets excluded', () => {
    const train = linearProcess(400, 16, 6, 1, (w, h) => (w + h) % 7 === 0);
    const m = fitRidge(train.batch, train.targets, { lags: 12, lambda: 1e-12 });
    expect(m.trainCounts[0]).toBeLessThan(400);
    const test = linearProcess(50, 16, 6, 2);
    const f = ridgeForecast(m, test.batch);
    for (let i = 0; i < f.length; i++) expect(f[i]).toBeCloseTo(test.targets.target[i]!, 6);
  });

  it('does not depend on the values of imputed targets', () => {
    const a = linearProcess(100, 12, 3, 3, (w) => w % 5 === 0);
    const b = { ...a.targets, target: a.targets.target.map((v) => (Number.isNaN(v) ? 1e6 : v)) };
    expect(fitRidge(a.batch, a.targets, { lambda: 0.1 })).toEqual(fitRidge(a.batch, b, { lambda: 0.1 }));
  });

  it('large λ shrinks toward persistence plus the mean change', () => {
    const t = linearProcess(200, 12, 2, 4);
    const m = fitRidge(t.batch, t.targets, { lambda: 1e9 });
    for (const row of m.weights) for (const w of row) expect(Math.abs(w)).toBeLessThan(1e-6);
  });

  it('chooses λ on validation data', () => {
    const rand = gaussian(mulberry32(9));
    const t = linearProcess(300, 12, 3, 5);
    const v = linearProcess(100, 12, 3, 6);
    const noisy = { ...t.targets, target: t.targets.target.map((y) => y + 0.3 * rand()) };
    const sel = fitRidgeSelectLambda(t.batch, noisy, v.batch, v.targets, { grid: [1e-6, 1e-2, 1e3] });
    expect(sel.scores.map((s) => s.lambda)).toEqual([1e-6, 1e-2, 1e3]);
    const best = Math.min(...sel.scores.map((s) => s.validationMse));
    expect(sel.scores.find((s) => s.lambda === sel.model.lambda)!.validationMse).toBe(best);
    expect(sel.model.lambda).not.toBe(1e3);
  });

  it('round-trips through JSON and rejects invalid files', () => {
    const t = linearProcess(50, 12, 4, 7);
    const m = fitRidge(t.batch, t.targets);
    const back = ridgeModelFromJson(ridgeModelToJson(m));
    expect(back).toEqual(m);
    expect(Array.from(ridgeForecast(back, t.batch))).toEqual(Array.from(ridgeForecast(m, t.batch)));
    expect(() => ridgeModelFromJson('{')).toThrow(/not JSON/);
    expect(() => ridgeModelFromJson(JSON.stringify({ ...m, weights: m.weights.slice(1) }))).toThrow(/forecastLength/);
    expect(() => ridgeModelFromJson(JSON.stringify({ ...m, kind: 'other' }))).toThrow(/invalid/);
    // A ridge.json written when the forecast length was named `horizon` still loads.
    const { forecastLength, ...shared } = m;
    expect(ridgeModelFromJson(JSON.stringify({ ...shared, horizon: forecastLength }))).toEqual(m);
  });

  it('refuses short contexts, empty steps and non-finite context', () => {
    const t = linearProcess(10, 12, 2, 8);
    expect(() => fitRidge(t.batch, t.targets, { lags: 13 })).toThrow(/at least 13/);
    expect(() => fitRidge(t.batch, { ...t.targets, targetMask: new Uint8Array(20) })).toThrow(/no observed training target/);
    const bad = Float64Array.from(t.batch.context);
    bad[11] = Number.NaN;
    expect(() => fitRidge({ ...t.batch, context: bad }, t.targets)).toThrow(/window 0, position 11/);
  });
});
