/**
 * Evaluation of a model beside the baselines (DESIGN.md §7):
 *  - windows come only from the split's test part, reported separately for in-distribution
 *    patients (the tail of training patients) and unseen (holdout) patients;
 *  - every model is scored on the same windows; imputed targets are never scored (mask 0);
 *  - intervals: split-conformal per horizon step calibrated on the validation part, with
 *    their empirical coverage on test;
 *  - persistence, ridge (fitted on train) and log-AR2 are always reported beside the model.
 */
import { StudioError } from '../errors.js';
import type { WindowDescriptor } from '../data/windows.js';
import { evaluateForecastSet, pointMetricsAtMinutes, REPORT_MINUTES, skillScore, trajectoryRmse, type EvaluationResult } from '../metrics/index.js';
import type { EvaluationReport, GroupReport, ModelSummary } from './evaluation-report.js';
import { calibrateConformal, conformalIntervals, type ConformalCalibration } from './conformal.js';
import { partWindows, type PreparedData } from './data.js';
import { glucoseWindows } from './ttm-model.js';
import { ar2Model, fitRidgeOnSplit, persistenceModel, ridgeWindowModel, type WindowModel } from './window-models.js';

export interface EvaluateModelsOptions {
  contextLength: number;
  horizon: number;
  /** Bins between test windows (1 = every window). */
  stride?: number;
  levels?: readonly number[];
  /**
   * Which part is scored: the test part (default), or the validation part of the training
   * patients, for choosing a recipe without looking at test data (no intervals then: the
   * validation part is what calibrates them).
   */
  part?: 'test' | 'val';
  /** Report at these minutes (those on the grid within the horizon). */
  minutes?: readonly number[];
  signal?: AbortSignal;
  onProgress?: (done: number, total: number, what: string) => void;
}

function summarize(model: string, windows: number, r: EvaluationResult, persistence: EvaluationResult | null, minutes: readonly number[]): ModelSummary {
  const at = pointMetricsAtMinutes(r.point, minutes).map((s) => ({
    minutes: s.minutes,
    n: s.n,
    rmseMgdl: s.rmseMgdl,
    rmseMmoll: s.rmseMmoll,
    maeMgdl: s.maeMgdl,
    maeMmoll: s.maeMmoll,
    mard: s.mard,
  }));
  const trajMinutes = Math.min(60, r.point.perStep.length * r.point.resolutionMin);
  const skill = at.map((s) => {
    const p = persistence === null ? null : (persistence.point.perStep.find((x) => x.minutes === s.minutes)?.rmseMgdl ?? null);
    return { minutes: s.minutes, skill: skillScore(s.rmseMgdl, p) };
  });
  return {
    model,
    windows,
    scoredTargets: r.point.overall.n,
    at,
    trajectoryRmseMgdl: trajectoryRmse(r.point, trajMinutes, 'mg/dL'),
    trajectoryRmseMinutes: trajMinutes,
    clarkeAB: r.clarke.overall.aPlusB,
    parkesAB: r.parkes.overall.aPlusB,
    hypoByHorizon: r.hypoByHorizon,
    coverage: Object.entries(r.coverage).map(([level, c]) => ({ level: Number(level), coverage: c.overall.coverage, meanWidthMmoll: c.overall.meanWidth })),
    skill,
    full: r,
  };
}

/** The baselines every evaluation reports; ridge is fitted on the training part here. */
export function baselineModels(data: PreparedData, geometry: { contextLength: number; horizon: number }, notes: string[]): WindowModel[] {
  const models: WindowModel[] = [persistenceModel];
  try {
    models.push(ridgeWindowModel(fitRidgeOnSplit(data, geometry).model));
  } catch (e) {
    notes.push(`ridge baseline unavailable: ${(e as Error).message}`);
  }
  if (data.resolutionMin === 5) models.push(ar2Model);
  else notes.push(`log-AR2 baseline skipped: its coefficients are for 5-minute data (this grid is ${data.resolutionMin} min).`);
  return models;
}

/**
 * Scores `models` (the model under test first, then baselines) on the test windows. Each model
 * is calibrated on the validation part (conformal, per step) before it is scored.
 */
