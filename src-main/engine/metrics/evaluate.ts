/**
 * The full evaluation metric set of one forecast set: point metrics per step,
 * Clarke and Parkes zones, hypoglycaemia detection at both levels at each reporting horizon
 * and, when intervals are given, their coverage. One call so every caller scores the same way.
 */
import { clarkeErrorGrid } from './clarke.js';
import { type CoverageResult, intervalCoverage } from './coverage.js';
import { type HypoAtHorizon, hypoByHorizon } from './hypo.js';
import { parkesErrorGrid } from './parkes.js';
import { computePointMetrics, type PointMetrics } from './point.js';
import { type FloatArray, type ForecastSet, REPORT_MINUTES } from './types.js';
import type { ErrorGridResult } from './zones.js';
import type { GlucoseUnit } from '../units.js';

export interface EvaluationResult {
  /** Unit of the scored values (hypo thresholds and interval widths are in it). */
  unit: GlucoseUnit;
  point: PointMetrics;
  clarke: ErrorGridResult;
  parkes: ErrorGridResult;
  /**
   * Hypoglycaemia detection at each reporting horizon on the grid (level 1 then level 2, each by
   * minutes): event = observed target at +h below the threshold, predicted = forecast at +h.
   */
  hypoByHorizon: HypoAtHorizon[];
  /** Keyed by nominal level, e.g. "0.8". */
  coverage: Record<string, CoverageResult>;
}

export interface EvaluateOptions {
  resolutionMin: number;
  /** Interval bounds per nominal level, same shape and unit as the forecast. */
  intervals?: readonly { level: number; lower: FloatArray; upper: FloatArray }[];
  /** Lead times for hypoglycaemia detection (those on the grid within the horizon); default 30, 60, 120. */
  minutes?: readonly number[];
}

export function evaluateForecastSet(set: ForecastSet, options: EvaluateOptions): EvaluationResult {
  const coverage: Record<string, CoverageResult> = {};
  for (const iv of options.intervals ?? []) {
    const base = { windows: set.windows, forecastLength: set.forecastLength, target: set.target, lower: iv.lower, upper: iv.upper };
    coverage[String(iv.level)] = intervalCoverage(set.targetMask === undefined ? base : { ...base, targetMask: set.targetMask });
  }
  return {
    unit: set.unit,
    point: computePointMetrics(set, options.resolutionMin),
    clarke: clarkeErrorGrid(set),
    parkes: parkesErrorGrid(set),
    hypoByHorizon: hypoByHorizon(set, options.resolutionMin, options.minutes ?? REPORT_MINUTES),
    coverage,
  };
}
