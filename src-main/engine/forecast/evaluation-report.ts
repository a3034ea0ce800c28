/**
 * The stored evaluation report (what `forecast.evaluate` writes and the Evaluate page, the
 * CLI and the reports read). Types only, importing nothing with Node dependencies, so the
 * renderer can share them instead of restating them.
 */
import type { EvaluationResult } from '../metrics/evaluate.js';
import type { HypoAtHorizon } from '../metrics/hypo.js';

export interface ModelSummary {
  model: string;
  windows: number;
  scoredTargets: number;
  at: { minutes: number; n: number; rmseMgdl: number | null; rmseMmoll: number | null; maeMgdl: number | null; maeMmoll: number | null; mard: number | null }[];
  trajectoryRmseMgdl: number | null;
  trajectoryRmseMinutes: number;
  clarkeAB: number | null;
  parkesAB: number | null;
  /**
   * Hypoglycaemia detection at each reported minute (level 1 < 3.9 mmol/L, then level 2 < 3.0):
   * event = observed target at +h below the threshold, predicted = forecast at +h below it;
   * windows with an imputed target at +h are not counted there. Same entries as `full.hypoByHorizon`.
   * Absent from reports stored before per-horizon scoring.
   */
  hypoByHorizon: HypoAtHorizon[];
  coverage: { level: number; coverage: number | null; meanWidthMmoll: number | null }[];
  /** 1 − RMSE/RMSE_persistence at each reported minute. */
  skill: { minutes: number; skill: number | null }[];
  full: EvaluationResult;
}

export interface GroupReport {
  group: 'in_distribution' | 'unseen_patients';
  /** Windows scored: those with the model's whole context (and forecast) in one segment. */
  windows: number;
  /**
   * Windows the part offers at the shortest geometry (a 1-step context, the same forecast length
   * and stride): what a model with a shorter context could score. Absent from older reports.
   */
  offeredWindows?: number;
  /** Patients of this group with targets in the part but no window of the model's geometry. */
  patientsWithoutWindows?: string[];
  models: ModelSummary[];
}

/** Windows scored against windows offered, per group, and why fewer (one line for people). */
export interface WindowAccount {
  group: GroupReport['group'];
  scored: number;
  offered: number;
  patientsWithoutWindows: string[];
  reason: string | null;
}

export interface EvaluationReport {
  resolutionMin: number;
  contextLength: number;
  forecastLength: number;
  stride: number;
  levels: number[];
  calibrationWindows: number;
  groups: GroupReport[];
  /**
   * Windows scored vs offered per group (also for groups without any window), and why a
   * model's context leaves fewer. Absent from reports stored before it was recorded.
   */
  windowAccount?: WindowAccount[];
  notes: string[];
  /**
   * The evaluated model: its registered name is the `model` of its rows (the rows after it are
   * the baselines); `zeroShot` when it had no preprocessor of its own. Absent from reports
   * stored before models were named, whose first row is called "ttm" or "ttm-zero-shot".
   */
  model?: { id: number | null; name: string; zeroShot: boolean };
}

/** One model's headline errors in one group: RMSE and MAE (mg/dL) at 30 and 60 minutes. */
export interface HeadlineRow {
  group: string;
  model: string;
  windows: number;
  rmse30: number | null;
  mae30: number | null;
  rmse60: number | null;
  mae60: number | null;
}

/** Whether a row is the evaluated model's: its registered name, or "ttm…" in reports stored before models were named. */
export function isEvaluatedModelRow(report: EvaluationReport, model: string): boolean {
  return report.model !== undefined ? model === report.model.name : model.startsWith('ttm');
}

/**
 * The headline rows of a report, group by group. `rename` relabels the evaluated model's rows
 * (e.g. "TTM zero-shot"); `onlyEvaluated` drops the baselines.
 */
export function headlineRows(report: EvaluationReport, o: { rename?: string; onlyEvaluated?: boolean } = {}): HeadlineRow[] {
  const rows: HeadlineRow[] = [];
  for (const g of report.groups) {
    for (const m of g.models) {
      const evaluated = isEvaluatedModelRow(report, m.model);
      if (o.onlyEvaluated === true && !evaluated) continue;
      const at = (min: number) => m.at.find((a) => a.minutes === min);
      rows.push({
        group: g.group,
        model: evaluated && o.rename !== undefined ? o.rename : m.model,
        windows: g.windows,
        rmse30: at(30)?.rmseMgdl ?? null,
        mae30: at(30)?.maeMgdl ?? null,
        rmse60: at(60)?.rmseMgdl ?? null,
        mae60: at(60)?.maeMgdl ?? null,
      });
    }
  }
  return rows;
}
