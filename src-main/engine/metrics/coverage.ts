/**
 * Prediction-interval coverage per horizon step: the fraction of observed targets inside
 * [lower, upper] (both edges inclusive) and the mean width upper − lower over the same
 * elements. A step with no observed target reports null.
 */
import { StudioError } from '../errors.js';
import { assertShape, type FloatArray, type Mask, nonFiniteError } from './types.js';

export interface IntervalSet {
  windows: number;
  forecastLength: number;
  target: FloatArray;
  lower: FloatArray;
  upper: FloatArray;
  targetMask?: Mask;
}

export interface StepCoverage {
  step: number;
  n: number;
  /** Fraction in [0, 1]. */
  coverage: number | null;
  /** Mean width in the unit of the data. */
  meanWidth: number | null;
}

export interface CoverageResult {
  perStep: StepCoverage[];
  overall: Omit<StepCoverage, 'step'>;
}

export function intervalCoverage(set: IntervalSet): CoverageResult {
  const { windows, forecastLength, target, lower, upper, targetMask } = set;
  assertShape('target', target, windows, forecastLength);
  assertShape('lower', lower, windows, forecastLength);
  assertShape('upper', upper, windows, forecastLength);
  if (targetMask !== undefined) assertShape('targetMask', targetMask, windows, forecastLength);
  const n = new Float64Array(forecastLength);
  const inside = new Float64Array(forecastLength);
  const width = new Float64Array(forecastLength);
  for (let w = 0; w < windows; w++) {
    for (let h = 0; h < forecastLength; h++) {
      const i = w * forecastLength + h;
      if (targetMask !== undefined && targetMask[i] === 0) continue;
      const y = target[i]!;
      const lo = lower[i]!;
      const hi = upper[i]!;
      if (!Number.isFinite(y)) throw nonFiniteError('target', w, h, y);
      // ±Infinity bounds are legitimate (conformal with too few residuals); NaN is not.
      if (Number.isNaN(lo) || Number.isNaN(hi)) throw nonFiniteError('interval bound', w, h, Number.NaN);
      if (lo > hi) throw new StudioError('INVALID_INPUT', `Interval lower bound ${lo} is above upper bound ${hi} at window ${w}, step ${h + 1}.`);
      n[h]! += 1;
      if (y >= lo && y <= hi) inside[h]! += 1;
      width[h]! += hi - lo;
    }
  }
  const perStep: StepCoverage[] = [];
  let tn = 0;
  let ti = 0;
  let tw = 0;
  for (let h = 0; h < forecastLength; h++) {
    tn += n[h]!;
    ti += inside[h]!;
    tw += width[h]!;
    perStep.push({ step: h + 1, n: n[h]!, coverage: n[h] === 0 ? null : inside[h]! / n[h]!, meanWidth: n[h] === 0 ? null : width[h]! / n[h]! });
  }
  return { perStep, overall: { n: tn, coverage: tn === 0 ? null : ti / tn, meanWidth: tn === 0 ? null : tw / tn } };
}
