/**
 * Clinical CGM summary for reports (international consensus on CGM metrics, Battelino et al.,
 * Diabetes Care 2019): days of data, sensor wear, mean, SD, CV, GMI, time in ranges and
 * the ambulatory glucose profile (AGP), with sufficiency rules that withhold GMI and AGP, with
 * a reason, when the data are too thin to support them.
 *
 * Conventions (also in docs/evaluation.md):
 * - Period: [start, end) half-open; default start = first reading, end = last reading + one
 *   resolution step. Days of data = (end − start) / 24 h.
 * - Sensor wear = distinct `resolutionMin` slots of the period holding a valid reading / slots
 *   in the period. A valid reading is finite, > 0, inside the period and not masked (mask 0
 *   marks imputed grid values, which are not data).
 * - SD is the sample SD (n − 1); CV = SD / mean · 100.
 * - Time in ranges is the share of valid readings (equal to time with regular sampling). Each
 *   value is converted to mg/dL and rounded to the nearest integer, as meters display, then
 *   binned on integers: very low < 54, low 54–69, in range 70–180, high 181–250, very high
 *   > 250 (all edges as written, inclusive). Rounding makes the one-decimal mmol/L bands agree
 *   with the mg/dL ones: 3.9 → 70 (in range), 10.0 → 180 (in range), 10.1 → 182 (high),
 *   13.9 → 250 (high), 3.0 → 54 (low), 2.9 → 52 (very low).
 * - AGP: readings binned by hour of day in the patient's local time (UTC + offset); per hour
 *   the 5/25/50/75/95th percentiles (linear interpolation between order statistics, type 7),
 *   then each percentile curve smoothed 1-4-1 over neighbouring hours with wrap-around
 *   (23 h ↔ 0 h). An hour without readings is null and neighbours' weights are renormalised.
 * - Sufficiency: AGP withheld when fewer than 7 local calendar days have ≥ 1 h of data or
 *   wear < 70 %; GMI withheld when days of data < 14 or wear < 70 %.
 */
import { StudioError } from '../errors.js';
import type { Mask } from './types.js';
import { type GlucoseUnit, MGDL_PER_MMOL, RANGE_EDGES_MGDL } from '../units.js';

const DAY_MS = 86_400_000;
const HOUR_MS = 3_600_000;

export interface CgmSeries {
  /** UTC instants, ms, ascending. */
  timestampsMs: ArrayLike<number>;
  glucose: ArrayLike<number>;
  unit: GlucoseUnit;
  /** Local time = UTC + offset: one offset for all readings, or one per reading (DST). */
  utcOffsetMin: number | ArrayLike<number>;
  /** 1 = observed; 0 = imputed (ignored). */
  mask?: Mask;
}

export interface ClinicalOptions {
  /** Sampling interval the wear % is measured against; default 5 min. */
  resolutionMin?: number;
  periodStartMs?: number;
  periodEndMs?: number;
}

export type Withheld = { available: false; reason: string };
export type Gmi = { available: true; percent: number; mmolPerMol: number } | Withheld;

export interface TimeInRanges {
  /** Percent of valid readings; null when there are none. */
  veryLow: number | null;
  low: number | null;
  inRange: number | null;
  high: number | null;
  veryHigh: number | null;
  /** < 70 = veryLow + low. */
  below70: number | null;
  /** > 180 = high + veryHigh. */
  above180: number | null;
}

export const AGP_PERCENTILES = [5, 25, 50, 75, 95] as const;

export interface AgpProfile {
  available: true;
  /** Target band shaded on the chart, mg/dL. */
  targetBandMgdl: readonly [70, 180];
  /** Readings per local hour 0..23. */
  countsByHour: number[];
  /** [percentile index (5,25,50,75,95)][hour 0..23], mg/dL, before smoothing. */
  rawMgdl: (number | null)[][];
  /** The same after 1-4-1 smoothing with wrap-around. */
  smoothedMgdl: (number | null)[][];
}

export interface ClinicalSummary {
  periodStartMs: number;
  periodEndMs: number;
  daysOfData: number;
  /** Percent of slots with a valid reading. */
  sensorWearPercent: number;
  validReadings: number;
  /** Days (local calendar) with at least one hour of data. */
  daysWithHourOfData: number;
  meanMgdl: number | null;
  meanMmoll: number | null;
  sdMgdl: number | null;
  sdMmoll: number | null;
  cvPercent: number | null;
  gmi: Gmi;
  timeInRanges: TimeInRanges;
  agp: AgpProfile | Withheld;
}

