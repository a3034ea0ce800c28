/**
 * Split-conformal prediction intervals per horizon step, calibrated on
 * validation residuals of any forecaster.
 *
 * For miscoverage α and n calibration scores s_1 ≤ … ≤ s_n, the interval half-width is the
 * k-th smallest score with k = ⌈(n+1)(1−α)⌉ (the finite-sample correction: the empirical
 * quantile at level ⌈(n+1)(1−α)⌉/n). Under exchangeability a fresh point is then covered with
 * probability ≥ 1−α (and < 1−α + 1/(n+1) for continuous scores). When k > n there are too few
 * residuals for that level: the interval is unbounded (stored as null, applied as ±∞), never a
 * silently too-narrow interval.
 *
 * - symmetric (default): scores |y − ŷ|; interval ŷ ± q.
 * - asymmetric: signed residuals r = y − ŷ; upper offset = ⌈(n+1)(1−α/2)⌉-th smallest r, lower
 *   offset = the same order statistic of −r; interval [ŷ − q_lo, ŷ + q_hi]. Each tail has
 *   miscoverage ≤ α/2, so the total is ≤ α; it follows a forecaster's bias instead of widening.
 *
 * Only observed targets (mask 1) are scores. Levels default to 80 % and 95 %.
 */
import { z } from 'zod';
import { StudioError } from '../errors.js';
import { formatZodIssues, withRenamedKey } from '../util/json.js';
import { assertShape, type FloatArray, type Mask, nonFiniteError } from '../metrics/types.js';

export const DEFAULT_CONFORMAL_LEVELS = [0.8, 0.95] as const;

export const ConformalCalibrationSchema = z.object({
  kind: z.literal('split-conformal'),
  version: z.literal(1),
  mode: z.enum(['symmetric', 'asymmetric']),
  forecastLength: z.number().int().min(1),
  /** Calibration scores per step. */
  counts: z.array(z.number().int().nonnegative()),
  intervals: z.array(
    z.object({
      level: z.number().gt(0).lt(1),
      /** Per step: ŷ − lower[h] is the lower bound; null = unbounded. */
      lower: z.array(z.number().nullable()),
      /** Per step: ŷ + upper[h] is the upper bound; null = unbounded. */
      upper: z.array(z.number().nullable()),
    }),
  ),
});
export type ConformalCalibration = z.infer<typeof ConformalCalibrationSchema>;

export interface CalibrationSet {
  windows: number;
  forecastLength: number;
  target: FloatArray;
  forecast: FloatArray;
  targetMask?: Mask;
}

export interface ConformalOptions {
  levels?: readonly number[];
  mode?: 'symmetric' | 'asymmetric';
}

/** The k-th smallest of ascending `sorted`, k = ⌈(n+1)(1−α)⌉; null when k > n. */
export function conformalQuantile(sorted: ArrayLike<number>, alpha: number): number | null {
  if (!(alpha > 0 && alpha < 1)) throw new StudioError('INVALID_INPUT', `Conformal α must be in (0, 1), got ${alpha}.`);
  const n = sorted.length;
  // Guard the product against floating error (e.g. 20·0.95 = 18.999…): round to 1e-9 first.
  const k = Math.ceil(Math.round((n + 1) * (1 - alpha) * 1e9) / 1e9);
  return k > n ? null : sorted[Math.max(k, 1) - 1]!;
}

export function calibrateConformal(set: CalibrationSet, options: ConformalOptions = {}): ConformalCalibration {
  const { windows: W, forecastLength: H, target, forecast, targetMask } = set;
  assertShape('target', target, W, H);
  assertShape('forecast', forecast, W, H);
  if (targetMask !== undefined) assertShape('targetMask', targetMask, W, H);
  const levels = options.levels ?? DEFAULT_CONFORMAL_LEVELS;
  const mode = options.mode ?? 'symmetric';
  for (const l of levels) if (!(l > 0 && l < 1)) throw new StudioError('INVALID_INPUT', `Conformal level must be in (0, 1), got ${l}.`);

  const residuals: number[][] = Array.from({ length: H }, () => []);
  for (let w = 0; w < W; w++) {
    for (let h = 0; h < H; h++) {
      const i = w * H + h;
      if (targetMask !== undefined && targetMask[i] === 0) continue;
      const r = target[i]! - forecast[i]!;
      if (!Number.isFinite(r)) throw nonFiniteError('residual', w, h, r);
      residuals[h]!.push(r);
    }
  }
  const abs = mode === 'symmetric' ? residuals.map((rs) => Float64Array.from(rs, Math.abs).sort()) : [];
  const pos = mode === 'asymmetric' ? residuals.map((rs) => Float64Array.from(rs).sort()) : [];
  const neg = mode === 'asymmetric' ? residuals.map((rs) => Float64Array.from(rs, (r) => -r).sort()) : [];

  const intervals = levels.map((level) => {
    const alpha = 1 - level;
    const lower: (number | null)[] = [];
    const upper: (number | null)[] = [];
    for (let h = 0; h < H; h++) {
      if (mode === 'symmetric') {
        const q = conformalQuantile(abs[h]!, alpha);
        lower.push(q);
        upper.push(q);
      } else {
        upper.push(conformalQuantile(pos[h]!, alpha / 2));
        lower.push(conformalQuantile(neg[h]!, alpha / 2));
      }
    }
    return { level, lower, upper };
  });
  return { kind: 'split-conformal', version: 1, mode, forecastLength: H, counts: residuals.map((r) => r.length), intervals };
}

export interface ConformalInterval {
  level: number;
  lower: Float64Array;
  upper: Float64Array;
}

/** Intervals around `forecast` ([windows, forecastLength]) for every calibrated level. */
export function conformalIntervals(cal: ConformalCalibration, forecast: FloatArray, windows: number): ConformalInterval[] {
  const H = cal.forecastLength;
  assertShape('forecast', forecast, windows, H);
  return cal.intervals.map(({ level, lower, upper }) => {
    const lo = new Float64Array(windows * H);
    const hi = new Float64Array(windows * H);
    for (let w = 0; w < windows; w++) {
      for (let h = 0; h < H; h++) {
        const i = w * H + h;
        const f = forecast[i]!;
        const ql = lower[h];
        const qu = upper[h];
        lo[i] = ql === null || ql === undefined ? -Infinity : f - ql;
        hi[i] = qu === null || qu === undefined ? Infinity : f + qu;
      }
    }
    return { level, lower: lo, upper: hi };
  });
}

/** Parses a saved calibration (e.g. from preprocessor.json); throws PARSE when invalid. */
export function parseConformalCalibration(raw: unknown): ConformalCalibration {
  // Calibrations saved before the rename name the forecast length `horizon`.
  const r = ConformalCalibrationSchema.safeParse(withRenamedKey(raw, 'horizon', 'forecastLength'));
  if (!r.success) throw new StudioError('PARSE', `Conformal calibration is invalid: ${formatZodIssues(r.error)}.`);
  const c = r.data;
  if (c.counts.length !== c.forecastLength || c.intervals.some((iv) => iv.lower.length !== c.forecastLength || iv.upper.length !== c.forecastLength)) {
    throw new StudioError('PARSE', `Conformal calibration is invalid: per-step arrays must have ${c.forecastLength} entries.`);
  }
  return c;
}
