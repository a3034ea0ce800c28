/**
 * Hypoglycaemia event detection per forecast window (DESIGN.md §7).
 *
 * For each window, over the horizon steps whose target was observed:
 *   event     = any observed target  < threshold
 *   predicted = any forecast at those same steps < threshold
 * Steps with imputed targets are ignored on both sides so the two are judged on the same
 * instants; a window with no observed target is not counted at all (`skippedWindows`).
 *
 * Thresholds are applied in the unit of the data: level 1 = 3.9 mmol/L or 70 mg/dL, level 2 =
 * 3.0 mmol/L or 54 mg/dL (the consensus values in each unit; 3.9 mmol/L is 70.27 mg/dL, so the
 * two differ only for values within 0.3 mg/dL of the edge).
 */
import { StudioError } from '../errors.js';
import { type ForecastSet, type GlucoseUnit, nonFiniteError, validateForecastSet } from './types.js';

export type HypoLevel = 1 | 2;

export function hypoThreshold(level: HypoLevel, unit: GlucoseUnit): number {
  if (unit === 'mmol/L') return level === 1 ? 3.9 : 3.0;
  return level === 1 ? 70 : 54;
}

export interface ConfusionCounts {
  tp: number;
  fp: number;
  tn: number;
  fn: number;
}

export interface HypoDetection extends ConfusionCounts {
  level: HypoLevel;
  threshold: number;
  unit: GlucoseUnit;
  /** Windows with at least one observed target. */
  windows: number;
  skippedWindows: number;
  /** TP / (TP + FN); null when there is no event (0/0). */
  sensitivity: number | null;
  /** TP / (TP + FP) (PPV); null when nothing was predicted (0/0). */
  precision: number | null;
  /** TN / (TN + FP); null when every window is an event (0/0). */
  specificity: number | null;
  /** Matthews correlation coefficient, see `mcc`. Null only when there are no windows. */
  mcc: number | null;
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

export function detectionFromCounts(c: ConfusionCounts, extra: Pick<HypoDetection, 'level' | 'threshold' | 'unit' | 'skippedWindows'>): HypoDetection {
  return {
    ...extra,
    ...c,
    windows: c.tp + c.fp + c.tn + c.fn,
    sensitivity: ratio(c.tp, c.tp + c.fn),
    precision: ratio(c.tp, c.tp + c.fp),
    specificity: ratio(c.tn, c.tn + c.fp),
    mcc: mcc(c),
  };
}

export function hypoDetection(set: ForecastSet, level: HypoLevel = 1): HypoDetection {
  validateForecastSet(set);
  if (level !== 1 && level !== 2) throw new StudioError('INVALID_INPUT', `Hypoglycaemia level must be 1 or 2, got ${String(level)}.`);
  const { windows, horizon, target, forecast, targetMask, unit } = set;
  const thr = hypoThreshold(level, unit);
  const c: ConfusionCounts = { tp: 0, fp: 0, tn: 0, fn: 0 };
  let skipped = 0;
  for (let w = 0; w < windows; w++) {
    let scored = 0;
    let event = false;
    let predicted = false;
    for (let h = 0; h < horizon; h++) {
      const i = w * horizon + h;
      if (targetMask !== undefined && targetMask[i] === 0) continue;
      const y = target[i]!;
      const f = forecast[i]!;
      if (!Number.isFinite(y)) throw nonFiniteError('target', w, h, y);
      if (!Number.isFinite(f)) throw nonFiniteError('forecast', w, h, f);
      scored++;
      if (y < thr) event = true;
      if (f < thr) predicted = true;
    }
    if (scored === 0) {
      skipped++;
      continue;
    }
    if (event && predicted) c.tp++;
    else if (event) c.fn++;
    else if (predicted) c.fp++;
    else c.tn++;
  }
  return detectionFromCounts(c, { level, threshold: thr, unit, skippedWindows: skipped });
}
