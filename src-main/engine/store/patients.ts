import type { Db } from './database.js';
import { READING_FLAGS } from './readings.js';

export interface PatientRow {
  id: number;
  datasetId: number;
  externalId: string;
  utcOffsetMin: number | null;
  timeZone: string | null;
  meta: Record<string, unknown>;
}

interface PatientDbRow {
  id: number;
  dataset_id: number;
  external_id: string;
  utc_offset_min: number | null;
  time_zone: string | null;
  meta_json: string;
}

function toPatient(r: PatientDbRow): PatientRow {
  return {
    id: r.id,
    datasetId: r.dataset_id,
    externalId: r.external_id,
    utcOffsetMin: r.utc_offset_min,
    timeZone: r.time_zone,
    meta: JSON.parse(r.meta_json) as Record<string, unknown>,
  };
}

export class PatientRepository {
  constructor(private readonly db: Db) {}

  /** Returns the patient with this external id in the dataset, creating it when new. */
  ensure(
    datasetId: number,
    externalId: string,
    extra: { utcOffsetMin?: number | null; timeZone?: string | null; meta?: Record<string, unknown> } = {},
  ): PatientRow {
    const found = this.find(datasetId, externalId);
    if (found !== undefined) {
      if (extra.utcOffsetMin !== undefined && extra.utcOffsetMin !== null && extra.utcOffsetMin !== found.utcOffsetMin) {
        this.db.prepare('UPDATE patients SET utc_offset_min = ? WHERE id = ?').run(extra.utcOffsetMin, found.id);
        return { ...found, utcOffsetMin: extra.utcOffsetMin };
      }
      return found;
    }
    const info = this.db
      .prepare('INSERT INTO patients (dataset_id, external_id, utc_offset_min, time_zone, meta_json) VALUES (?, ?, ?, ?, ?)')
      .run(datasetId, externalId, extra.utcOffsetMin ?? null, extra.timeZone ?? null, JSON.stringify(extra.meta ?? {}));
    return this.get(Number(info.lastInsertRowid));
  }

  get(id: number): PatientRow {
    const r = this.db.prepare('SELECT * FROM patients WHERE id = ?').get(id) as PatientDbRow | undefined;
    if (r === undefined) throw new Error(`patient ${id} missing`);
    return toPatient(r);
  }

  find(datasetId: number, externalId: string): PatientRow | undefined {
    const r = this.db.prepare('SELECT * FROM patients WHERE dataset_id = ? AND external_id = ?').get(datasetId, externalId) as PatientDbRow | undefined;
    return r === undefined ? undefined : toPatient(r);
  }

  /** First and last usable glucose reading (CGM or scan, not removed) of each patient of a dataset, by external id. */
  glucoseSpans(datasetId: number): { patientId: number; externalId: string; firstTs: number | null; lastTs: number | null }[] {
    return this.db
      .prepare(
        `SELECT p.id AS patientId, p.external_id AS externalId,
         (SELECT MIN(ts) FROM readings r WHERE r.patient_id = p.id AND r.kind IN ('cgm', 'scan') AND (r.flags & ?) = 0) AS firstTs,
         (SELECT MAX(ts) FROM readings r WHERE r.patient_id = p.id AND r.kind IN ('cgm', 'scan') AND (r.flags & ?) = 0) AS lastTs
       FROM patients p WHERE p.dataset_id = ? ORDER BY p.external_id`,
      )
      .all(READING_FLAGS.removed, READING_FLAGS.removed, datasetId) as {
      patientId: number;
      externalId: string;
      firstTs: number | null;
      lastTs: number | null;
    }[];
  }

  /** The meta of the dataset a patient belongs to, as stored (JSON text), or null. */
  datasetMetaOf(patientId: number): string | null {
    const r = this.db.prepare('SELECT d.meta_json AS meta FROM datasets d JOIN patients p ON p.dataset_id = d.id WHERE p.id = ?').get(patientId) as
      { meta: string | null } | undefined;
    return r?.meta ?? null;
  }

  list(datasetId: number): PatientRow[] {
    return (this.db.prepare('SELECT * FROM patients WHERE dataset_id = ? ORDER BY external_id').all(datasetId) as PatientDbRow[]).map(toPatient);
  }
}
