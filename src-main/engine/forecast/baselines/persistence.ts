/**
 * Persistence: every horizon step repeats the last observed glucose of the context. Imputed
 * context values (mask 0) are skipped, since persisting an interpolation would borrow
 * information the forecaster does not have at the origin. A window with no observed value has
 * nothing to persist and is refused.
 */
import { StudioError } from '../../errors.js';
import { checkForecastLength, type ContextBatch, nonFiniteContext, validateContextBatch } from './types.js';

export function persistenceForecast(batch: ContextBatch, forecastLength: number): Float64Array {
  validateContextBatch(batch);
  checkForecastLength(forecastLength);
  const { windows, contextLength: L, context, contextMask } = batch;
  const out = new Float64Array(windows * forecastLength);
  for (let w = 0; w < windows; w++) {
    let j = L - 1;
    if (contextMask !== undefined) while (j >= 0 && contextMask[w * L + j] === 0) j--;
    if (j < 0) throw new StudioError('INVALID_INPUT', `Persistence: window ${w} has no observed context value to persist.`, { window: w });
    const v = context[w * L + j]!;
    if (!Number.isFinite(v)) throw nonFiniteContext(w, j, v);
    out.fill(v, w * forecastLength, (w + 1) * forecastLength);
  }
  return out;
}
