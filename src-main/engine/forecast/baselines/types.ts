/**
 * Inputs shared by the baseline forecasters: a batch of context windows, row-major
 * [windows, contextLength], glucose in mmol/L (the storage unit), with the grid's observed
 * mask (1 = observed, 0 = imputed). Forecasts come back as Float64Array [windows, forecastLength].
 */
import { StudioError } from '../../errors.js';
import type { FloatArray, Mask } from '../../metrics/types.js';

export interface ContextBatch {
  windows: number;
  contextLength: number;
  /** [windows, contextLength] glucose, mmol/L. */
  context: FloatArray;
  /** [windows, contextLength]; absent = all observed. */
  contextMask?: Mask;
}

export function validateContextBatch(b: ContextBatch): void {
  if (!Number.isInteger(b.windows) || b.windows < 0 || !Number.isInteger(b.contextLength) || b.contextLength < 1) {
    throw new StudioError('INVALID_INPUT', `Invalid context shape [${b.windows}, ${b.contextLength}].`);
  }
  const n = b.windows * b.contextLength;
  if (b.context.length !== n) throw new StudioError('INVALID_INPUT', `Context has ${b.context.length} values; [${b.windows}, ${b.contextLength}] needs ${n}.`);
  if (b.contextMask !== undefined && b.contextMask.length !== n) {
    throw new StudioError('INVALID_INPUT', `Context mask has ${b.contextMask.length} values; [${b.windows}, ${b.contextLength}] needs ${n}.`);
  }
}

export function checkForecastLength(forecastLength: number): void {
  if (!Number.isInteger(forecastLength) || forecastLength < 1)
    throw new StudioError('INVALID_INPUT', `Forecast length must be an integer ≥ 1, got ${forecastLength}.`);
}

export function nonFiniteContext(window: number, index: number, value: number): StudioError {
  return new StudioError(
    'INVALID_INPUT',
    `Context value ${value} at window ${window}, position ${index} is not a usable glucose value. Impute gaps before forecasting.`,
    { window, index },
  );
}
