/**
 * Raw readings and events of one patient → a regular grid. Pure: no store,
 * so the simulator and the CSV export reuse it on in-memory data.
 *
 * Bins are aligned to multiples of the resolution in UTC; bin i covers
 * [startTs + i·step, startTs + (i+1)·step). The grid spans the patient's first to last
 * usable glucose reading. Glucose is averaged per bin; doses and carbs summed; basal rate
 * carried forward (time-weighted mean per bin); heart rate averaged; steps and calories summed.
 */
import type { EventKind } from '../../store/events.js';
import { READING_FLAGS, type ReadingKind } from '../../store/readings.js';
import { imputeAll, imputeGaps, segmentsOf, type ImputeStrategy, type Segment } from '../impute.js';
import { carbsOnBoard, insulinOnBoard, DEFAULT_CARB_MODEL, DEFAULT_INSULIN_MODEL, type CarbModel, type InsulinModel } from '../physiology.js';
import { CHANNELS, TREATMENT_CHANNELS, type Channel } from './channels.js';

export interface RawReading {
  ts: number;
  bgMm: number;
  flags: number;
  kind: ReadingKind;
}

export interface RawEvent {
  ts: number;
  kind: EventKind;
  value: number;
  durationMin: number | null;
  flags: number;
}

export interface GridSettings {
  resolutionMin: number;
  /** Glucose gaps up to this long are imputed; longer ones split segments. */
  maxGapMin: number;
  /** Strategy per channel; bg_mM defaults to linear, hr_bpm to forward_fill, steps/cals to zero. */
  imputation: Partial<Record<Channel, ImputeStrategy>>;
  insulin: InsulinModel;
  carbs: CarbModel;
}

export const DEFAULT_GRID_SETTINGS: GridSettings = {
  resolutionMin: 5,
  maxGapMin: 30,
  imputation: {},
  insulin: DEFAULT_INSULIN_MODEL,
  carbs: DEFAULT_CARB_MODEL,
};

const DEFAULT_STRATEGY: Partial<Record<Channel, ImputeStrategy>> = { bg_mM: 'linear', hr_bpm: 'forward_fill', steps: 'zero', cals: 'zero' };

export function strategyFor(settings: GridSettings, channel: Channel): ImputeStrategy {
  return settings.imputation[channel] ?? DEFAULT_STRATEGY[channel] ?? 'zero';
}

export interface PatientGrid {
  patientId: number;
  startTs: number;
  stepMin: number;
  length: number;
  /** Every canonical channel; absent ones are zeros with an all-zero mask (see `absent`). */
  channels: Record<Channel, Float32Array>;
  /** 1 = observed (or computed from observed events), 0 = imputed or missing. */
  masks: Record<Channel, Uint8Array>;
  /** Channels with no source data for this patient. */
  absent: Channel[];
  /** Runs of finite glucose: windows stay inside one. */
  segments: Segment[];
}

const GLUCOSE_KINDS: ReadonlySet<ReadingKind> = new Set<ReadingKind>(['cgm', 'scan']);

/** True when a reading may enter the grid: CGM or scan, finite, not removed by a fix. */
export function usableReading(r: RawReading): boolean {
  return GLUCOSE_KINDS.has(r.kind) && (r.flags & READING_FLAGS.removed) === 0 && Number.isFinite(r.bgMm);
}

function emptyGrid(patientId: number, stepMin: number): PatientGrid {
  const channels = {} as Record<Channel, Float32Array>;
  const masks = {} as Record<Channel, Uint8Array>;
  for (const c of CHANNELS) {
    channels[c] = new Float32Array(0);
    masks[c] = new Uint8Array(0);
  }
  return { patientId, startTs: 0, stepMin, length: 0, channels, masks, absent: [...CHANNELS], segments: [] };
}

/** Adds `amount` spread evenly over [t0, t1) to the bins it overlaps. */
function spread(target: Float32Array, startTs: number, stepMs: number, t0: number, t1: number, amount: number): void {
  if (t1 <= t0) {
    const b = Math.floor((t0 - startTs) / stepMs);
    if (b >= 0 && b < target.length) target[b]! += amount;
    return;
  }
  const perMs = amount / (t1 - t0);
  let b = Math.max(0, Math.floor((t0 - startTs) / stepMs));
  const last = Math.min(target.length - 1, Math.floor((t1 - 1 - startTs) / stepMs));
  for (; b <= last; b++) {
    const lo = Math.max(t0, startTs + b * stepMs);
    const hi = Math.min(t1, startTs + (b + 1) * stepMs);
    if (hi > lo) target[b]! += perMs * (hi - lo);
  }
}

