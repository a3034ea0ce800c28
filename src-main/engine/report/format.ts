/**
 * Number and unit formatting for reports. Every glucose figure is stored in mg/dL in the
 * report inputs and converted once here, so one setting (mg/dL or mmol/L) drives every
 * number and axis. Missing values print as an em dash, never as 0.
 */
import { CONSENSUS_TARGETS_PCT, type GlucoseUnit, mgdlToUnit, RANGE_EDGES_MGDL, RANGE_EDGES_MMOL } from '../units.js';

export const DASH = '—';

export function toUnit(mgdl: number, unit: GlucoseUnit): number {
  return mgdlToUnit(mgdl, unit);
}

/** Decimals a glucose level is shown with: whole mg/dL, or one decimal in mmol/L (as meters show). */
export function levelDecimals(unit: GlucoseUnit): number {
  return unit === 'mg/dL' ? 0 : 1;
}

/** Decimals of an error (RMSE, MAE, SD, width): one more than a level. */
export function errorDecimals(unit: GlucoseUnit): number {
  return unit === 'mg/dL' ? 1 : 2;
}

export function num(v: number | null | undefined, decimals: number): string {
  if (v === null || v === undefined || !Number.isFinite(v)) return DASH;
  const s = v.toFixed(decimals);
  // "-0.0" reads as a sign error in a clinical table.
  return /^-0(\.0+)?$/.test(s) ? s.slice(1) : s;
}

export function glucose(mgdl: number | null | undefined, unit: GlucoseUnit): string {
  return mgdl === null || mgdl === undefined ? DASH : num(toUnit(mgdl, unit), levelDecimals(unit));
}

export function glucoseError(mgdl: number | null | undefined, unit: GlucoseUnit): string {
  return mgdl === null || mgdl === undefined ? DASH : num(toUnit(mgdl, unit), errorDecimals(unit));
}

export function pct(v: number | null | undefined, decimals = 1): string {
  return num(v, decimals);
}

/** A fraction in [0, 1] as a percentage. */
export function fractionPct(v: number | null | undefined, decimals = 1): string {
  return v === null || v === undefined ? DASH : num(v * 100, decimals);
}

export function int(v: number | null | undefined): string {
  return v === null || v === undefined || !Number.isFinite(v) ? DASH : Math.round(v).toLocaleString('en-US');
}

/** Consensus range edges in the display unit (3.0/3.9/10.0/13.9 mmol/L as the consensus writes them). */
export { rangeLabels } from '../units.js';

/**
 * The international consensus targets for time in ranges (Battelino et al., Diabetes Care 2019),
 * one per range row, with the threshold each one is about written in the display unit:
 * > 70 % in 70–180, < 25 % above 180, < 5 % above 250, < 4 % below 70, < 1 % below 54 mg/dL.
 * The "above 180" and "below 70" targets include the very high / very low ranges.
 */
export function consensusTargets(unit: GlucoseUnit): { veryLow: string; low: string; inRange: string; high: string; veryHigh: string } {
  const e = unit === 'mg/dL' ? RANGE_EDGES_MGDL : RANGE_EDGES_MMOL;
  const f = (v: number): string => v.toFixed(levelDecimals(unit));
  const p = CONSENSUS_TARGETS_PCT;
  return {
    veryHigh: `< ${p.above250Below} % (above ${f(e.veryHigh)})`,
    high: `< ${p.above180Below} % (above ${f(e.high)})`,
    inRange: `> ${p.inRangeAbove} % (${f(e.low)}–${f(e.high)})`,
    low: `< ${p.below70Below} % (below ${f(e.low)})`,
    veryLow: `< ${p.below54Below} % (below ${f(e.veryLow)})`,
  };
}

/** UTC instant → "2024-01-01 14:05" in the given offset, with the zone named. */
export function localTime(ts: number, offsetMin: number): string {
  const d = new Date(ts + offsetMin * 60_000);
  return d.toISOString().slice(0, 16).replace('T', ' ');
}

export function offsetName(offsetMin: number, timeZone: string | null): string {
  if (timeZone !== null && timeZone !== '') return timeZone;
  const sign = offsetMin < 0 ? '−' : '+';
  const a = Math.abs(offsetMin);
  return `UTC${sign}${String(Math.floor(a / 60)).padStart(2, '0')}:${String(a % 60).padStart(2, '0')}`;
}

export function duration(ms: number | null | undefined): string {
  if (ms === null || ms === undefined || !Number.isFinite(ms) || ms < 0) return DASH;
  const s = Math.round(ms / 1000);
  if (s < 60) return `${s} s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m} min ${s % 60} s`;
  return `${Math.floor(m / 60)} h ${m % 60} min`;
}
