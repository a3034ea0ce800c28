export type GlucoseUnit = 'mg/dL' | 'mmol/L';
export const MGDL_PER_MMOL = 18.018;

/** Glucose is stored in mmol/L; every displayed number goes through here. */
export function fromMmol(valueMmol: number, unit: GlucoseUnit): number {
  return unit === 'mg/dL' ? valueMmol * MGDL_PER_MMOL : valueMmol;
}

/** A value the user typed or a threshold defined in mg/dL, back to mmol/L. */
export function toMmol(value: number, unit: GlucoseUnit): number {
  return unit === 'mg/dL' ? value / MGDL_PER_MMOL : value;
}

export function mgdlToUnit(mgdl: number, unit: GlucoseUnit): number {
  return unit === 'mg/dL' ? mgdl : mgdl / MGDL_PER_MMOL;
}

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

/** A threshold defined in mg/dL (the consensus bands) shown in the display unit. */
export function formatMgdlThreshold(mgdl: number, unit: GlucoseUnit): string {
  return unit === 'mg/dL' ? `${mgdl}` : (mgdl / MGDL_PER_MMOL).toFixed(1);
}

/** Consensus glucose ranges (DESIGN.md §9), edges in mg/dL as integers. */
export const RANGES = [
  { key: 'veryLow', label: 'Very low', cssVar: '--range-very-low', below: 54 },
  { key: 'low', label: 'Low', cssVar: '--range-low', below: 70 },
  { key: 'inRange', label: 'In range', cssVar: '--range-in', below: 181 },
  { key: 'high', label: 'High', cssVar: '--range-high', below: 251 },
  { key: 'veryHigh', label: 'Very high', cssVar: '--range-very-high', below: Infinity },
] as const;
export type RangeKey = (typeof RANGES)[number]['key'];

/** Band index 0 (very low) … 4 (very high) of a value in mmol/L, after rounding to whole mg/dL as meters do. */
export function rangeIndex(valueMmol: number): number {
  const mg = Math.round(valueMmol * MGDL_PER_MMOL);
  for (let i = 0; i < RANGES.length; i++) if (mg < RANGES[i]!.below) return i;
  return RANGES.length - 1;
}

/** "< 54", "54–69", "70–180", "181–250", "> 250" mg/dL, or the consensus mmol/L labels. */
export function rangeLabel(index: number, unit: GlucoseUnit): string {
  const labels = unit === 'mg/dL' ? ['< 54', '54–69', '70–180', '181–250', '> 250'] : ['< 3.0', '3.0–3.8', '3.9–10.0', '10.1–13.9', '> 13.9'];
  return labels[Math.min(Math.max(0, index), 4)]!;
}
