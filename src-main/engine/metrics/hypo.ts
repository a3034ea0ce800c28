/**
 * Hypoglycaemia detection per forecast horizon.
 *
 * At each reporting horizon +h (30, 60, 120 min: the steps the point metrics are reported at),
 * one window is one case:
 *   event     = the observed target at +h is below the threshold
 *   predicted = the forecast at +h is below the threshold
 * A window whose target at +h is imputed (mask 0) is not counted at that horizon
 * (`skippedWindows`); it may still count at another. Judging one instant per window keeps the
 * question clinical ("will this person be low in an hour?") and comparable between models and
 * horizons; "any low reading anywhere in an 8-hour horizon" is an event in most windows and
 * said nothing about the forecast.
 *
 * Thresholds are applied in the unit of the data: level 1 = 3.9 mmol/L or 70 mg/dL, level 2 =
 * 3.0 mmol/L or 54 mg/dL (the consensus values in each unit; 3.9 mmol/L is 70.27 mg/dL, so the
 * two differ only for values within 0.3 mg/dL of the edge). Both comparisons are strict.
 */
import { StudioError } from '../errors.js';
import { type ForecastSet, nonFiniteError, REPORT_MINUTES, stepForMinutes, stepsForMinutes, validateForecastSet } from './types.js';
import { type GlucoseUnit, RANGE_EDGES_MGDL, RANGE_EDGES_MMOL } from '../units.js';

export type HypoLevel = 1 | 2;
export const HYPO_LEVELS: readonly HypoLevel[] = [1, 2];

export function hypoThreshold(level: HypoLevel, unit: GlucoseUnit): number {
  const edges = unit === 'mmol/L' ? RANGE_EDGES_MMOL : RANGE_EDGES_MGDL;
  return level === 1 ? edges.low : edges.veryLow;
}

export interface ConfusionCounts {
  tp: number;
  fp: number;
  tn: number;
  fn: number;
}

/** Sensitivity, precision, specificity and MCC of a confusion table. */
export interface DetectionScores {
  /** TP / (TP + FN); null when there is no event (0/0). */
  sensitivity: number | null;
  /** TP / (TP + FP) (PPV); null when nothing was predicted (0/0). */
  precision: number | null;
  /** TN / (TN + FP); null when every window is an event (0/0). */
  specificity: number | null;
  /** Matthews correlation coefficient, see `mcc`. Null only when there are no windows. */
  mcc: number | null;
}

/** Hypoglycaemia detection of one level at one horizon. */
export interface HypoAtHorizon extends ConfusionCounts, DetectionScores {
  level: HypoLevel;
  threshold: number;
  unit: GlucoseUnit;
  /** 1-based horizon step scored. */
  step: number;
  /** Lead time of that step: step × resolution. */
  minutes: number;
  /** Windows counted: those with an observed target at this step (TP + FP + TN + FN). */
  windows: number;
  /** Windows whose target at this step is imputed: not counted here. */
  skippedWindows: number;
}

/**
 * MCC = (TP·TN − FP·FN) / sqrt((TP+FP)(TP+FN)(TN+FP)(TN+FN)).
 * When a margin is empty the formula is 0/0; we then define it from the agreement itself:
 * every window right (FP = FN = 0) → 1, every window wrong (TP = TN = 0) → −1, otherwise 0
 * (a constant prediction or a constant truth with mixed outcomes carries no correlation).
 * No windows at all → null.
 */
export function mcc(c: ConfusionCounts): number | null {
  const n = c.tp + c.fp + c.tn + c.fn;
  if (n === 0) return null;
  const den = (c.tp + c.fp) * (c.tp + c.fn) * (c.tn + c.fp) * (c.tn + c.fn);
  if (den === 0) {
    if (c.fp === 0 && c.fn === 0) return 1;
    if (c.tp === 0 && c.tn === 0) return -1;
    return 0;
  }
  return (c.tp * c.tn - c.fp * c.fn) / Math.sqrt(den);
}

function ratio(num: number, den: number): number | null {
  return den === 0 ? null : num / den;
}

export function detectionScores(c: ConfusionCounts): DetectionScores {
  return {
    sensitivity: ratio(c.tp, c.tp + c.fn),
    precision: ratio(c.tp, c.tp + c.fp),
    specificity: ratio(c.tn, c.tn + c.fp),
    mcc: mcc(c),
  };
}

function checkLevel(level: HypoLevel): void {
  if (level !== 1 && level !== 2) throw new StudioError('INVALID_INPUT', `Hypoglycaemia level must be 1 or 2, got ${String(level)}.`);
}

/** Scores one level at one 1-based horizon step; the set must already be validated. */
function scoreStep(set: ForecastSet, step: number, level: HypoLevel, resolutionMin: number): HypoAtHorizon {
  const { windows, forecastLength, target, forecast, targetMask, unit } = set;
  const thr = hypoThreshold(level, unit);
  const h = step - 1;
  const c: ConfusionCounts = { tp: 0, fp: 0, tn: 0, fn: 0 };
  let skipped = 0;
  for (let w = 0; w < windows; w++) {
    const i = w * forecastLength + h;
    if (targetMask !== undefined && targetMask[i] === 0) {
      skipped++;
      continue;
    }
    const y = target[i]!;
    const f = forecast[i]!;
    if (!Number.isFinite(y)) throw nonFiniteError('target', w, h, y);
    if (!Number.isFinite(f)) throw nonFiniteError('forecast', w, h, f);
    const event = y < thr;
    const predicted = f < thr;
    if (event && predicted) c.tp++;
    else if (event) c.fn++;
    else if (predicted) c.fp++;
    else c.tn++;
  }
  return {
    level,
    threshold: thr,
    unit,
    step,
    minutes: step * resolutionMin,
    ...c,
    windows: c.tp + c.fp + c.tn + c.fn,
    skippedWindows: skipped,
    ...detectionScores(c),
  };
}

/**
 * Hypoglycaemia detection at the step `minutes` ahead (e.g. 60). Throws when `minutes` is not a
 * whole number of steps within the horizon.
 */
export function hypoDetectionAt(set: ForecastSet, minutes: number, resolutionMin: number, level: HypoLevel = 1): HypoAtHorizon {
  validateForecastSet(set);
  checkLevel(level);
  return scoreStep(set, stepForMinutes(minutes, resolutionMin, set.forecastLength), level, resolutionMin);
}

/**
 * Hypoglycaemia detection at each of `minutes` that falls on the grid within the horizon (others
 * are skipped, as for the point metrics), for each level: ordered by level, then by minutes.
 */
export function hypoByHorizon(
  set: ForecastSet,
  resolutionMin: number,
  minutes: readonly number[] = REPORT_MINUTES,
  levels: readonly HypoLevel[] = HYPO_LEVELS,
): HypoAtHorizon[] {
  validateForecastSet(set);
  for (const l of levels) checkLevel(l);
  const steps = stepsForMinutes(minutes, resolutionMin, set.forecastLength);
  return levels.flatMap((level) => steps.map((s) => scoreStep(set, s.step, level, resolutionMin)));
}

/** The entry of `level` at `minutes` in a per-horizon list, or null when it was not scored. */
export function hypoAt(list: readonly HypoAtHorizon[], minutes: number, level: HypoLevel = 1): HypoAtHorizon | null {
  return list.find((h) => h.level === level && h.minutes === minutes) ?? null;
}
