/**
 * The three input forms of the forecaster API (engine/index.ts), brought to one shape: patient grids
 * (the data pipeline's regular grid with observed masks and segments) plus a split.
 *
 *  - a dataset in the store (name or id), with a stored split;
 *  - a map patient id → rows (`{ datetime, bg_mM, dose_units?, food_g? … }`);
 *  - a combined table: rows with a `p_num` column.
 *
 * In-memory rows go through the same grid builder as imported data (readings → bins, short
 * gaps imputed, long gaps split segments, IOB/COB from doses and carbs), so a model sees the
 * same features whichever way the data came in. Their split is computed from the config's
 * fractions (temporal, or patient holdout with a seeded choice).
 */
import { z } from 'zod';
import type { SplitContent, SplitSpec } from './split-schema.js';
import { StudioError } from '../errors.js';
import { buildPatientGrid, DEFAULT_GRID_SETTINGS, type PatientGrid, type RawEvent, type RawReading } from './grid/build.js';
import { loadPatientGrid, type GridOptions } from './grid/access.js';
import type { Channel } from './grid/channels.js';
import { computeSplit, partRanges, useSplitForRun, type SplitPart } from './splits.js';
import { buildWindows, type WindowDescriptor } from './windows.js';
import type { Store } from '../store/index.js';

/** One row of the combined layout (`datetime,bg_mM,…,p_num`); unknown columns are ignored. */
export const SeriesRowSchema = z.looseObject({
  datetime: z.union([z.string().min(1), z.number(), z.date()]),
  p_num: z.union([z.string(), z.number()]).optional(),
  bg_mM: z.number().nullable().optional(),
  dose_units: z.number().nullable().optional(),
  food_g: z.number().nullable().optional(),
});
export type SeriesRow = z.input<typeof SeriesRowSchema>;

/** A dataset in the store, optionally with the split to use. */
export interface StoreDataRef {
  dataset: string | number;
  split?: string | number;
}

/** What fit / predict / evaluate accept (a dataset name, rows by patient, or rows with p_num, plus an explicit store ref). */
export type ForecastData = string | StoreDataRef | ReadonlyMap<string, readonly SeriesRow[]> | Record<string, readonly SeriesRow[]> | readonly SeriesRow[];

export interface PreparedData {
  grids: Map<number, PatientGrid>;
  /** patient id → external id (p_num). */
  names: Map<number, string>;
  split: SplitContent;
  resolutionMin: number;
  datasetId: number | null;
  splitId: number | null;
}

export interface PrepareOptions {
  store?: Store;
  resolutionMin?: number;
  /** Used for in-memory data and for a dataset given without a split. */
  splitSpec?: Partial<SplitSpec>;
  grid?: GridOptions;
  /** Lock the stored split (a training run uses it). */
  lockSplit?: boolean;
}

function toMs(v: string | number | Date): number {
  const t = v instanceof Date ? v.getTime() : typeof v === 'number' ? v : Date.parse(/[zZ]|[+-]\d\d:?\d\d$/.test(v) ? v : `${v.replace(' ', 'T')}Z`);
  if (!Number.isFinite(t)) throw new StudioError('INVALID_INPUT', `datetime "${String(v)}" is not a date; use ISO 8601 (UTC when no offset is given).`);
  return t;
}

/** Rows of one patient → raw readings and events for the grid builder. */
function rawFromRows(rows: readonly SeriesRow[], who: string): { readings: RawReading[]; events: RawEvent[] } {
  const readings: RawReading[] = [];
  const events: RawEvent[] = [];
  rows.forEach((input, i) => {
    const parsed = SeriesRowSchema.safeParse(input);
    if (!parsed.success) throw new StudioError('INVALID_INPUT', `Row ${i} of patient ${who} is not valid: ${parsed.error.issues[0]?.message ?? 'bad row'}.`);
    const r = parsed.data;
    const ts = toMs(r.datetime);
    if (typeof r.bg_mM === 'number' && Number.isFinite(r.bg_mM)) readings.push({ ts, bgMm: r.bg_mM, flags: 0, kind: 'cgm' });
    if (typeof r.dose_units === 'number' && r.dose_units > 0) events.push({ ts, kind: 'bolus', value: r.dose_units, durationMin: null, flags: 0 });
    if (typeof r.food_g === 'number' && r.food_g > 0) events.push({ ts, kind: 'carbs', value: r.food_g, durationMin: null, flags: 0 });
  });
  return { readings, events };
}

function groupTable(rows: readonly SeriesRow[]): Map<string, SeriesRow[]> {
  const out = new Map<string, SeriesRow[]>();
  rows.forEach((r, i) => {
    if (r.p_num === undefined || r.p_num === null) throw new StudioError('INVALID_INPUT', `Row ${i} has no p_num: a combined table needs a patient column.`);
    const k = String(r.p_num);
    const list = out.get(k);
    if (list === undefined) out.set(k, [r]);
    else list.push(r);
  });
  return out;
}

function splitFromSpec(grids: Map<number, PatientGrid>, names: Map<number, string>, spec: Partial<SplitSpec>): SplitContent {
  const spans = [...grids.values()].map((g) => ({
    patientId: g.patientId,
    externalId: names.get(g.patientId)!,
    firstTs: g.length > 0 ? g.startTs : null,
    lastTs: g.length > 0 ? g.startTs + (g.length - 1) * g.stepMin * 60_000 : null,
  }));
  return computeSplit({ kind: 'temporal', testFraction: 0.2, valFraction: 0.1, gapMin: 0, holdoutFraction: 0.1, seed: 1, ...spec }, spans);
}

