/**
 * Shapes shared by the evaluation metrics. Forecast sets are flat row-major arrays
 * [windows, forecastLength] so a batch from the model or a baseline can be scored without copying.
 */
import { StudioError } from '../errors.js';
import type { GlucoseUnit } from '../units.js';

export type FloatArray = Float32Array | Float64Array;
/** 1 = the target was observed (scored), 0 = imputed (never scored: a model would be graded on the imputer's guess). */
export type Mask = ArrayLike<number>;

/** Targets and forecasts of `windows` windows × `forecastLength` steps, in one unit. */
export interface ForecastSet {
  windows: number;
  forecastLength: number;
  /** [windows, forecastLength] row-major reference values. */
  target: FloatArray;
  /** [windows, forecastLength] row-major forecasts, same unit as `target`. */
  forecast: FloatArray;
  /** [windows, forecastLength]; absent = every target observed. */
  targetMask?: Mask;
  unit: GlucoseUnit;
}

export function assertShape(name: string, arr: ArrayLike<number>, windows: number, forecastLength: number): void {
  if (!Number.isInteger(windows) || windows < 0 || !Number.isInteger(forecastLength) || forecastLength < 1) {
    throw new StudioError(
      'INVALID_INPUT',
      `Invalid shape [${windows}, ${forecastLength}] for ${name}: windows must be an integer ≥ 0 and the forecast length ≥ 1.`,
    );
  }
  if (arr.length !== windows * forecastLength) {
    throw new StudioError(
      'INVALID_INPUT',
      `${name} has ${arr.length} values but [${windows}, ${forecastLength}] needs ${windows * forecastLength}. Check that the arrays are row-major [windows, forecastLength].`,
    );
  }
}

export function validateForecastSet(set: ForecastSet): void {
  assertShape('target', set.target, set.windows, set.forecastLength);
  assertShape('forecast', set.forecast, set.windows, set.forecastLength);
  if (set.targetMask !== undefined) assertShape('targetMask', set.targetMask, set.windows, set.forecastLength);
}

/**
 * Scored elements must be finite: a NaN forecast at an observed target is a bug upstream and
 * would otherwise poison every mean silently.
 */
export function nonFiniteError(what: string, window: number, step: number, value: number): StudioError {
  return new StudioError(
    'INVALID_INPUT',
    `Non-finite ${what} (${value}) at window ${window}, horizon step ${step + 1} for an observed target. Impute or mask the target, or fix the forecaster.`,
    { window, step: step + 1 },
  );
}

/** Converts a horizon in minutes to a 1-based horizon step; throws when it is not on the grid. */
export function stepForMinutes(minutes: number, resolutionMin: number, forecastLength: number): number {
  if (!(resolutionMin > 0)) throw new StudioError('INVALID_INPUT', `Resolution must be a positive number of minutes, got ${resolutionMin}.`);
  const step = minutes / resolutionMin;
  if (!Number.isInteger(step) || step < 1) {
    throw new StudioError('INVALID_INPUT', `${minutes} min is not a whole number of ${resolutionMin}-minute steps ≥ 1.`);
  }
  if (step > forecastLength) {
    throw new StudioError(
      'INVALID_INPUT',
      `${minutes} min is beyond the forecast horizon (${forecastLength} steps × ${resolutionMin} min = ${forecastLength * resolutionMin} min).`,
    );
  }
  return step;
}

/** The lead times every evaluation reports at (point metrics, hypoglycaemia detection). */
export const REPORT_MINUTES: readonly number[] = [30, 60, 120];

/** The given minutes that fall on the grid within the horizon, with their 1-based step; others are skipped. */
export function stepsForMinutes(minutes: readonly number[], resolutionMin: number, forecastLength: number): { minutes: number; step: number }[] {
  if (!(resolutionMin > 0)) throw new StudioError('INVALID_INPUT', `Resolution must be a positive number of minutes, got ${resolutionMin}.`);
  const out: { minutes: number; step: number }[] = [];
  for (const m of minutes) {
    const step = m / resolutionMin;
    if (Number.isInteger(step) && step >= 1 && step <= forecastLength) out.push({ minutes: m, step });
  }
  return out;
}
