/**
 * Patient traces for the charts: merging the chunks `patients.trace` returns, splitting
 * observed from imputed glucose, treatment markers, gaps, and the clinical summary and AGP
 * computed from the same points (so the chart and its numbers always agree).
 */
import type { PatientTrace } from '../../src-main/engine/api/contract.js';
import { clinicalSummary } from '../../src-main/engine/metrics/clinical.js';
import { patientOffsetMin, type PatientZone } from './format.js';
import { MGDL_PER_MMOL, rangeIndex } from './units.js';

/** One patient's grid over a range, flattened from one or more trace responses. */
export interface TraceData {
  stepMin: number;
  /** UTC ms of each bin start, ascending, no duplicates. */
  ts: number[];
  /** mmol/L; null where missing (a gap longer than the imputation limit). */
  glucose: (number | null)[];
  /** 1 observed, 0 imputed or missing. */
  mask: number[];
  /** Insulin boluses (U) per bin; null when the patient has no insulin data. */
  bolus: (number | null)[] | null;
  /** Carbohydrates (g) per bin; null when the patient has no carb data. */
  carbs: (number | null)[] | null;
}

/** The server returns at most ~70 days per call; the UI asks in chunks of this many days. */
export const TRACE_CHUNK_DAYS = 60;

/** Consecutive [from, to) ranges of at most `chunkDays` covering [from, to). */
export function traceChunks(from: number, to: number, chunkDays = TRACE_CHUNK_DAYS): { from: number; to: number }[] {
  const out: { from: number; to: number }[] = [];
  const span = chunkDays * 86_400_000;
  for (let a = from; a < to; a += span) out.push({ from: a, to: Math.min(to, a + span) });
  return out;
}

/** Flattens trace responses (in time order) into one series; overlapping bins are kept once. */
export function mergeTraces(parts: PatientTrace[]): TraceData {
  const stepMin = parts[0]?.stepMin ?? 5;
  const present = (c: 'bolus' | 'food_g'): boolean => parts.some((p) => p.channels[c] !== undefined && !p.absent.includes(c));
  const hasBolus = present('bolus');
  const hasCarbs = present('food_g');
  const out: TraceData = { stepMin, ts: [], glucose: [], mask: [], bolus: hasBolus ? [] : null, carbs: hasCarbs ? [] : null };
  let last = -Infinity;
  for (const p of parts) {
    const step = p.stepMin * 60_000;
    const g = p.channels.bg_mM;
    const m = p.masks.bg_mM;
    const b = p.channels.bolus;
    const c = p.channels.food_g;
    for (let i = 0; i < p.length; i++) {
      const t = p.startTs + i * step;
      if (t <= last) continue;
      last = t;
      out.ts.push(t);
      out.glucose.push(g?.[i] ?? null);
      out.mask.push(m?.[i] ?? 0);
      out.bolus?.push(b?.[i] ?? null);
      out.carbs?.push(c?.[i] ?? null);
    }
  }
  return out;
}

export interface ChartSeries {
  /** Seconds (uPlot's unit), shifted by the patient's offset so a UTC axis shows local time. */
  x: number[];
  observed: (number | null)[];
  /** Imputed stretches, including the observed points either side so the dashes join the line. */
  imputed: (number | null)[];
  bolus: (number | null)[];
  carbs: (number | null)[];
  /** [start, end) in the same seconds as x, where glucose is missing. */
  gaps: [number, number][];
  imputedCount: number;
  /** Grid step in seconds. */
  stepS: number;
}

/**
 * uPlot data for the trace chart in the display unit. `shiftMin` moves the time axis to the
 * patient's local time (the chart formats x as UTC).
 */
export function traceSeries(d: TraceData, convert: (mmol: number) => number, zone: PatientZone): ChartSeries {
  const n = d.ts.length;
  const x = new Array<number>(n);
  const observed = new Array<number | null>(n).fill(null);
  const imputed = new Array<number | null>(n).fill(null);
  const bolus = new Array<number | null>(n).fill(null);
  const carbs = new Array<number | null>(n).fill(null);
  const gaps: [number, number][] = [];
  const fixed = zone.timeZone === null || zone.timeZone === '';
  let offset = patientOffsetMin(zone, d.ts[0] ?? 0);
  let offsetHour = -1;
  let gapStart: number | null = null;
  let imputedCount = 0;
  const stepS = d.stepMin * 60;
  for (let i = 0; i < n; i++) {
    const t = d.ts[i]!;
    if (!fixed) {
      // an IANA zone: refresh the offset once an hour of data, not per point
      const h = Math.floor(t / 3_600_000);
      if (h !== offsetHour) {
        offsetHour = h;
        offset = patientOffsetMin(zone, t);
      }
    }
    x[i] = t / 1000 + offset * 60;
    const g = d.glucose[i];
    if (g === null || g === undefined) {
      if (gapStart === null) gapStart = x[i]!;
    } else {
      if (gapStart !== null) {
        gaps.push([gapStart, x[i]!]);
        gapStart = null;
      }
      const v = convert(g);
      if (d.mask[i] === 1) observed[i] = v;
      else {
        imputed[i] = v;
        imputedCount++;
      }
    }
    const b = d.bolus?.[i];
    if (b !== null && b !== undefined && b > 0) bolus[i] = b;
    const c = d.carbs?.[i];
    if (c !== null && c !== undefined && c > 0) carbs[i] = c;
  }
  if (gapStart !== null && n > 0) gaps.push([gapStart, x[n - 1]! + stepS]);
  // join imputed runs to their observed neighbours (decided on the original split, so a
  // joined point never counts as imputed and the dashes do not run on)
  const isImputed = imputed.map((v) => v !== null);
  for (let i = 0; i < n; i++) {
    if (!isImputed[i]) continue;
    if (i > 0 && !isImputed[i - 1] && observed[i - 1] !== null) imputed[i - 1] = observed[i - 1]!;
    if (i + 1 < n && !isImputed[i + 1] && observed[i + 1] !== null) imputed[i + 1] = observed[i + 1]!;
  }
  return { x, observed, imputed, bolus, carbs, gaps, imputedCount, stepS };
}

