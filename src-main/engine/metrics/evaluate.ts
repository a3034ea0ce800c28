/**
 * The full evaluation metric set of one forecast set (DESIGN.md §7): point metrics per step,
 * Clarke and Parkes zones, hypoglycaemia detection at both levels and, when intervals are
 * given, their coverage. One call so every caller scores the same way.
 */
import { clarkeErrorGrid } from './clarke.js';
import { type CoverageResult, intervalCoverage } from './coverage.js';
import { type HypoDetection, hypoDetection } from './hypo.js';
import { parkesErrorGrid } from './parkes.js';
import { computePointMetrics, type PointMetrics } from './point.js';
import type { FloatArray, ForecastSet } from './types.js';
import type { ErrorGridResult } from './zones.js';

export interface EvaluationResult {
  point: PointMetrics;
  clarke: ErrorGridResult;
  parkes: ErrorGridResult;
  hypo: { level1: HypoDetection; level2: HypoDetection };
  /** Keyed by nominal level, e.g. "0.8". */
  coverage: Record<string, CoverageResult>;
}

export interface EvaluateOptions {
  resolutionMin: number;
  /** Interval bounds per nominal level, same shape and unit as the forecast. */
  intervals?: readonly { level: number; lower: FloatArray; upper: FloatArray }[];
}

export function evaluateForecastSet(set: ForecastSet, options: EvaluateOptions): EvaluationResult {
  const coverage: Record<string, CoverageResult> = {};
  for (const iv of options.intervals ?? []) {
    const base = { windows: set.windows, horizon: set.horizon, target: set.target, lower: iv.lower, upper: iv.upper };
    coverage[String(iv.level)] = intervalCoverage(set.targetMask === undefined ? base : { ...base, targetMask: set.targetMask });
  }
  return {
    point: computePointMetrics(set, options.resolutionMin),
    clarke: clarkeErrorGrid(set),
    parkes: parkesErrorGrid(set),
    hypo: { level1: hypoDetection(set, 1), level2: hypoDetection(set, 2) },
    coverage,
  };
}
