import { StudioError } from '../errors.js';
import { nowIso } from '../util/json.js';
import type { Db } from './database.js';

export type DatasetSource = 'import' | 'simulated' | 'demo';

export interface DatasetRow {
  id: number;
  name: string;
  description: string;
  source: DatasetSource;
  resolutionMin: number;
  meta: Record<string, unknown>;
  createdAt: string;
}

export interface DatasetSummary extends DatasetRow {
  patientCount: number;
  readingCount: number;
  eventCount: number;
  firstTs: number | null;
  lastTs: number | null;
}

export interface PatientSummary {
  id: number;
  datasetId: number;
  externalId: string;
  utcOffsetMin: number | null;
  timeZone: string | null;
  readingCount: number;
  eventCount: number;
  firstTs: number | null;
  lastTs: number | null;
  /** Calendar span covered by readings, in days. */
  days: number;
  /** Readings present / readings expected at the dataset resolution over the span, in %. */
  wearPercent: number;
}

interface DatasetDbRow {
  id: number;
  name: string;
  description: string;
  source: DatasetSource;
  resolution_min: number;
  meta_json: string;
  created_at: string;
}

function toDataset(r: DatasetDbRow): DatasetRow {
  return {
    id: r.id,
    name: r.name,
    description: r.description,
    source: r.source,
    resolutionMin: r.resolution_min,
    meta: JSON.parse(r.meta_json) as Record<string, unknown>,
    createdAt: r.created_at,
  };
}

export const DATASET_NAME_PATTERN = /^[\p{L}\p{N}][\p{L}\p{N} ._-]{0,99}$/u;

export class DatasetRepository {
  constructor(private readonly db: Db) {}

  create(input: { name: string; description?: string; source?: DatasetSource; resolutionMin?: number; meta?: Record<string, unknown> }): DatasetRow {
    if (!DATASET_NAME_PATTERN.test(input.name)) {
      throw new StudioError(
        'INVALID_INPUT',
        `"${input.name}" is not a valid dataset name: use 1–100 letters, digits, spaces, dots, dashes or underscores, starting with a letter or digit.`,
      );
    }
    if (this.findByName(input.name) !== undefined) {
      throw new StudioError('CONFLICT', `A dataset named "${input.name}" already exists; choose another name or delete it first.`);
    }
    const info = this.db
      .prepare('INSERT INTO datasets (name, description, source, resolution_min, meta_json, created_at) VALUES (?, ?, ?, ?, ?, ?)')
      .run(input.name, input.description ?? '', input.source ?? 'import', input.resolutionMin ?? 5, JSON.stringify(input.meta ?? {}), nowIso());
    return this.get(Number(info.lastInsertRowid));
  }

  get(id: number): DatasetRow {
    const r = this.db.prepare('SELECT * FROM datasets WHERE id = ?').get(id) as DatasetDbRow | undefined;
    if (r === undefined) throw new StudioError('NOT_FOUND', `Dataset ${id} does not exist.`);
    return toDataset(r);
  }

  findByName(name: string): DatasetRow | undefined {
    const r = this.db.prepare('SELECT * FROM datasets WHERE name = ?').get(name) as DatasetDbRow | undefined;
    return r === undefined ? undefined : toDataset(r);
  }

  /** Resolves a dataset by name or numeric id, as the CLI and API accept either. */
  resolve(ref: string | number): DatasetRow {
    if (typeof ref === 'number') return this.get(ref);
    const byName = this.findByName(ref);
    if (byName !== undefined) return byName;
    if (/^\d+$/.test(ref)) return this.get(Number(ref));
    throw new StudioError('NOT_FOUND', `No dataset named "${ref}". List them with \`ttm-studio datasets list\`.`);
  }

  list(): DatasetSummary[] {
    const rows = this.db
      .prepare(
        `SELECT d.*,
           (SELECT COUNT(*) FROM patients p WHERE p.dataset_id = d.id) AS patient_count,
           (SELECT COUNT(*) FROM readings r JOIN patients p ON p.id = r.patient_id WHERE p.dataset_id = d.id) AS reading_count,
           (SELECT COUNT(*) FROM events e JOIN patients p ON p.id = e.patient_id WHERE p.dataset_id = d.id) AS event_count,
           (SELECT MIN(r.ts) FROM readings r JOIN patients p ON p.id = r.patient_id WHERE p.dataset_id = d.id) AS first_ts,
           (SELECT MAX(r.ts) FROM readings r JOIN patients p ON p.id = r.patient_id WHERE p.dataset_id = d.id) AS last_ts
         FROM datasets d ORDER BY d.name`,
      )
      .all() as (DatasetDbRow & { patient_count: number; reading_count: number; event_count: number; first_ts: number | null; last_ts: number | null })[];
    return rows.map((r) => ({
      ...toDataset(r),
      patientCount: r.patient_count,
      readingCount: r.reading_count,
      eventCount: r.event_count,
      firstTs: r.first_ts,
      lastTs: r.last_ts,
    }));
  }

  /** Deletes the dataset and everything under it (patients, readings, events, grids, splits…) in one transaction. */
  delete(id: number): void {
    this.get(id);
    this.db.prepare('DELETE FROM datasets WHERE id = ?').run(id);
  }

  patients(datasetId: number): PatientSummary[] {
    const dataset = this.get(datasetId);
    const rows = this.db
      .prepare(
        `SELECT p.id, p.dataset_id, p.external_id, p.utc_offset_min, p.time_zone,
           (SELECT COUNT(*) FROM readings r WHERE r.patient_id = p.id) AS reading_count,
           (SELECT COUNT(*) FROM events e WHERE e.patient_id = p.id) AS event_count,
           (SELECT MIN(ts) FROM readings r WHERE r.patient_id = p.id) AS first_ts,
           (SELECT MAX(ts) FROM readings r WHERE r.patient_id = p.id) AS last_ts,
           (SELECT COUNT(DISTINCT ts / ?) FROM readings r WHERE r.patient_id = p.id AND r.kind = 'cgm') AS cgm_bins
         FROM patients p WHERE p.dataset_id = ? ORDER BY p.external_id`,
      )
      .all(dataset.resolutionMin * 60_000, datasetId) as {
      id: number;
      dataset_id: number;
      external_id: string;
      utc_offset_min: number | null;
      time_zone: string | null;
      reading_count: number;
      event_count: number;
      first_ts: number | null;
      last_ts: number | null;
      cgm_bins: number;
    }[];
    const stepMs = dataset.resolutionMin * 60_000;
    return rows.map((r) => {
      const spanMs = r.first_ts === null || r.last_ts === null ? 0 : r.last_ts - r.first_ts;
      const expected = spanMs / stepMs + 1;
      return {
        id: r.id,
        datasetId: r.dataset_id,
        externalId: r.external_id,
        utcOffsetMin: r.utc_offset_min,
        timeZone: r.time_zone,
        readingCount: r.reading_count,
        eventCount: r.event_count,
        firstTs: r.first_ts,
        lastTs: r.last_ts,
        days: spanMs / 86_400_000,
        wearPercent: r.first_ts === null ? 0 : Math.min(100, (100 * r.cgm_bins) / expected),
      };
    });
  }
}
