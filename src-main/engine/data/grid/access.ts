/**
 * Programmatic data access for training, forecasting, quality checks and charts:
 * a patient's grid, built from the store's raw readings/events and cached in the `grids`
 * table until its inputs or settings change.
 */
import { createHash } from 'node:crypto';
import { StudioError } from '../../errors.js';
import type { Store } from '../../store/index.js';
import { segmentsOf } from '../impute.js';
import { buildPatientGrid, DEFAULT_GRID_SETTINGS, type GridSettings, type PatientGrid, type RawEvent, type RawReading } from './build.js';
import { CHANNELS, isChannel, type Channel } from './channels.js';

/** Bump when the builder's output changes for the same inputs, so stored grids are rebuilt. */
const GRID_BUILDER_VERSION = 1;

export interface GridOptions extends Partial<Omit<GridSettings, 'insulin' | 'carbs'>> {
  insulin?: GridSettings['insulin'];
  carbs?: GridSettings['carbs'];
  /** Skip the cache (benchmarks, tests). */
  noCache?: boolean;
}

export function gridSettingsFrom(options: GridOptions = {}): GridSettings {
  const s: GridSettings = {
    resolutionMin: options.resolutionMin ?? DEFAULT_GRID_SETTINGS.resolutionMin,
    maxGapMin: options.maxGapMin ?? DEFAULT_GRID_SETTINGS.maxGapMin,
    imputation: options.imputation ?? {},
    insulin: options.insulin ?? DEFAULT_GRID_SETTINGS.insulin,
    carbs: options.carbs ?? DEFAULT_GRID_SETTINGS.carbs,
  };
  if (!Number.isInteger(s.resolutionMin) || s.resolutionMin < 1 || s.resolutionMin > 1440) {
    throw new StudioError('INVALID_INPUT', `resolution ${s.resolutionMin} min is not valid: use a whole number of minutes from 1 to 1440.`);
  }
  if (!(s.maxGapMin >= 0)) throw new StudioError('INVALID_INPUT', `maxGapMin must be 0 or more (got ${s.maxGapMin}).`);
  return s;
}

function settingsHash(settings: GridSettings, fingerprint: string): string {
  const imputation = Object.fromEntries(Object.entries(settings.imputation).sort(([a], [b]) => a.localeCompare(b)));
  return createHash('sha256')
    .update(JSON.stringify({ v: GRID_BUILDER_VERSION, ...settings, imputation, fingerprint }))
    .digest('hex')
    .slice(0, 32);
}

/** Raw inputs of one patient as the grid builder wants them. */
export function loadRawPatient(store: Store, patientId: number): { readings: RawReading[]; events: RawEvent[] } {
  return { readings: store.readings.forGrid(patientId), events: store.events.forGrid(patientId) };
}

/** Channels a quality fix dropped from the patient's dataset (`droppedChannels` in its meta); never glucose. */
function droppedChannels(store: Store, patientId: number): Channel[] {
  const text = store.patients.datasetMetaOf(patientId);
  if (text === null) return [];
  const meta = JSON.parse(text) as { droppedChannels?: unknown };
  return Array.isArray(meta.droppedChannels) ? meta.droppedChannels.filter((c): c is Channel => typeof c === 'string' && isChannel(c) && c !== 'bg_mM') : [];
}

/** The grid as the dataset's modelling view sees it: dropped channels are absent (no values, mask 0). */
function withoutDropped(grid: PatientGrid, dropped: readonly Channel[]): PatientGrid {
  if (dropped.length === 0) return grid;
  const channels = { ...grid.channels };
  const masks = { ...grid.masks };
  for (const c of dropped) {
    channels[c] = new Float32Array(grid.length);
    masks[c] = new Uint8Array(grid.length);
  }
  return { ...grid, channels, masks, absent: [...new Set([...grid.absent, ...dropped])] };
}

/**
 * Builds (or reuses the stored) grid of one patient. Every canonical channel is returned;
 * channels dropped from the dataset by a quality fix come back absent.
 */
export function loadPatientGrid(store: Store, patientId: number, options: GridOptions = {}): PatientGrid {
  return withoutDropped(loadFullGrid(store, patientId, options), droppedChannels(store, patientId));
}

function loadFullGrid(store: Store, patientId: number, options: GridOptions): PatientGrid {
  const settings = gridSettingsFrom(options);
  const hash = settingsHash(settings, store.grids.inputFingerprint(patientId));
  if (options.noCache !== true && store.grids.settingsHash(patientId, settings.resolutionMin) === hash) {
    const stored = store.grids.load(patientId, settings.resolutionMin);
    const grid = fromStored(patientId, settings.resolutionMin, stored);
    if (grid !== null) return grid;
  }
  const raw = loadRawPatient(store, patientId);
  const grid = buildPatientGrid(patientId, raw.readings, raw.events, settings);
  if (options.noCache !== true) {
    store.transaction(() =>
      store.grids.save(
        patientId,
        // Only channels with data are stored; a channel missing on load is absent.
        CHANNELS.filter((c) => c === 'bg_mM' || !grid.absent.includes(c)).map((c) => ({
          channel: c,
          resolutionMin: settings.resolutionMin,
          startTs: grid.startTs,
          length: grid.length,
          values: grid.channels[c],
          mask: grid.masks[c],
        })),
        hash,
      ),
    );
  }
  return grid;
}

/** Rebuilds a PatientGrid from stored channels; channels not stored were absent. Null when the glucose channel is missing. */
function fromStored(patientId: number, resolutionMin: number, stored: ReturnType<Store['grids']['load']>): PatientGrid | null {
  const channels = {} as Record<Channel, Float32Array>;
  const masks = {} as Record<Channel, Uint8Array>;
  const absent: Channel[] = [];
  let startTs = 0;
  let length = 0;
  for (const s of stored) {
    if (!isChannel(s.channel)) continue;
    channels[s.channel] = s.values;
    masks[s.channel] = s.mask;
    startTs = s.startTs;
    length = s.length;
  }
  if (channels.bg_mM === undefined) return null;
  for (const c of CHANNELS) {
    if (channels[c] !== undefined) continue;
    channels[c] = new Float32Array(length);
    masks[c] = new Uint8Array(length);
    absent.push(c);
  }
  if (length === 0) absent.splice(0, absent.length, ...CHANNELS);
  return { patientId, startTs, stepMin: resolutionMin, length, channels, masks, absent, segments: segmentsOf(channels.bg_mM) };
}

/** A time slice of a grid (for charts): bins covering [fromTs, toTs). */
export function sliceGrid(grid: PatientGrid, fromBin: number, toBin: number): PatientGrid {
  const channels = {} as Record<Channel, Float32Array>;
  const masks = {} as Record<Channel, Uint8Array>;
  for (const c of CHANNELS) {
    channels[c] = grid.channels[c].subarray(fromBin, toBin);
    masks[c] = grid.masks[c].subarray(fromBin, toBin);
  }
  return {
    ...grid,
    startTs: grid.startTs + fromBin * grid.stepMin * 60_000,
    length: toBin - fromBin,
    channels,
    masks,
    segments: segmentsOf(channels.bg_mM),
  };
}
