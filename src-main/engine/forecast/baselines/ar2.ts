/**
 * Nightscout-style AR(2) forecast in log space. With y = ln(BG_mgdl / 140):
 *   y[t+1] = 1.716·y[t] − 0.723·y[t−1]
 * iterated over the forecast steps from the last two context values. The coefficients were fitted
 * for 5-minute CGM steps, so other resolutions are refused rather than silently rescaled.
 * Nightscout limits its forecast to its display range 36–400 mg/dL; we do the same by default
 * (`clampMgdl: null` turns it off). The last context value is used as given. When the one
 * before it was imputed (mask 0), we do what Nightscout does when the previous reading is more
 * than 5.1 min old: start from y[t−1] = y[t] (no trend), rather than extrapolate an
 * interpolation. (Nightscout's ar2.js: BG_REF 140, BG_MIN 36, BG_MAX 400, AR [−0.723, 1.716].)
 */
import { StudioError } from '../../errors.js';
import { MGDL_PER_MMOL } from '../../units.js';
import { checkForecastLength, type ContextBatch, nonFiniteContext, validateContextBatch } from './types.js';

export const AR2_COEFFICIENTS = [1.716, -0.723] as const;
const BG_REF_MGDL = 140;

export interface Ar2Options {
  /** Grid resolution; must be 5. */
  resolutionMin: number;
  /** [min, max] mg/dL applied to each forecast value; default [36, 400]; null = no clamp. */
  clampMgdl?: readonly [number, number] | null;
}

/** Forecasts in mmol/L, [windows, forecastLength]. */
export function ar2Forecast(batch: ContextBatch, forecastLength: number, options: Ar2Options): Float64Array {
  validateContextBatch(batch);
  checkForecastLength(forecastLength);
  if (options.resolutionMin !== 5) {
    throw new StudioError(
      'UNSUPPORTED',
      `The AR2 baseline's coefficients are for 5-minute steps; this grid is ${options.resolutionMin} min. Use persistence or ridge instead.`,
    );
  }
  const { windows, contextLength: L, context } = batch;
  if (L < 2) throw new StudioError('INVALID_INPUT', 'The AR2 baseline needs a context of at least 2 steps.');
  const clamp = options.clampMgdl === undefined ? ([36, 400] as const) : options.clampMgdl;
  const [a1, a2] = AR2_COEFFICIENTS;
  const out = new Float64Array(windows * forecastLength);
  for (let w = 0; w < windows; w++) {
    const cur = context[w * L + L - 1]!;
    const prev = context[w * L + L - 2]!;
    if (!(Number.isFinite(cur) && cur > 0)) throw nonFiniteContext(w, L - 1, cur);
    if (!(Number.isFinite(prev) && prev > 0)) throw nonFiniteContext(w, L - 2, prev);
    let y1 = Math.log((cur * MGDL_PER_MMOL) / BG_REF_MGDL);
    const prevObserved = batch.contextMask === undefined || batch.contextMask[w * L + L - 2] !== 0;
    let y0 = prevObserved ? Math.log((prev * MGDL_PER_MMOL) / BG_REF_MGDL) : y1;
    for (let h = 0; h < forecastLength; h++) {
      const y = a1 * y1 + a2 * y0;
      y0 = y1;
      y1 = y;
      let mg = BG_REF_MGDL * Math.exp(y);
      if (clamp !== null) mg = Math.min(clamp[1], Math.max(clamp[0], mg));
      out[w * forecastLength + h] = mg / MGDL_PER_MMOL;
    }
  }
  return out;
}