/** Percentile by linear interpolation between order statistics (type 7) on sorted data. */
export function percentileSorted(sorted: ArrayLike<number>, p: number): number {
  const n = sorted.length;
  if (n === 0) return Number.NaN;
  const pos = (n - 1) * (p / 100);
  const lo = Math.floor(pos);
  const hi = Math.min(lo + 1, n - 1);
  return sorted[lo]! + (sorted[hi]! - sorted[lo]!) * (pos - lo);
}

export function gmiPercent(meanMgdl: number): number {
  return 3.31 + 0.02392 * meanMgdl;
}

export function gmiMmolPerMol(meanMmoll: number): number {
  return 12.71 + 4.70587 * meanMmoll;
}

/** Consensus band of one value in mg/dL: 0 very low … 4 very high, after rounding to an integer. */
export function rangeBand(mgdl: number): 0 | 1 | 2 | 3 | 4 {
  const v = Math.round(mgdl);
  if (v < RANGE_EDGES_MGDL.veryLow) return 0;
  if (v < RANGE_EDGES_MGDL.low) return 1;
  if (v <= RANGE_EDGES_MGDL.high) return 2;
  if (v <= RANGE_EDGES_MGDL.veryHigh) return 3;
  return 4;
}

/** 1-4-1 smoothing around the clock; null hours stay null and are left out of neighbours' sums. */
export function smoothCircular141(values: readonly (number | null)[]): (number | null)[] {
  const n = values.length;
  return values.map((v, i) => {
    if (v === null) return null;
    let sum = 4 * v;
    let wsum = 4;
    const prev = values[(i - 1 + n) % n]!;
    const next = values[(i + 1) % n]!;
    if (prev !== null) {
      sum += prev;
      wsum += 1;
    }
    if (next !== null) {
      sum += next;
      wsum += 1;
    }
    return sum / wsum;
  });
}

function offsetAt(offset: number | ArrayLike<number>, i: number): number {
  return typeof offset === 'number' ? offset : offset[i]!;
}

