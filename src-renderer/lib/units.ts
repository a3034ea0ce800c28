export type GlucoseUnit = 'mg/dL' | 'mmol/L';
export const MGDL_PER_MMOL = 18.018;

/** Glucose is stored in mmol/L; every displayed number goes through here. */
export function fromMmol(valueMmol: number, unit: GlucoseUnit): number {
  return unit === 'mg/dL' ? valueMmol * MGDL_PER_MMOL : valueMmol;
}

export function formatGlucose(valueMmol: number | null, unit: GlucoseUnit): string {
  if (valueMmol === null || !Number.isFinite(valueMmol)) return '—';
  const v = fromMmol(valueMmol, unit);
  return unit === 'mg/dL' ? v.toFixed(0) : v.toFixed(1);
}
