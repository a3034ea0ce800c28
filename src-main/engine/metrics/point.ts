/**
 * Point-accuracy metrics per horizon step: RMSE, MAE, MARD and bias, in both
 * mg/dL and mmol/L, plus trajectory-averaged RMSE and skill against persistence.
 *
 * Only observed targets are scored (mask 1). A step with no scored target has `n = 0` and
 * `null` metrics: "undefined" is reported as such, never as 0.
 */
import { StudioError } from '../errors.js';
import { type ForecastSet, nonFiniteError, REPORT_MINUTES, stepForMinutes, stepsForMinutes, validateForecastSet } from './types.js';
import { type GlucoseUnit, MGDL_PER_MMOL } from '../units.js';

export interface StepPointMetrics {
  /** 1-based horizon step. */
  step: number;
  /** step × resolution. */
  minutes: number;
  /** Number of scored (observed) targets at this step. */
  n: number;
  rmseMgdl: number | null;
  rmseMmoll: number | null;
  maeMgdl: number | null;
  maeMmoll: number | null;
  /** Mean absolute relative difference, % (unit-free). */
  mard: number | null;
  /** Mean signed error forecast − target, mg/dL. */
  biasMgdl: number | null;
  biasMmoll: number | null;
}

export interface PointMetrics {
  resolutionMin: number;
  perStep: StepPointMetrics[];
  /** All scored elements pooled over steps. */
  overall: Omit<StepPointMetrics, 'step' | 'minutes'>;
}

interface Acc {
  n: number;
  sq: number;
  abs: number;
  rel: number;
  err: number;
}

function finish(acc: Acc, toMgdl: number): Omit<StepPointMetrics, 'step' | 'minutes'> {
  if (acc.n === 0) return { n: 0, rmseMgdl: null, rmseMmoll: null, maeMgdl: null, maeMmoll: null, mard: null, biasMgdl: null, biasMmoll: null };
  const rmse = Math.sqrt(acc.sq / acc.n);
  const mae = acc.abs / acc.n;
  const bias = acc.err / acc.n;
  // Errors are linear in the unit, so converting the finished figure is exact.
  const toMmoll = toMgdl / MGDL_PER_MMOL;
  return {
    n: acc.n,
    rmseMgdl: rmse * toMgdl,
    rmseMmoll: rmse * toMmoll,
    maeMgdl: mae * toMgdl,
    maeMmoll: mae * toMmoll,
    mard: (acc.rel / acc.n) * 100,
    biasMgdl: bias * toMgdl,
    biasMmoll: bias * toMmoll,
  };
}

/**
 * Scores a forecast set per horizon step. Step h (1-based) is h·resolutionMin minutes ahead.
 * MARD = mean(|ŷ − y| / y)·100; it needs y > 0, which any glucose reference satisfies: a
 * non-positive observed target is rejected as bad data.
 */
export function computePointMetrics(set: ForecastSet, resolutionMin: number): PointMetrics {
  validateForecastSet(set);
  if (!(resolutionMin > 0)) throw new StudioError('INVALID_INPUT', `Resolution must be a positive number of minutes, got ${resolutionMin}.`);
  const { windows, forecastLength, target, forecast, targetMask } = set;
  const n = new Float64Array(forecastLength);
  const sq = new Float64Array(forecastLength);
  const abs = new Float64Array(forecastLength);
  const rel = new Float64Array(forecastLength);
  const err = new Float64Array(forecastLength);
  for (let w = 0; w < windows; w++) {
    const base = w * forecastLength;
    for (let h = 0; h < forecastLength; h++) {
      const i = base + h;
      if (targetMask !== undefined && targetMask[i] === 0) continue;
      const y = target[i]!;
      const f = forecast[i]!;
      if (!Number.isFinite(y) || y <= 0) throw nonFiniteError('or non-positive target', w, h, y);
      if (!Number.isFinite(f)) throw nonFiniteError('forecast', w, h, f);
      const e = f - y;
      const a = Math.abs(e);
      n[h]! += 1;
      sq[h]! += e * e;
      abs[h]! += a;
      rel[h]! += a / y;
      err[h]! += e;
    }
  }
  const toMgdl = set.unit === 'mg/dL' ? 1 : MGDL_PER_MMOL;
  const perStep: StepPointMetrics[] = [];
  const total: Acc = { n: 0, sq: 0, abs: 0, rel: 0, err: 0 };
  for (let h = 0; h < forecastLength; h++) {
    const acc: Acc = { n: n[h]!, sq: sq[h]!, abs: abs[h]!, rel: rel[h]!, err: err[h]! };
    total.n += acc.n;
    total.sq += acc.sq;
    total.abs += acc.abs;
    total.rel += acc.rel;
    total.err += acc.err;
    perStep.push({ step: h + 1, minutes: (h + 1) * resolutionMin, ...finish(acc, toMgdl) });
  }
  return { resolutionMin, perStep, overall: finish(total, toMgdl) };
}

/** The metrics of the step `minutes` ahead (e.g. 30, 60, 120). */
export function pointMetricsAt(metrics: PointMetrics, minutes: number): StepPointMetrics {
  const step = stepForMinutes(minutes, metrics.resolutionMin, metrics.perStep.length);
  return metrics.perStep[step - 1]!;
}

/** Point metrics at each of the given minutes that fall on the grid within the horizon; others are skipped. */
export function pointMetricsAtMinutes(metrics: PointMetrics, minutes: readonly number[] = REPORT_MINUTES): StepPointMetrics[] {
  return stepsForMinutes(minutes, metrics.resolutionMin, metrics.perStep.length).map((s) => metrics.perStep[s.step - 1]!);
}

/**
 * Trajectory-averaged RMSE: the mean over steps 1…(upToMinutes/res) of the per-step RMSE
 * (GlucoBench's convention). Because early steps are far easier, this is much smaller than
 * the RMSE at `upToMinutes` itself: never compare one with the other. Steps with no scored
 * target are left out of the mean; null when none has one.
 */
export function trajectoryRmse(metrics: PointMetrics, upToMinutes: number, unit: GlucoseUnit): number | null {
  const last = stepForMinutes(upToMinutes, metrics.resolutionMin, metrics.perStep.length);
  let sum = 0;
  let count = 0;
  for (let h = 0; h < last; h++) {
    const s = metrics.perStep[h]!;
    const v = unit === 'mg/dL' ? s.rmseMgdl : s.rmseMmoll;
    if (v === null) continue;
    sum += v;
    count++;
  }
  return count === 0 ? null : sum / count;
}

/**
 * Skill = 1 − RMSE / RMSE_persistence: 0 = as good as persistence, 1 = perfect, negative = worse.
 * Null when either is undefined or persistence is perfect (0/0 has no meaning here).
 */
export function skillScore(rmse: number | null, rmsePersistence: number | null): number | null {
  if (rmse === null || rmsePersistence === null || !(rmsePersistence > 0)) return null;
  return 1 - rmse / rmsePersistence;
}

/** Per-step skill of `model` against `persistence`, both scored on the same windows. */
export function skillPerStep(model: PointMetrics, persistence: PointMetrics): (number | null)[] {
  if (model.perStep.length !== persistence.perStep.length || model.resolutionMin !== persistence.resolutionMin) {
    throw new StudioError('INVALID_INPUT', 'Skill needs the model and persistence scored on the same forecast length and resolution.');
  }
  return model.perStep.map((s, h) => skillScore(s.rmseMgdl, persistence.perStep[h]!.rmseMgdl));
}
