/**
 * Where a simulated cohort goes: the store (a dataset of source 'simulated' or 'demo', in
 * one transaction) or a CSV file in the combined layout (`datetime,bg_mM,…,p_num`, one row per grid bin).
 */
import { createWriteStream } from 'node:fs';
import { once } from 'node:events';
import { cancelledError, StudioError } from '../errors.js';
import { buildPatientGrid, DEFAULT_GRID_SETTINGS } from '../data/grid/build.js';
import type { DatasetRow, DatasetSource, Store } from '../store/index.js';
import { simulatePatient, type SimPatient } from './cohort.js';
import type { SimulationSettings } from './settings.js';

export interface SimProgress {
  (done: number, total: number): void;
}

/** Simulates the cohort patient by patient, honouring the abort signal between patients. */
export function* simulateCohort(settings: SimulationSettings, signal?: AbortSignal): Generator<SimPatient> {
  for (let i = 0; i < settings.patients; i++) {
    if (signal?.aborted === true) throw cancelledError('Simulation');
    yield simulatePatient(settings, i);
  }
}

/** Writes a simulated cohort as a new dataset; all of it lands or none of it does. */
export async function simulateIntoStore(
  store: Store,
  settings: SimulationSettings,
  target: { name: string; description?: string; source?: Extract<DatasetSource, 'simulated' | 'demo'> },
  options: { signal?: AbortSignal; onProgress?: SimProgress } = {},
): Promise<DatasetRow> {
  if (store.datasets.findByName(target.name) !== undefined) {
    throw new StudioError('CONFLICT', `A dataset named "${target.name}" already exists; choose another name or delete it first.`);
  }
  // Simulate first (no transaction held while computing), then write everything at once.
  const patients: SimPatient[] = [];
  for (const p of simulateCohort(settings, options.signal)) {
    patients.push(p);
    options.onProgress?.(patients.length, settings.patients + 1);
    // let cancel requests and progress events through between patients
    await new Promise((resolve) => setImmediate(resolve));
  }
  if (options.signal?.aborted === true) throw cancelledError('Simulation');
  const dataset = store.transaction(() => {
    const d = store.datasets.create({
      name: target.name,
      description:
        target.description ?? `Simulated type-1 cohort (Hovorka 2004): ${settings.patients} patients × ${settings.days} days, seed ${settings.seed}.`,
      source: target.source ?? 'simulated',
      resolutionMin: settings.cgmIntervalMin,
      meta: { simulation: settings },
    });
    for (const sp of patients) {
      const patient = store.patients.ensure(d.id, sp.externalId, {
        utcOffsetMin: 0,
        timeZone: 'UTC',
        meta: { params: sp.params, targetMmol: sp.targetMmol, basalUPerHour: sp.basalUPerHour, carbRatio: sp.carbRatio, isf: sp.isf },
      });
      store.readings.insertMany(
        sp.readings.map((r) => ({
          patientId: patient.id,
          importId: null,
          ts: r.ts,
          utcOffsetMin: 0,
          kind: 'cgm' as const,
          bgMm: r.bgMm,
          flags: r.flags,
          sourceRow: null,
        })),
      );
      store.events.insertMany(
        sp.events.map((e) => ({
          patientId: patient.id,
          importId: null,
          ts: e.ts,
          utcOffsetMin: 0,
          kind: e.kind,
          value: e.value,
          durationMin: e.durationMin,
          meta: e.meta,
          flags: 0,
          sourceRow: null,
        })),
      );
    }
    return d;
  });
  options.onProgress?.(settings.patients + 1, settings.patients + 1);
  return dataset;
}

export const CSV_COLUMNS = [
  'datetime',
  'p_num',
  'bg_mM',
  'dose_units',
  'bolus',
  'rate',
  'food_g',
  'iob',
  'cob',
  'insulin_availability',
  'carb_availability',
] as const;

function fmt(v: number, digits: number): string {
  if (!Number.isFinite(v)) return '';
  const s = v.toFixed(digits);
  // trim trailing zeros for compact files: 5.200 → 5.2, 0.000 → 0
  return s.includes('.') ? s.replace(/\.?0+$/, '') : s;
}

/** CSV rows of one patient on the regular grid; glucose only where a reading was observed. */
export function patientCsvRows(sp: SimPatient, resolutionMin: number): string[] {
  const grid = buildPatientGrid(
    sp.index,
    sp.readings.map((r) => ({ ...r, kind: 'cgm' as const })),
    sp.events.map((e) => ({ ts: e.ts, kind: e.kind, value: e.value, durationMin: e.durationMin, flags: 0 })),
    { ...DEFAULT_GRID_SETTINGS, resolutionMin, maxGapMin: 0 },
  );
  const c = grid.channels;
  const rows: string[] = [];
  for (let i = 0; i < grid.length; i++) {
    const ts = new Date(grid.startTs + i * resolutionMin * 60_000).toISOString();
    const datetime = `${ts.slice(0, 10)} ${ts.slice(11, 19)}`;
    rows.push(
      [
        datetime,
        sp.externalId,
        grid.masks.bg_mM[i] === 1 ? fmt(c.bg_mM[i]!, 3) : '',
        fmt(c.dose_units[i]!, 4),
        fmt(c.bolus[i]!, 2),
        fmt(c.rate[i]!, 4),
        fmt(c.food_g[i]!, 1),
        fmt(c.iob[i]!, 4),
        fmt(c.cob[i]!, 3),
        fmt(c.insulin_availability[i]!, 5),
        fmt(c.carb_availability[i]!, 5),
      ].join(','),
    );
  }
  return rows;
}

/** Streams the cohort to a CSV file; returns the number of data rows. */
export async function simulateToCsv(
  settings: SimulationSettings,
  file: string,
  options: { signal?: AbortSignal; onProgress?: SimProgress } = {},
): Promise<number> {
  const out = createWriteStream(file, { encoding: 'utf8' });
  let rows = 0;
  try {
    out.write(CSV_COLUMNS.join(',') + '\n');
    let done = 0;
    for (const sp of simulateCohort(settings, options.signal)) {
      const lines = patientCsvRows(sp, settings.cgmIntervalMin);
      rows += lines.length;
      if (!out.write(lines.join('\n') + '\n')) await once(out, 'drain');
      options.onProgress?.(++done, settings.patients);
    }
  } finally {
    out.end();
    await once(out, 'close');
  }
  return rows;
}
