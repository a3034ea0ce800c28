import { describe, expect, it } from 'vitest';
import { hypoAt, hypoByHorizon, hypoDetectionAt, hypoThreshold, mcc } from '../../../src-main/engine/metrics/hypo.js';
import type { ForecastSet } from '../../../src-main/engine/metrics/types.js';

const counts = (d: { tp: number; fp: number; tn: number; fn: number }) => ({ tp: d.tp, fp: d.fp, tn: d.tn, fn: d.fn });

/**
 * 4 windows × 24 steps of 5 min (mg/dL), 100 everywhere except:
 *  A: observed low at +30 only (60), forecast low at +30 (65)                 → 30: TP
 *  B: observed low at +60 only (60), forecast 100 there but 65 at +30         → 30: FP, 60: FN
 *  C: observed low at +40 (55) and forecast low at +15 (65): no reporting step → TN everywhere
 *  D: observed 60 at +30 but imputed there (forecast 65), 50 at +120 (forecast 52) → 30: not counted, 120: TP
 */
function horizonSet(): ForecastSet {
  const H = 24;
  const target = new Float64Array(4 * H).fill(100);
  const forecast = new Float64Array(4 * H).fill(100);
  const targetMask = new Uint8Array(4 * H).fill(1);
  const at = (w: number, minutes: number) => w * H + minutes / 5 - 1;
  target[at(0, 30)] = 60;
  forecast[at(0, 30)] = 65;
  target[at(1, 60)] = 60;
  forecast[at(1, 30)] = 65;
  target[at(2, 40)] = 55;
  forecast[at(2, 15)] = 65;
  target[at(3, 30)] = 60;
  forecast[at(3, 30)] = 65;
  targetMask[at(3, 30)] = 0;
  target[at(3, 120)] = 50;
  forecast[at(3, 120)] = 52;
  return { windows: 4, forecastLength: H, target, forecast, targetMask, unit: 'mg/dL' };
}

