/**
 * Evaluation of a model beside the baselines:
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
import type { EvaluationReport, GroupReport, ModelSummary, WindowAccount } from './evaluation-report.js';
import { calibrateConformal, conformalIntervals, type ConformalCalibration } from './conformal.js';
import { partWindows, type PreparedData } from '../data/prepared-data.js';
import { partRanges } from '../data/splits.js';
import { glucoseWindows } from '../ttm/study-model.js';
import { ar2Model, fitRidgeOnSplit, persistenceModel, ridgeWindowModel, type WindowModel } from './window-models.js';

export interface EvaluateModelsOptions {
  contextLength: number;
  forecastLength: number;
  /** Bins between test windows (1 = every window). */
  stride?: number;
  levels?: readonly number[];
  /**
   * Which part is scored: the test part (default), or the validation part of the training
   * patients, for choosing a recipe without looking at test data (no intervals then: the
   * validation part is what calibrates them).
   */
  part?: 'test' | 'val';
  /** Report at these minutes (those on the grid within the forecast length). */
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
export function baselineModels(data: PreparedData, geometry: { contextLength: number; forecastLength: number }, notes: string[]): WindowModel[] {
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
  const geometry = { contextLength: o.contextLength, forecastLength: o.forecastLength };
  const stride = o.stride ?? 1;
  const levels = [...(o.levels ?? [0.8, 0.95])];
  const minutes = o.minutes ?? REPORT_MINUTES;
  const notes: string[] = [];
  const part = o.part ?? 'test';
  const cal = part === 'val' ? [] : partWindows(data, 'val', { contextLength: o.contextLength, forecastLength: o.forecastLength, stride, role: 'train' });
  const calTruth = glucoseWindows(data, cal, o.contextLength, o.forecastLength);
  const groups: { group: GroupReport['group']; role: 'train' | 'holdout'; windows: WindowDescriptor[] }[] =
    part === 'val'
      ? [
          {
            group: 'in_distribution',
            role: 'train',
            windows: partWindows(data, 'val', { contextLength: o.contextLength, forecastLength: o.forecastLength, stride, role: 'train' }),
          },
        ]
      : [
          {
            group: 'in_distribution',
            role: 'train',
            windows: partWindows(data, 'test', { contextLength: o.contextLength, forecastLength: o.forecastLength, stride, role: 'train' }),
          },
          {
            group: 'unseen_patients',
            role: 'holdout',
            windows: partWindows(data, 'test', { contextLength: o.contextLength, forecastLength: o.forecastLength, stride, role: 'holdout' }),
          },
        ];
  const accounts = groups.map((g) => windowAccount(data, part, g.group, g.role, g.windows, o.contextLength, o.forecastLength, stride));
  for (const a of accounts) if (a.reason !== null) notes.push(a.reason);
  if (groups.every((g) => g.windows.length === 0)) {
    const unseen = accounts.find((a) => a.group === 'unseen_patients' && a.patientsWithoutWindows.length > 0);
    const inDist = accounts.find((a) => a.group === 'in_distribution' && a.patientsWithoutWindows.length > 0);
    const advice =
      part === 'val'
        ? 'use a larger validation fraction or a shorter context'
        : [
            ...(inDist !== undefined ? ['for the training patients, a larger test fraction or a shorter context'] : []),
            ...(unseen !== undefined
              ? [
                  `for the held-out patient${unseen.patientsWithoutWindows.length === 1 ? '' : 's'} ${unseen.patientsWithoutWindows.join(', ')} (whose whole series is already test), a shorter context or a longer record`,
                ]
              : []),
          ].join('; ') || 'use a shorter context';
    throw new StudioError(
      'INVALID_INPUT',
      `The split's ${part === 'val' ? 'validation' : 'test'} part holds no window of ${o.contextLength} + ${o.forecastLength} steps; ${advice}.`,
      { windowAccount: accounts },
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
        calibrateConformal(
          { windows: cal.length, forecastLength: o.forecastLength, target: calTruth.target, forecast: f, targetMask: calTruth.targetMask },
          { levels },
        ),
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
    const truth = glucoseWindows(data, g.windows, o.contextLength, o.forecastLength);
    const results: { name: string; r: EvaluationResult }[] = [];
    for (const m of models) {
      const f = await m.forecast(data, g.windows, geometry);
      const c = calibrations.get(m.name) ?? null;
      const intervals = c === null ? [] : conformalIntervals(c, f, g.windows.length);
      results.push({
        name: m.name,
        r: evaluateForecastSet(
          { windows: g.windows.length, forecastLength: o.forecastLength, target: truth.target, forecast: f, targetMask: truth.targetMask, unit: 'mmol/L' },
          { resolutionMin: data.resolutionMin, intervals, minutes },
        ),
      });
      tick(`scoring ${m.name}`);
    }
    const persistence = results.find((x) => x.name === 'persistence')?.r ?? null;
    const account = accounts.find((a) => a.group === g.group)!;
    reports.push({
      group: g.group,
      windows: g.windows.length,
      offeredWindows: account.offered,
      patientsWithoutWindows: account.patientsWithoutWindows,
      models: results.map((x) => summarize(x.name, g.windows.length, x.r, persistence, minutes)),
    });
  }
  return {
    resolutionMin: data.resolutionMin,
    contextLength: o.contextLength,
    forecastLength: o.forecastLength,
    stride,
    levels,
    calibrationWindows: cal.length,
    groups: reports,
    windowAccount: accounts,
    notes,
  };
}

const GROUP_WORDS: Record<GroupReport['group'], string> = { in_distribution: 'in-distribution', unseen_patients: 'unseen-patient' };

/**
 * Windows of one group scored at the model's geometry against those the part offers with a
 * 1-step context (same forecast length and stride), the patients left without any window, and a
 * sentence saying why when the model's context leaves fewer.
 */
function windowAccount(
  data: PreparedData,
  part: 'test' | 'val',
  group: GroupReport['group'],
  role: 'train' | 'holdout',
  scoredWindows: readonly WindowDescriptor[],
  contextLength: number,
  forecastLength: number,
  stride: number,
): WindowAccount {
  const offeredWindows = partWindows(data, part, { contextLength: 1, forecastLength, stride, role });
  const scoredBy = new Set(scoredWindows.map((w) => w.patientId));
  const offeredBy = new Set(offeredWindows.map((w) => w.patientId));
  const patientsWithoutWindows = partRanges(data.split, part)
    .filter((r) => data.split.patients[r.externalId]?.role === role && offeredBy.has(r.patientId) && !scoredBy.has(r.patientId))
    .map((r) => r.externalId)
    .sort();
  const scored = scoredWindows.length;
  const offered = offeredWindows.length;
  let reason: string | null = null;
  if (scored < offered) {
    const share = offered > 0 ? Math.round((100 * (offered - scored)) / offered) : 0;
    const partName = part === 'val' ? 'validation' : 'test';
    const who =
      patientsWithoutWindows.length === 0
        ? ''
        : role === 'holdout'
          ? ` Held-out patient${patientsWithoutWindows.length === 1 ? '' : 's'} ${patientsWithoutWindows.join(', ')} ha${patientsWithoutWindows.length === 1 ? 's' : 've'} no stretch without a long gap of ${contextLength + forecastLength} steps; ` +
            `the whole series of a held-out patient is already test, so a shorter context or a longer record would score ${patientsWithoutWindows.length === 1 ? 'it' : 'them'}.`
          : ` Patient${patientsWithoutWindows.length === 1 ? '' : 's'} ${patientsWithoutWindows.join(', ')} ha${patientsWithoutWindows.length === 1 ? 's' : 've'} no window at all: a shorter context, or a larger ${partName} fraction, would score ${patientsWithoutWindows.length === 1 ? 'it' : 'them'}.`;
    reason =
      `${GROUP_WORDS[group]}: ${scored} of the ${offered} ${partName} windows scored (${share} % fewer): ` +
      `the model's ${contextLength}-step context must lie within one stretch of data without a long gap, so forecasts from the first ${contextLength - 1} steps of each stretch are not scored.${who}`;
  }
  return { group, scored, offered, patientsWithoutWindows, reason };
}

/** A compact table of a report (CLI, bench): model × RMSE/MAE at each minute, per group. */
export function reportRows(report: EvaluationReport): { group: string; model: string; minutes: number; rmseMgdl: number | null; maeMgdl: number | null }[] {
  return report.groups.flatMap((g) =>
    g.models.flatMap((m) => m.at.map((a) => ({ group: g.group, model: m.model, minutes: a.minutes, rmseMgdl: a.rmseMgdl, maeMgdl: a.maeMgdl }))),
  );
}
