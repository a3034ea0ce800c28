/**
 * Zone bookkeeping shared by the Clarke and Parkes error grids: zones are coded 0..4 for A..E
 * so classification can fill a Uint8Array without allocating strings.
 */
import { type ForecastSet, validateForecastSet, nonFiniteError } from './types.js';
import { toMgdl } from '../units.js';

export const ZONES = ['A', 'B', 'C', 'D', 'E'] as const;
export type Zone = (typeof ZONES)[number];
export const ZONE_A = 0;
export const ZONE_B = 1;
export const ZONE_C = 2;
export const ZONE_D = 3;
export const ZONE_E = 4;

export interface ZoneSummary {
  /** Number of classified pairs. */
  n: number;
  counts: Record<Zone, number>;
  /** Percent of n per zone; all null when n = 0. */
  percent: Record<Zone, number | null>;
  /** Percent in A or B. */
  aPlusB: number | null;
}

export function summarizeZoneCounts(counts: ArrayLike<number>): ZoneSummary {
  let n = 0;
  for (let z = 0; z < 5; z++) n += counts[z]!;
  const c = { A: counts[0]!, B: counts[1]!, C: counts[2]!, D: counts[3]!, E: counts[4]! };
  const pct = (k: number): number | null => (n === 0 ? null : (k / n) * 100);
  return {
    n,
    counts: c,
    percent: { A: pct(c.A), B: pct(c.B), C: pct(c.C), D: pct(c.D), E: pct(c.E) },
    aPlusB: pct(c.A + c.B),
  };
}

export interface ErrorGridResult {
  overall: ZoneSummary;
  /** Index h = horizon step h + 1. */
  perStep: ZoneSummary[];
}

/** Classifies every scored (reference, forecast) pair of a forecast set with `zoneOf` (mg/dL). */
export function errorGridOf(set: ForecastSet, zoneOf: (refMgdl: number, predMgdl: number) => number): ErrorGridResult {
  validateForecastSet(set);
  const { windows, forecastLength, target, forecast, targetMask, unit } = set;
  const counts = new Float64Array(forecastLength * 5);
  for (let w = 0; w < windows; w++) {
    for (let h = 0; h < forecastLength; h++) {
      const i = w * forecastLength + h;
      if (targetMask !== undefined && targetMask[i] === 0) continue;
      const y = target[i]!;
      const f = forecast[i]!;
      if (!Number.isFinite(y)) throw nonFiniteError('target', w, h, y);
      if (!Number.isFinite(f)) throw nonFiniteError('forecast', w, h, f);
      counts[h * 5 + zoneOf(toMgdl(y, unit), toMgdl(f, unit))]! += 1;
    }
  }
  const total = new Float64Array(5);
  const perStep: ZoneSummary[] = [];
  for (let h = 0; h < forecastLength; h++) {
    const c = counts.subarray(h * 5, h * 5 + 5);
    for (let z = 0; z < 5; z++) total[z]! += c[z]!;
    perStep.push(summarizeZoneCounts(c));
  }
  return { overall: summarizeZoneCounts(total), perStep };
}