describe('hypoglycaemia detection per horizon', () => {
  it('an event at +30 only and at +60 only count at their own horizon; lows between reporting steps do not count', () => {
    const all = hypoByHorizon(horizonSet(), 5);
    expect(all.map((h) => [h.level, h.minutes, h.step])).toEqual([
      [1, 30, 6],
      [1, 60, 12],
      [1, 120, 24],
      [2, 30, 6],
      [2, 60, 12],
      [2, 120, 24],
    ]);
    const l1at30 = hypoAt(all, 30)!;
    expect(l1at30.threshold).toBe(70);
    expect(counts(l1at30)).toEqual({ tp: 1, fp: 1, tn: 1, fn: 0 });
    expect(l1at30.sensitivity).toBe(1);
    expect(l1at30.precision).toBe(0.5);
    expect(l1at30.specificity).toBe(0.5);
    expect(l1at30.mcc).toBe(0.5); // (1·1 − 1·0) / sqrt(2·1·2·1)

    const l1at60 = hypoAt(all, 60)!;
    expect(counts(l1at60)).toEqual({ tp: 0, fp: 0, tn: 3, fn: 1 });
    expect(l1at60).toMatchObject({ windows: 4, skippedWindows: 0, sensitivity: 0, precision: null, specificity: 1, mcc: 0 });

    const l1at120 = hypoAt(all, 120)!;
    expect(counts(l1at120)).toEqual({ tp: 1, fp: 0, tn: 3, fn: 0 });
    expect(l1at120).toMatchObject({ sensitivity: 1, precision: 1, specificity: 1, mcc: 1 });
  });

  it('a window whose target at +30 is imputed is not counted at +30 but is at the other horizons', () => {
    const all = hypoByHorizon(horizonSet(), 5);
    const l1at30 = hypoAt(all, 30, 1)!;
    // D's low 60 with a low forecast at +30 would be a second TP if it were counted
    expect(l1at30.tp).toBe(1);
    expect(l1at30.windows).toBe(3);
    expect(l1at30.skippedWindows).toBe(1);
    expect(hypoAt(all, 60, 1)!.windows).toBe(4);
    expect(hypoAt(all, 120, 1)!.windows).toBe(4);
  });

  it('level 2 (< 54 mg/dL) at each horizon', () => {
    const all = hypoByHorizon(horizonSet(), 5);
    const at30 = hypoAt(all, 30, 2)!;
    expect(at30.threshold).toBe(54);
    expect(counts(at30)).toEqual({ tp: 0, fp: 0, tn: 3, fn: 0 });
    expect(at30).toMatchObject({ windows: 3, skippedWindows: 1, sensitivity: null, precision: null, specificity: 1, mcc: 1 });
    expect(counts(hypoAt(all, 60, 2)!)).toEqual({ tp: 0, fp: 0, tn: 4, fn: 0 });
    // D: 50 < 54 observed, 52 < 54 forecast
    expect(counts(hypoAt(all, 120, 2)!)).toEqual({ tp: 1, fp: 0, tn: 3, fn: 0 });
  });

  it('MCC is 1 for a perfect predictor and −1 for an inverted one, at every horizon', () => {
    // 6 windows × 12 steps (60 min): lows at +30 in windows 0, 2, 4 and at +60 in windows 1, 2.
    const H = 12;
    const lowAt30 = [0, 2, 4];
    const lowAt60 = [1, 2];
    const target = new Float64Array(6 * H).fill(140);
    for (const w of lowAt30) target[w * H + 5] = 62;
    for (const w of lowAt60) target[w * H + 11] = 58;
    const perfect = Float64Array.from(target);
    const inverted = Float64Array.from(target, (y) => (y < 70 ? 140 : 62));
    const good = hypoByHorizon({ windows: 6, forecastLength: H, target, forecast: perfect, unit: 'mg/dL' }, 5);
    // 120 min is beyond the 60-minute horizon: not scored
    expect(good.map((h) => `${h.level}@${h.minutes}`)).toEqual(['1@30', '1@60', '2@30', '2@60']);
    expect(counts(hypoAt(good, 30)!)).toEqual({ tp: 3, fp: 0, tn: 3, fn: 0 });
    expect(counts(hypoAt(good, 60)!)).toEqual({ tp: 2, fp: 0, tn: 4, fn: 0 });
    for (const m of [30, 60]) expect(hypoAt(good, m)).toMatchObject({ sensitivity: 1, precision: 1, specificity: 1, mcc: 1 });

    const bad = hypoByHorizon({ windows: 6, forecastLength: H, target, forecast: inverted, unit: 'mg/dL' }, 5, [30, 60], [1]);
    expect(counts(bad[0]!)).toEqual({ tp: 0, fp: 3, tn: 0, fn: 3 });
    expect(counts(bad[1]!)).toEqual({ tp: 0, fp: 4, tn: 0, fn: 2 });
    for (const h of bad) expect(h).toMatchObject({ sensitivity: 0, precision: 0, specificity: 0, mcc: -1 });
  });

  it('the mixed mmol/L example: counts and MCC by hand at each step', () => {
    // 6 windows × 2 steps of 30 min; window 4 fully imputed, window 5's step 2 imputed.
    const set: ForecastSet = {
      windows: 6,
      forecastLength: 2,
      target: Float64Array.from([3.5, 4, 5, 6, 3.8, 5, 5, 5, 3.0, 2.9, 5, 3.0]),
      forecast: Float64Array.from([4, 3.8, 3.8, 6, 4, 4, 5, 5, 3, 3, 5, 2.0]),
      targetMask: Uint8Array.from([1, 1, 1, 1, 1, 1, 1, 1, 0, 0, 1, 0]),
      unit: 'mmol/L',
    };
    const at30 = hypoDetectionAt(set, 30, 30, 1);
    expect(at30.threshold).toBe(3.9);
    // w0: 3.5 low, forecast 4 → FN; w1: forecast 3.8 → FP; w2: 3.8 low, forecast 4 → FN; w3, w5 → TN
    expect(counts(at30)).toEqual({ tp: 0, fp: 1, tn: 2, fn: 2 });
    expect(at30).toMatchObject({ windows: 5, skippedWindows: 1, sensitivity: 0, precision: 0 });
    expect(at30.specificity).toBeCloseTo(2 / 3, 12);
    expect(at30.mcc).toBeCloseTo(-2 / Math.sqrt(24), 12); // (0·2 − 1·2) / sqrt(1·2·3·4)
    const at60 = hypoDetectionAt(set, 60, 30, 1);
    // w0: 4 not low, forecast 3.8 → FP; w1, w2, w3 → TN; w4, w5 imputed
    expect(counts(at60)).toEqual({ tp: 0, fp: 1, tn: 3, fn: 0 });
    expect(at60).toMatchObject({ windows: 4, skippedWindows: 2, sensitivity: null, precision: 0, specificity: 0.75, mcc: 0 });
    const l2 = hypoDetectionAt(set, 60, 30, 2);
    expect(l2.threshold).toBe(3.0);
    expect(l2).toMatchObject({ tn: 4, sensitivity: null, precision: null, specificity: 1, mcc: 1 });
  });

  it('thresholds are strict and per unit', () => {
    expect(hypoThreshold(1, 'mg/dL')).toBe(70);
    expect(hypoThreshold(2, 'mg/dL')).toBe(54);
    expect(hypoThreshold(1, 'mmol/L')).toBe(3.9);
    expect(hypoThreshold(2, 'mmol/L')).toBe(3.0);
    const d = hypoDetectionAt({ windows: 2, forecastLength: 1, target: Float64Array.of(70, 69.9), forecast: Float64Array.of(70, 69.9), unit: 'mg/dL' }, 5, 5);
    expect(counts(d)).toEqual({ tp: 1, tn: 1, fp: 0, fn: 0 });
    expect(d.mcc).toBe(1);
  });

  it('refuses minutes off the grid or beyond the horizon, bad levels and non-finite scored values; ignores NaN at imputed targets', () => {
    const set: ForecastSet = {
      windows: 1,
      forecastLength: 12,
      target: new Float64Array(12).fill(100),
      forecast: new Float64Array(12).fill(100),
      unit: 'mg/dL',
    };
    expect(() => hypoDetectionAt(set, 32, 5)).toThrow(/not a whole number/);
    expect(() => hypoDetectionAt(set, 120, 5)).toThrow(/beyond the forecast horizon/);
    expect(() => hypoByHorizon(set, 5, [30], [3 as 1])).toThrow(/level must be 1 or 2/);
    expect(hypoByHorizon(set, 5, [32, 240, 60], [1]).map((h) => h.minutes)).toEqual([60]);
    const forecast = new Float64Array(12).fill(100);
    forecast[5] = Number.NaN;
    expect(() => hypoDetectionAt({ ...set, forecast }, 30, 5)).toThrow(/Non-finite forecast/);
    const targetMask = new Uint8Array(12).fill(1);
    targetMask[5] = 0;
    expect(hypoDetectionAt({ ...set, forecast, targetMask }, 30, 5)).toMatchObject({ windows: 0, skippedWindows: 1, mcc: null });
  });

  it('defines MCC for 0/0 margins', () => {
    expect(mcc({ tp: 0, fp: 0, tn: 0, fn: 0 })).toBeNull();
    expect(mcc({ tp: 0, fp: 0, tn: 7, fn: 0 })).toBe(1);
    expect(mcc({ tp: 4, fp: 0, tn: 0, fn: 0 })).toBe(1);
    expect(mcc({ tp: 0, fp: 0, tn: 0, fn: 3 })).toBe(-1);
    expect(mcc({ tp: 0, fp: 2, tn: 0, fn: 0 })).toBe(-1);
    expect(mcc({ tp: 2, fp: 1, tn: 0, fn: 0 })).toBe(0);
    expect(mcc({ tp: 0, fp: 1, tn: 5, fn: 0 })).toBe(0);
    expect(mcc({ tp: 3, fp: 0, tn: 0, fn: 3 })).toBe(0);
    expect(mcc({ tp: 5, fp: 0, tn: 5, fn: 0 })).toBe(1);
    expect(mcc({ tp: 0, fp: 5, tn: 0, fn: 5 })).toBe(-1);
    expect(mcc({ tp: 1, fp: 1, tn: 2, fn: 1 })).toBeCloseTo(1 / 6, 12); // (1·2 − 1·1) / sqrt(2·2·3·3)
  });
});