export function clinicalSummary(series: CgmSeries, options: ClinicalOptions = {}): ClinicalSummary {
  const { timestampsMs: ts, glucose, unit, utcOffsetMin, mask } = series;
  const n = ts.length;
  if (glucose.length !== n) throw new StudioError('INVALID_INPUT', `Clinical summary: ${n} timestamps but ${glucose.length} glucose values.`);
  if (typeof utcOffsetMin !== 'number' && utcOffsetMin.length !== n) {
    throw new StudioError('INVALID_INPUT', `Clinical summary: ${n} timestamps but ${utcOffsetMin.length} UTC offsets.`);
  }
  if (mask !== undefined && mask.length !== n) throw new StudioError('INVALID_INPUT', `Clinical summary: ${n} timestamps but ${mask.length} mask values.`);
  const res = options.resolutionMin ?? 5;
  if (!(res > 0)) throw new StudioError('INVALID_INPUT', `Resolution must be a positive number of minutes, got ${res}.`);
  const resMs = res * 60_000;
  for (let i = 1; i < n; i++) {
    if (!(ts[i]! >= ts[i - 1]!)) throw new StudioError('INVALID_INPUT', `Clinical summary: timestamps must be ascending (index ${i}).`);
  }
  if (n === 0 && (options.periodStartMs === undefined || options.periodEndMs === undefined)) {
    throw new StudioError('INVALID_INPUT', 'Clinical summary of an empty series needs an explicit period.');
  }
  const start = options.periodStartMs ?? ts[0]!;
  const end = options.periodEndMs ?? ts[n - 1]! + resMs;
  if (!(end > start)) throw new StudioError('INVALID_INPUT', `Clinical summary: period end ${end} is not after start ${start}.`);
  const slots = Math.ceil((end - start) / resMs);
  const daysOfData = (end - start) / DAY_MS;

  const toMgdl = unit === 'mg/dL' ? 1 : MGDL_PER_MMOL;
  const values: number[] = [];
  const bands = [0, 0, 0, 0, 0];
  const hourly: number[][] = Array.from({ length: 24 }, () => []);
  const slotSeen = new Set<number>();
  const slotsPerLocalDay = new Map<number, Set<number>>();
  let sum = 0;
  for (let i = 0; i < n; i++) {
    const t = ts[i]!;
    const g = glucose[i]!;
    if (t < start || t >= end) continue;
    if (mask !== undefined && mask[i] === 0) continue;
    if (!Number.isFinite(g) || g <= 0) continue;
    const mg = g * toMgdl;
    values.push(mg);
    sum += mg;
    bands[rangeBand(mg)]! += 1;
    const slot = Math.floor((t - start) / resMs);
    slotSeen.add(slot);
    const local = t + offsetAt(utcOffsetMin, i) * 60_000;
    const day = Math.floor(local / DAY_MS);
    const hour = Math.floor((local - day * DAY_MS) / HOUR_MS);
    hourly[hour]!.push(mg);
    let daySlots = slotsPerLocalDay.get(day);
    if (daySlots === undefined) slotsPerLocalDay.set(day, (daySlots = new Set<number>()));
    daySlots.add(slot);
  }
  const count = values.length;
  const wear = Math.min(100, (slotSeen.size / slots) * 100);
  let daysWithHour = 0;
  for (const s of slotsPerLocalDay.values()) if (s.size * res >= 60) daysWithHour++;

  const mean = count === 0 ? null : sum / count;
  let sd: number | null = null;
  if (mean !== null && count >= 2) {
    let ss = 0;
    for (const v of values) ss += (v - mean) ** 2;
    sd = Math.sqrt(ss / (count - 1));
  }
  const pct = (k: number): number | null => (count === 0 ? null : (k / count) * 100);

  let gmi: Gmi;
  if (mean === null) gmi = { available: false, reason: 'No valid glucose readings in the period.' };
  else if (daysOfData < 14) gmi = { available: false, reason: `GMI needs at least 14 days of data; this period has ${daysOfData.toFixed(1)}.` };
  else if (wear < 70) gmi = { available: false, reason: `GMI needs at least 70 % sensor wear; this period has ${wear.toFixed(1)} %.` };
  else gmi = { available: true, percent: gmiPercent(mean), mmolPerMol: gmiMmolPerMol(mean / MGDL_PER_MMOL) };

  let agp: AgpProfile | Withheld;
  if (daysWithHour < 7) agp = { available: false, reason: `The AGP needs at least 7 days with an hour of data or more; this period has ${daysWithHour}.` };
  else if (wear < 70) agp = { available: false, reason: `The AGP needs at least 70 % sensor wear; this period has ${wear.toFixed(1)} %.` };
  else {
    const raw = AGP_PERCENTILES.map(() => new Array<number | null>(24).fill(null));
    for (let h = 0; h < 24; h++) {
      const bin = hourly[h]!;
      if (bin.length === 0) continue;
      const sorted = Float64Array.from(bin).sort();
      AGP_PERCENTILES.forEach((p, k) => (raw[k]![h] = percentileSorted(sorted, p)));
    }
    agp = {
      available: true,
      targetBandMgdl: [RANGE_EDGES_MGDL.low, RANGE_EDGES_MGDL.high],
      countsByHour: hourly.map((b) => b.length),
      rawMgdl: raw,
      smoothedMgdl: raw.map(smoothCircular141),
    };
  }

  return {
    periodStartMs: start,
    periodEndMs: end,
    daysOfData,
    sensorWearPercent: wear,
    validReadings: count,
    daysWithHourOfData: daysWithHour,
    meanMgdl: mean,
    meanMmoll: mean === null ? null : mean / MGDL_PER_MMOL,
    sdMgdl: sd,
    sdMmoll: sd === null ? null : sd / MGDL_PER_MMOL,
    cvPercent: sd === null || mean === null ? null : (sd / mean) * 100,
    gmi,
    timeInRanges: {
      veryLow: pct(bands[0]!),
      low: pct(bands[1]!),
      inRange: pct(bands[2]!),
      high: pct(bands[3]!),
      veryHigh: pct(bands[4]!),
      below70: pct(bands[0]! + bands[1]!),
      above180: pct(bands[3]! + bands[4]!),
    },
    agp,
  };
}
