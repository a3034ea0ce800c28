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
  windows: number;
  models: ModelSummary[];
}

export interface EvaluationReport {
  resolutionMin: number;
  contextLength: number;
  horizon: number;
  stride: number;
  levels: number[];
  calibrationWindows: number;
  groups: GroupReport[];
  notes: string[];
}