/** Builds the grid of one patient. Readings and events need not be sorted. */
export function buildPatientGrid(
  patientId: number,
  readings: readonly RawReading[],
  events: readonly RawEvent[],
  settings: GridSettings = DEFAULT_GRID_SETTINGS,
): PatientGrid {
  const stepMin = settings.resolutionMin;
  const stepMs = stepMin * 60_000;
  let first = Infinity;
  let last = -Infinity;
  for (const r of readings) {
    if (!usableReading(r)) continue;
    if (r.ts < first) first = r.ts;
    if (r.ts > last) last = r.ts;
  }
  if (first === Infinity) return emptyGrid(patientId, stepMin);
  const startTs = Math.floor(first / stepMs) * stepMs;
  const length = Math.floor((last - startTs) / stepMs) + 1;
  const endTs = startTs + length * stepMs;
  const binOf = (ts: number): number => Math.floor((ts - startTs) / stepMs);

  const channels = {} as Record<Channel, Float32Array>;
  const masks = {} as Record<Channel, Uint8Array>;
  for (const c of CHANNELS) {
    channels[c] = new Float32Array(length);
    masks[c] = new Uint8Array(length);
  }

  // glucose: mean per bin
  const counts = new Uint16Array(length);
  const bg = channels.bg_mM;
  for (const r of readings) {
    if (!usableReading(r)) continue;
    const b = binOf(r.ts);
    bg[b]! += r.bgMm;
    counts[b]!++;
  }
  for (let b = 0; b < length; b++) {
    if (counts[b]! > 0) {
      bg[b] = bg[b]! / counts[b]!;
      masks.bg_mM[b] = 1;
    }
  }

  // events
  const sorted = events.filter((e) => (e.flags & READING_FLAGS.removed) === 0 && Number.isFinite(e.value)).sort((a, b) => a.ts - b.ts);
  let hasInsulin = false;
  let hasCarbs = false;
  let hasBasal = false;
  let firstBasalTs = Infinity;
  const hrCounts = new Uint16Array(length);
  const present = { hr_bpm: false, steps: false, cals: false };
  const basal = sorted.filter((e) => e.kind === 'basal_rate');
  for (let k = 0; k < basal.length; k++) {
    const e = basal[k]!;
    hasBasal = true;
    hasInsulin = true;
    firstBasalTs = Math.min(firstBasalTs, e.ts);
    const next = k + 1 < basal.length ? basal[k + 1]!.ts : endTs;
    const until = e.durationMin !== null && e.durationMin > 0 ? Math.min(next, e.ts + e.durationMin * 60_000) : next;
    // U/h over the interval → U delivered, spread over the bins it covers
    spread(channels.dose_units, startTs, stepMs, e.ts, until, (e.value * (until - e.ts)) / 3_600_000);
  }
  // rate channel = basal delivered per bin expressed as U/h, i.e. the time-weighted rate
  for (let b = 0; b < length; b++) channels.rate[b] = (channels.dose_units[b]! * 60) / stepMin;
  for (const e of sorted) {
    const b = binOf(e.ts);
    switch (e.kind) {
      case 'bolus': {
        hasInsulin = true;
        const dur = e.durationMin !== null && e.durationMin > 0 ? e.durationMin * 60_000 : 0;
        spread(channels.bolus, startTs, stepMs, e.ts, e.ts + dur, e.value);
        spread(channels.dose_units, startTs, stepMs, e.ts, e.ts + dur, e.value);
        break;
      }
      case 'basal_dose':
        hasInsulin = true;
        if (b >= 0 && b < length) channels.dose_units[b]! += e.value;
        break;
      case 'carbs':
        hasCarbs = true;
        if (b >= 0 && b < length) channels.food_g[b]! += e.value;
        break;
      case 'hr':
        present.hr_bpm = true;
        if (b >= 0 && b < length) {
          channels.hr_bpm[b]! += e.value;
          hrCounts[b]!++;
        }
        break;
      case 'steps':
      case 'cals': {
        const c: Channel = e.kind;
        present[c] = true;
        if (b >= 0 && b < length) {
          channels[c][b]! += e.value;
          masks[c][b] = 1;
        }
        break;
      }
      default:
        break;
    }
  }
  for (let b = 0; b < length; b++) {
    if (hrCounts[b]! > 0) {
      channels.hr_bpm[b] = channels.hr_bpm[b]! / hrCounts[b]!;
      masks.hr_bpm[b] = 1;
    }
  }

  const absent: Channel[] = [];
  const treatmentsPresent = hasInsulin || hasCarbs;
  if (treatmentsPresent) {
    const ins = insulinOnBoard(channels.dose_units, stepMin, settings.insulin);
    channels.iob.set(ins.iob);
    channels.insulin_availability.set(ins.availability);
    const carb = carbsOnBoard(channels.food_g, stepMin, settings.carbs);
    channels.cob.set(carb.cob);
    channels.carb_availability.set(carb.availability);
    // No event in a bin means none was given: treatment channels are observed everywhere,
    // except the basal rate before the first basal record, which is unknown.
    for (const c of TREATMENT_CHANNELS) masks[c].fill(1);
    const firstBasalBin = hasBasal ? Math.max(0, binOf(firstBasalTs)) : length;
    masks.rate.fill(0, 0, Math.min(length, firstBasalBin));
  } else {
    absent.push(...TREATMENT_CHANNELS);
  }
  for (const c of ['hr_bpm', 'steps', 'cals'] as const) {
    if (present[c]) imputeAll(channels[c], masks[c], strategyFor(settings, c));
    else absent.push(c);
  }

  absent.sort((a, b) => CHANNELS.indexOf(a) - CHANNELS.indexOf(b));
  const maxGapBins = Math.floor(settings.maxGapMin / stepMin);
  imputeGaps(bg, masks.bg_mM, strategyFor(settings, 'bg_mM'), maxGapBins);
  return { patientId, startTs, stepMin, length, channels, masks, absent, segments: segmentsOf(bg) };
}

/** Bin index range [from, to) covering the time range [fromTs, toTs), clamped to the grid. */
export function binRange(
  grid: Pick<PatientGrid, 'startTs' | 'stepMin' | 'length'>,
  fromTs: number | undefined,
  toTs: number | undefined,
): { from: number; to: number } {
  const stepMs = grid.stepMin * 60_000;
  const from = fromTs === undefined ? 0 : Math.max(0, Math.ceil((fromTs - grid.startTs) / stepMs));
  const to = toTs === undefined ? grid.length : Math.min(grid.length, Math.ceil((toTs - grid.startTs) / stepMs));
  return { from, to: Math.max(from, to) };
}