export async function evaluateModels(data: PreparedData, models: readonly WindowModel[], o: EvaluateModelsOptions): Promise<EvaluationReport> {
  const geometry = { contextLength: o.contextLength, horizon: o.horizon };
  const stride = o.stride ?? 1;
  const levels = [...(o.levels ?? [0.8, 0.95])];
  const minutes = o.minutes ?? REPORT_MINUTES;
  const notes: string[] = [];
  const part = o.part ?? 'test';
  const cal = part === 'val' ? [] : partWindows(data, 'val', { contextLength: o.contextLength, forecastLength: o.horizon, stride, role: 'train' });
  const calTruth = glucoseWindows(data, cal, o.contextLength, o.horizon);
  const groups: { group: GroupReport['group']; windows: WindowDescriptor[] }[] =
    part === 'val'
      ? [{ group: 'in_distribution', windows: partWindows(data, 'val', { contextLength: o.contextLength, forecastLength: o.horizon, stride, role: 'train' }) }]
      : [
          {
            group: 'in_distribution',
            windows: partWindows(data, 'test', { contextLength: o.contextLength, forecastLength: o.horizon, stride, role: 'train' }),
          },
          {
            group: 'unseen_patients',
            windows: partWindows(data, 'test', { contextLength: o.contextLength, forecastLength: o.horizon, stride, role: 'holdout' }),
          },
        ];
  if (groups.every((g) => g.windows.length === 0)) {
    throw new StudioError(
      'INVALID_INPUT',
      part === 'val'
        ? `The split's validation part holds no window of ${o.contextLength} + ${o.horizon} steps; use a larger validation fraction or a shorter context.`
        : `The split's test part holds no window of ${o.contextLength} + ${o.horizon} steps; use a larger test fraction or a shorter context.`,
    );
  }
  if (part === 'val') notes.push('Scored on the validation part of the training patients (for choosing a recipe); intervals are not calibrated.');
  const total = models.length * (1 + groups.length);
  let done = 0;
  const tick = (what: string): void => {
    done++;
    o.onProgress?.(done, total, what);
    if (o.signal?.aborted === true) throw new StudioError('CANCELLED', 'Evaluation was cancelled.');
  };
  const calibrations = new Map<string, ConformalCalibration | null>();
  for (const m of models) {
    if (cal.length === 0) {
      calibrations.set(m.name, null);
    } else {
      const f = await m.forecast(data, cal, geometry);
      calibrations.set(
        m.name,
        calibrateConformal({ windows: cal.length, horizon: o.horizon, target: calTruth.target, forecast: f, targetMask: calTruth.targetMask }, { levels }),
      );
    }
    tick(`calibrating ${m.name}`);
  }
  if (cal.length === 0 && part === 'test') notes.push('No validation windows: prediction intervals were not calibrated.');
  const reports: GroupReport[] = [];
  for (const g of groups) {
    if (g.windows.length === 0) {
      done += models.length;
      continue;
    }
    const truth = glucoseWindows(data, g.windows, o.contextLength, o.horizon);
    const results: { name: string; r: EvaluationResult }[] = [];
    for (const m of models) {
      const f = await m.forecast(data, g.windows, geometry);
      const c = calibrations.get(m.name) ?? null;
      const intervals = c === null ? [] : conformalIntervals(c, f, g.windows.length);
      results.push({
        name: m.name,
        r: evaluateForecastSet(
          { windows: g.windows.length, horizon: o.horizon, target: truth.target, forecast: f, targetMask: truth.targetMask, unit: 'mmol/L' },
          { resolutionMin: data.resolutionMin, intervals, minutes },
        ),
      });
      tick(`scoring ${m.name}`);
    }
    const persistence = results.find((x) => x.name === 'persistence')?.r ?? null;
    reports.push({ group: g.group, windows: g.windows.length, models: results.map((x) => summarize(x.name, g.windows.length, x.r, persistence, minutes)) });
  }
  return {
    resolutionMin: data.resolutionMin,
    contextLength: o.contextLength,
    horizon: o.horizon,
    stride,
    levels,
    calibrationWindows: cal.length,
    groups: reports,
    notes,
  };
}

/** A compact table of a report (CLI, bench): model × RMSE/MAE at each minute, per group. */
export function reportRows(report: EvaluationReport): { group: string; model: string; minutes: number; rmseMgdl: number | null; maeMgdl: number | null }[] {
  return report.groups.flatMap((g) =>
    g.models.flatMap((m) => m.at.map((a) => ({ group: g.group, model: m.model, minutes: a.minutes, rmseMgdl: a.rmseMgdl, maeMgdl: a.maeMgdl }))),
  );
}