function isStoreRef(d: ForecastData): d is StoreDataRef {
  return (
    typeof d === 'object' && d !== null && !Array.isArray(d) && !(d instanceof Map) && 'dataset' in d && !Array.isArray((d as { dataset: unknown }).dataset)
  );
}

/** Brings any accepted input form to grids + split. */
export function prepareData(data: ForecastData, options: PrepareOptions = {}): PreparedData {
  const resolutionMin = options.resolutionMin ?? DEFAULT_GRID_SETTINGS.resolutionMin;
  if (typeof data === 'string' || isStoreRef(data)) {
    const ref: StoreDataRef = typeof data === 'string' ? { dataset: data } : data;
    const store = options.store;
    if (store === undefined)
      throw new StudioError('INVALID_INPUT', `Dataset "${String(ref.dataset)}" is a store dataset: open a store (or pass rows instead).`);
    const ds = store.datasets.resolve(ref.dataset);
    const res = options.resolutionMin ?? ds.resolutionMin;
    const grids = new Map<number, PatientGrid>();
    const names = new Map<number, string>();
    for (const p of store.datasets.patients(ds.id)) {
      grids.set(p.id, loadPatientGrid(store, p.id, { ...options.grid, resolutionMin: res }));
      names.set(p.id, p.externalId);
    }
    let split: SplitContent;
    let splitId: number | null = null;
    if (ref.split !== undefined) {
      const row = store.splits.resolve(ds.id, ref.split);
      splitId = row;
      split = options.lockSplit === true ? useSplitForRun(store, row) : (store.splits.get(row).content as SplitContent);
    } else {
      split = splitFromSpec(grids, names, options.splitSpec ?? {});
    }
    return { grids, names, split, resolutionMin: res, datasetId: ds.id, splitId };
  }
  const byPatient: Map<string, readonly SeriesRow[]> = Array.isArray(data)
    ? groupTable(data as readonly SeriesRow[])
    : data instanceof Map
      ? new Map(data as ReadonlyMap<string, readonly SeriesRow[]>)
      : new Map(Object.entries(data as Record<string, readonly SeriesRow[]>));
  if (byPatient.size === 0) throw new StudioError('INVALID_INPUT', 'No patients in the data.');
  const grids = new Map<number, PatientGrid>();
  const names = new Map<number, string>();
  let id = 1;
  for (const [name, rows] of [...byPatient.entries()].sort(([a], [b]) => a.localeCompare(b))) {
    const raw = rawFromRows(rows, name);
    grids.set(id, buildPatientGrid(id, raw.readings, raw.events, { ...DEFAULT_GRID_SETTINGS, resolutionMin, maxGapMin: options.grid?.maxGapMin ?? 30 }));
    names.set(id, name);
    id++;
  }
  return { grids, names, split: splitFromSpec(grids, names, options.splitSpec ?? {}), resolutionMin, datasetId: null, splitId: null };
}

export interface PartWindowOptions {
  contextLength: number;
  forecastLength: number;
  stride?: number;
  /** Which test patients: in-distribution ('train' role) or unseen ('holdout'); default both. */
  role?: 'train' | 'holdout';
  /** Only these patients (external ids). */
  patients?: readonly string[];
  fromTs?: number;
  toTs?: number;
}

/**
 * Windows whose targets lie in one part of the split. Training windows lie wholly inside the
 * part; validation and test windows may take their context from before it (history is known
 * at forecast time). Windows never cross a segment or a patient.
 */
export function partWindows(data: PreparedData, part: SplitPart, o: PartWindowOptions): WindowDescriptor[] {
  const out: WindowDescriptor[] = [];
  for (const r of partRanges(data.split, part)) {
    const p = data.split.patients[r.externalId];
    if (o.role !== undefined && p?.role !== o.role) continue;
    if (o.patients !== undefined && !o.patients.includes(r.externalId)) continue;
    const grid = data.grids.get(r.patientId);
    if (grid === undefined) continue;
    out.push(
      ...buildWindows(grid, {
        contextLength: o.contextLength,
        forecastLength: o.forecastLength,
        stride: o.stride ?? 1,
        fromTs: Math.max(r.fromTs, o.fromTs ?? -Infinity),
        toTs: Math.min(r.toTs, o.toTs ?? Infinity),
        contextMayPrecede: part !== 'train',
      }),
    );
  }
  return out;
}

/** Training parts per patient, for fitting scalers and baselines on training data only. */
export function trainingParts(data: PreparedData): { grid: PatientGrid; fromTs: number; toTs: number }[] {
  return partRanges(data.split, 'train').flatMap((r) => {
    const grid = data.grids.get(r.patientId);
    return grid === undefined ? [] : [{ grid, fromTs: r.fromTs, toTs: r.toTs }];
  });
}

/** Channels whose absence in every grid would make a model's input meaningless. */
export function checkChannelsPresent(data: PreparedData, channels: readonly Channel[]): void {
  for (const c of channels) {
    if (c === 'bg_mM') continue;
    const everywhere = [...data.grids.values()].every((g) => g.absent.includes(c));
    if (everywhere) throw new StudioError('INVALID_INPUT', `Channel "${c}" has no data in any patient; remove it from input_features.`);
  }
}
