// The unit type, factor and conversions live in the engine (shared with reports and metrics).
import { MGDL_PER_MMOL, mmolToUnit, RANGE_EDGES_MGDL, rangeLabels, type GlucoseUnit } from '../../src-main/engine/units.js';

export { MGDL_PER_MMOL, mgdlToUnit, toMmol, type GlucoseUnit } from '../../src-main/engine/units.js';

/** Glucose is stored in mmol/L; every displayed number goes through here. */
export const fromMmol = mmolToUnit;

/** Decimals shown for a unit: whole mg/dL, one decimal for mmol/L. */
export function glucoseDecimals(unit: GlucoseUnit): number {
  return unit === 'mg/dL' ? 0 : 1;
}

export function formatGlucose(valueMmol: number | null, unit: GlucoseUnit): string {
  if (valueMmol === null || !Number.isFinite(valueMmol)) return '—';
  return fromMmol(valueMmol, unit).toFixed(glucoseDecimals(unit));
}

/** The number with its unit, e.g. "180 mg/dL" or "10.0 mmol/L". */
export function formatGlucoseWithUnit(valueMmol: number | null, unit: GlucoseUnit): string {
  const s = formatGlucose(valueMmol, unit);
  return s === '—' ? s : `${s} ${unit}`;
}

/** Consensus glucose ranges; `below` is the first whole mg/dL outside the band (high edges are inclusive). */
export const RANGES = [
  { key: 'veryLow', label: 'Very low', cssVar: '--range-very-low', below: RANGE_EDGES_MGDL.veryLow },
  { key: 'low', label: 'Low', cssVar: '--range-low', below: RANGE_EDGES_MGDL.low },
  { key: 'inRange', label: 'In range', cssVar: '--range-in', below: RANGE_EDGES_MGDL.high + 1 },
  { key: 'high', label: 'High', cssVar: '--range-high', below: RANGE_EDGES_MGDL.veryHigh + 1 },
  { key: 'veryHigh', label: 'Very high', cssVar: '--range-very-high', below: Infinity },
] as const;

/** Band index 0 (very low) … 4 (very high) of a value in mmol/L, after rounding to whole mg/dL as meters do. */
export function rangeIndex(valueMmol: number): number {
  const mg = Math.round(valueMmol * MGDL_PER_MMOL);
  for (let i = 0; i < RANGES.length; i++) if (mg < RANGES[i]!.below) return i;
  return RANGES.length - 1;
}

/** "< 54", "54–69", "70–180", "181–250", "> 250" mg/dL, or the consensus mmol/L labels. */
export function rangeLabel(index: number, unit: GlucoseUnit): string {
  return rangeLabels(unit)[RANGES[Math.min(Math.max(0, index), 4)]!.key];
}
