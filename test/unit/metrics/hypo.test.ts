import { describe, expect, it } from 'vitest';
import { hypoDetection, hypoThreshold, mcc } from '../../../src-main/engine/metrics/hypo.js';
import type { ForecastSet } from '../../../src-main/engine/metrics/types.js';

// 6 windows × 2 steps, mmol/L.
const set: ForecastSet = {
  windows: 6,
  horizon: 2,
  target: Float64Array.from([3.5, 4, 5, 6, 3.8, 5, 5, 5, 3.0, 2.9, 5, 3.0]),
  forecast: Float64Array.from([4, 3.8, 3.8, 6, 4, 4, 5, 5, 3, 3, 5, 2.0]),
  // window 4 fully imputed (skipped); window 5's low step 2 is imputed on both sides
  targetMask: Uint8Array.from([1, 1, 1, 1, 1, 1, 1, 1, 0, 0, 1, 0]),
  unit: 'mmol/L',
};

describe('hypoglycaemia detection', () => {
  it('level 1: TP, FP, FN, TN by hand', () => {
    const d = hypoDetection(set, 1);
    expect(d.threshold).toBe(3.9);
    expect({ tp: d.tp, fp: d.fp, fn: d.fn, tn: d.tn }).toEqual({ tp: 1, fp: 1, fn: 1, tn: 2 });
    expect(d.windows).toBe(5);
    expect(d.skippedWindows).toBe(1);
    expect(d.sensitivity).toBe(0.5);
    expect(d.precision).toBe(0.5);
    expect(d.specificity).toBeCloseTo(2 / 3, 12);
    expect(d.mcc).toBeCloseTo(1 / 6, 12); // (1·2 − 1·1) / sqrt(2·2·3·3)
  });

  it('level 2: no event and none predicted → ratios undefined, MCC 1', () => {
    const d = hypoDetection(set, 2);
    expect(d.threshold).toBe(3.0);
    expect(d.tn).toBe(5);
    expect(d.sensitivity).toBeNull();
    expect(d.precision).toBeNull();
    expect(d.specificity).toBe(1);
    expect(d.mcc).toBe(1);
  });

  it('thresholds are strict and per unit', () => {
    expect(hypoThreshold(1, 'mg/dL')).toBe(70);
    expect(hypoThreshold(2, 'mg/dL')).toBe(54);
    const d = hypoDetection({ windows: 2, horizon: 1, target: Float64Array.of(70, 69.9), forecast: Float64Array.of(70, 69.9), unit: 'mg/dL' });
    expect({ tp: d.tp, tn: d.tn, fp: d.fp, fn: d.fn }).toEqual({ tp: 1, tn: 1, fp: 0, fn: 0 });
    expect(d.mcc).toBe(1);
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
  });
});
