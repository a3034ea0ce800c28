import { StudioError } from '../errors.js';
import { nowIso } from '../util/json.js';
import type { Db } from './database.js';
import { READING_FLAGS } from './readings.js';

const REMOVED = READING_FLAGS.removed;
const MIN_TS = Number.MIN_SAFE_INTEGER;
const MAX_TS = Number.MAX_SAFE_INTEGER;

/** A stored quality report; `settings` and `report` are JSON validated by engine/data/quality. */
export interface QualityReportRow {
  id: number;
  datasetId: number;
  settings: unknown;
  report: unknown;
  createdAt: string;
}

export interface QualityFixRow {
  id: number;
  datasetId: number;
  fix: unknown;
  result: unknown;
  appliedAt: string;
}

export class QualityRepository {
  constructor(private readonly db: Db) {}

  saveReport(datasetId: number, settings: unknown, report: unknown): number {
    const info = this.db
      .prepare('INSERT INTO quality_reports (dataset_id, settings_json, report_json, created_at) VALUES (?, ?, ?, ?)')
      .run(datasetId, JSON.stringify(settings), JSON.stringify(report), nowIso());
    return Number(info.lastInsertRowid);
  }

  report(id: number): QualityReportRow {
    const r = this.db.prepare('SELECT * FROM quality_reports WHERE id = ?').get(id) as
      { id: number; dataset_id: number; settings_json: string; report_json: string; created_at: string } | undefined;
    if (r === undefined) throw new StudioError('NOT_FOUND', `Quality report ${id} does not exist.`);
    return {
      id: r.id,
      datasetId: r.dataset_id,
      settings: JSON.parse(r.settings_json) as unknown,
      report: JSON.parse(r.report_json) as unknown,
      createdAt: r.created_at,
    };
  }

  latestReportId(datasetId: number): number | undefined {
    const r = this.db.prepare('SELECT MAX(id) AS id FROM quality_reports WHERE dataset_id = ?').get(datasetId) as { id: number | null };
    return r.id ?? undefined;
  }

  recordFix(datasetId: number, fix: unknown, result: unknown): number {
    const info = this.db
      .prepare('INSERT INTO quality_fixes (dataset_id, fix_json, result_json, applied_at) VALUES (?, ?, ?, ?)')
      .run(datasetId, JSON.stringify(fix), JSON.stringify(result), nowIso());
    return Number(info.lastInsertRowid);
  }

  fixes(datasetId: number): QualityFixRow[] {
    const rows = this.db.prepare('SELECT * FROM quality_fixes WHERE dataset_id = ? ORDER BY id').all(datasetId) as {
      id: number;
      dataset_id: number;
      fix_json: string;
      result_json: string;
      applied_at: string;
    }[];
    return rows.map((r) => ({
      id: r.id,
      datasetId: r.dataset_id,
      fix: JSON.parse(r.fix_json) as unknown,
      result: JSON.parse(r.result_json) as unknown,
      appliedAt: r.applied_at,
    }));
  }

  // ---- fixes: each returns the number of rows it changed; callers wrap them in a transaction ----

  /** Keeps the first live reading per timestamp (or per bin of `binMs`) in [from, to); marks the rest removed. */
  dedupeReadings(patientId: number, binMs: number | null, from = MIN_TS, to = MAX_TS): number {
    const key = binMs === null ? 'ts' : `(ts / ${Math.trunc(binMs)})`;
    return this.db
      .prepare(
        `UPDATE readings SET flags = flags | ${REMOVED}
         WHERE patient_id = ? AND (flags & ${REMOVED}) = 0 AND ts >= ? AND ts < ?
           AND id NOT IN (SELECT MIN(id) FROM readings WHERE patient_id = ? AND (flags & ${REMOVED}) = 0 AND ts >= ? AND ts < ? GROUP BY ${key})`,
      )
      .run(patientId, from, to, patientId, from, to).changes;
  }

  markReadingsRemovedAt(patientId: number, timestamps: readonly number[]): number {
    const stmt = this.db.prepare(`UPDATE readings SET flags = flags | ${REMOVED} WHERE patient_id = ? AND ts = ? AND (flags & ${REMOVED}) = 0`);
    let n = 0;
    for (const ts of new Set(timestamps)) n += stmt.run(patientId, ts).changes;
    return n;
  }

  /** Marks removed the live readings in [from, to) below `below` or above `above`. */
  markReadingsRemovedWhere(patientId: number, below: number | null, above: number | null, from = MIN_TS, to = MAX_TS): number {
    return this.db
      .prepare(
        `UPDATE readings SET flags = flags | ${REMOVED} WHERE patient_id = ? AND (flags & ${REMOVED}) = 0 AND ts >= ? AND ts < ? AND ((? IS NOT NULL AND bg_mM < ?) OR (? IS NOT NULL AND bg_mM > ?))`,
      )
      .run(patientId, from, to, below, below, above, above).changes;
  }

  /** Multiplies live glucose values in [min, max] (and [from, to)) by `factor`. */
  convertReadings(patientId: number, factor: number, min: number, max: number, from = MIN_TS, to = MAX_TS): number {
    return this.db
      .prepare(`UPDATE readings SET bg_mM = bg_mM * ? WHERE patient_id = ? AND (flags & ${REMOVED}) = 0 AND bg_mM >= ? AND bg_mM <= ? AND ts >= ? AND ts < ?`)
      .run(factor, patientId, min, max, from, to).changes;
  }

  /** Moves the patient's readings and events in [from, to) by `offsetMs`. */
  shiftTime(patientId: number, from: number, to: number, offsetMs: number): number {
    const a = this.db.prepare('UPDATE readings SET ts = ts + ? WHERE patient_id = ? AND ts >= ? AND ts < ?').run(offsetMs, patientId, from, to).changes;
    const b = this.db.prepare('UPDATE events SET ts = ts + ? WHERE patient_id = ? AND ts >= ? AND ts < ?').run(offsetMs, patientId, from, to).changes;
    return a + b;
  }

  /** Records a channel as dropped in the dataset's meta (`droppedChannels`); returns 1 when newly dropped. */
  dropChannel(datasetId: number, channel: string): number {
    const r = this.db.prepare('SELECT meta_json FROM datasets WHERE id = ?').get(datasetId) as { meta_json: string } | undefined;
    if (r === undefined) throw new StudioError('NOT_FOUND', `Dataset ${datasetId} does not exist.`);
    const meta = JSON.parse(r.meta_json) as Record<string, unknown>;
    const dropped = Array.isArray(meta.droppedChannels) ? (meta.droppedChannels as unknown[]).filter((x): x is string => typeof x === 'string') : [];
    if (dropped.includes(channel)) return 0;
    meta.droppedChannels = [...dropped, channel];
    this.db.prepare('UPDATE datasets SET meta_json = ? WHERE id = ?').run(JSON.stringify(meta), datasetId);
    return 1;
  }
}