export interface GlucoseSummary {
  days: number;
  wearPercent: number;
  readings: number;
  meanMmol: number | null;
  sdMmol: number | null;
  cvPercent: number | null;
  /** Percent of observed readings per consensus band, very low … very high. */
  ranges: number[];
  gmiPercent: number | null;
  gmiWithheld: string | null;
}

/** Consensus CGM summary of the observed (not imputed) points. */
export function glucoseSummary(d: TraceData): GlucoseSummary {
  const n = d.ts.length;
  const days = n === 0 ? 0 : (n * d.stepMin) / 1440;
  let count = 0;
  let sum = 0;
  const bands = [0, 0, 0, 0, 0];
  for (let i = 0; i < n; i++) {
    const g = d.glucose[i];
    if (d.mask[i] !== 1 || g === null || g === undefined || !Number.isFinite(g) || g <= 0) continue;
    count++;
    sum += g;
    bands[rangeIndex(g)]!++;
  }
  const mean = count === 0 ? null : sum / count;
  let sd: number | null = null;
  if (mean !== null && count >= 2) {
    let ss = 0;
    for (let i = 0; i < n; i++) {
      const g = d.glucose[i];
      if (d.mask[i] !== 1 || g === null || g === undefined || !Number.isFinite(g) || g <= 0) continue;
      ss += (g - mean) ** 2;
    }
    sd = Math.sqrt(ss / (count - 1));
  }
  const wear = n === 0 ? 0 : (count / n) * 100;
  let gmi: number | null = null;
  let gmiWithheld: string | null = null;
  if (mean === null) gmiWithheld = 'no readings';
  else if (days < 14) gmiWithheld = `needs 14 days of data (${days.toFixed(1)} shown)`;
  else if (wear < 70) gmiWithheld = `needs 70 % wear (${wear.toFixed(1)} %)`;
  else gmi = 3.31 + 0.02392 * mean * MGDL_PER_MMOL;
  return {
    days,
    wearPercent: wear,
    readings: count,
    meanMmol: mean,
    sdMmol: sd,
    cvPercent: mean !== null && sd !== null ? (sd / mean) * 100 : null,
    ranges: bands.map((b) => (count === 0 ? 0 : (b / count) * 100)),
    gmiPercent: gmi,
    gmiWithheld,
  };
}

export { AGP_PERCENTILES } from '../../src-main/engine/metrics/clinical.js';

export type Agp =
  | {
      available: true;
      /** mmol/L, [percentile][hour 0..23], smoothed 1-4-1 around the clock */ percentiles: (number | null)[][];
      countsByHour: number[];
      /** Local days with an hour of data or more. */
      days: number;
    }
  | { available: false; reason: string };

/**
 * Ambulatory glucose profile of the observed points, computed by the engine's clinical summary
 * (the data report's AGP), so the page and the report bin, smooth and withhold alike.
 */
export function computeAgp(d: TraceData, zone: PatientZone): Agp {
  const n = d.ts.length;
  if (n === 0) return { available: false, reason: 'The AGP needs at least 7 days with an hour of data or more; this period has 0.' };
  const glucose = new Float64Array(n);
  const offsets = new Float64Array(n);
  const mask = new Uint8Array(n);
  let offset = 0;
  let offsetHour = -1;
  for (let i = 0; i < n; i++) {
    const t = d.ts[i]!;
    // an IANA zone: one offset lookup per hour of data, not per point
    const h = Math.floor(t / 3_600_000);
    if (h !== offsetHour) {
      offsetHour = h;
      offset = patientOffsetMin(zone, t);
    }
    offsets[i] = offset;
    const g = d.glucose[i];
    glucose[i] = g === null || g === undefined ? Number.NaN : g;
    mask[i] = d.mask[i] === 1 ? 1 : 0;
  }
  const step = d.stepMin * 60_000;
  const { agp, daysWithHourOfData } = clinicalSummary(
    { timestampsMs: d.ts, glucose, unit: 'mmol/L', utcOffsetMin: offsets, mask },
    { resolutionMin: d.stepMin, periodStartMs: d.ts[0]!, periodEndMs: d.ts[n - 1]! + step },
  );
  if (!agp.available) return agp;
  return {
    available: true,
    percentiles: agp.smoothedMgdl.map((curve) => curve.map((v) => (v === null ? null : v / MGDL_PER_MMOL))),
    countsByHour: agp.countsByHour,
    days: daysWithHourOfData,
  };
}
