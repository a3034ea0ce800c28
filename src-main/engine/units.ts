/**
 * Glucose units: the one home of the unit type, the mg/dL ↔ mmol/L factor, the consensus
 * range edges and the consensus time-in-range targets. Plain module (no Node imports) so the
 * renderer imports it too and the two sides cannot drift.
 *
 * The store keeps glucose in mmol/L; reports and the consensus edges are written in mg/dL.
 */

export const GLUCOSE_UNITS = ['mg/dL', 'mmol/L'] as const;
export type GlucoseUnit = (typeof GLUCOSE_UNITS)[number];

/** 1 mmol/L of glucose = 18.018 mg/dL (molar mass 180.16 g/mol ÷ 10 dL/L). */
export const MGDL_PER_MMOL = 18.018;

/** A value in `unit` in mg/dL. */
export function toMgdl(value: number, unit: GlucoseUnit): number {
  return unit === 'mg/dL' ? value : value * MGDL_PER_MMOL;
}

/** A value in `unit` in mmol/L (the stored unit). */
export function toMmol(value: number, unit: GlucoseUnit): number {
  return unit === 'mmol/L' ? value : value / MGDL_PER_MMOL;
}

/** A value in mg/dL in `unit`. */
export function mgdlToUnit(mgdl: number, unit: GlucoseUnit): number {
  return unit === 'mg/dL' ? mgdl : mgdl / MGDL_PER_MMOL;
}

/** A value in mmol/L (the stored unit) in `unit`. */
export function mmolToUnit(mmol: number, unit: GlucoseUnit): number {
  return unit === 'mg/dL' ? mmol * MGDL_PER_MMOL : mmol;
}

/**
 * Consensus range edges in mg/dL (Battelino et al., Diabetes Care 2019), as written there:
 * very low < 54, low 54–69, in range 70–180, high 181–250, very high > 250. The mmol/L
 * consensus writes them 3.0 / 3.9 / 10.0 / 13.9, which round back to these integers.
 */
export const RANGE_EDGES_MGDL = { veryLow: 54, low: 70, high: 180, veryHigh: 250 } as const;

/** The same edges as the mmol/L consensus writes them (not the exact ÷ 18.018 conversion). */
export const RANGE_EDGES_MMOL = { veryLow: 3.0, low: 3.9, high: 10.0, veryHigh: 13.9 } as const;

export type RangeBandKey = 'veryLow' | 'low' | 'inRange' | 'high' | 'veryHigh';

/**
 * The five band labels in `unit`: "< 54", "54–69", "70–180", "181–250", "> 250" mg/dL, or as
 * the mmol/L consensus writes them ("3.0–3.8", "10.1–13.9": bands step by 0.1 mmol/L).
 */
export function rangeLabels(unit: GlucoseUnit): Record<RangeBandKey, string> {
  if (unit === 'mg/dL') {
    const m = RANGE_EDGES_MGDL;
    return {
      veryLow: `< ${m.veryLow}`,
      low: `${m.veryLow}–${m.low - 1}`,
      inRange: `${m.low}–${m.high}`,
      high: `${m.high + 1}–${m.veryHigh}`,
      veryHigh: `> ${m.veryHigh}`,
    };
  }
  const e = RANGE_EDGES_MMOL;
  const f = (v: number): string => v.toFixed(1);
  return {
    veryLow: `< ${f(e.veryLow)}`,
    low: `${f(e.veryLow)}–${f(e.low - 0.1)}`,
    inRange: `${f(e.low)}–${f(e.high)}`,
    high: `${f(e.high + 0.1)}–${f(e.veryHigh)}`,
    veryHigh: `> ${f(e.veryHigh)}`,
  };
}

/**
 * The consensus time-in-range targets, in percent of readings: > 70 % in 70–180, < 25 % above
 * 180 (very high included), < 5 % above 250, < 4 % below 70 (very low included), < 1 % below 54.
 */
export const CONSENSUS_TARGETS_PCT = {
  inRangeAbove: 70,
  above180Below: 25,
  above250Below: 5,
  below70Below: 4,
  below54Below: 1,
} as const;
