import { StudioError } from '../errors.js';
import { nowIso } from '../util/json.js';
import type { Db } from './database.js';

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
      | { id: number; dataset_id: number; settings_json: string; report_json: string; created_at: string }
      | undefined;
    if (r === undefined) throw new StudioError('NOT_FOUND', `Quality report ${id} does not exist.`);
    return { id: r.id, datasetId: r.dataset_id, settings: JSON.parse(r.settings_json) as unknown, report: JSON.parse(r.report_json) as unknown, createdAt: r.created_at };
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
    const rows = this.db.prepare('SELECT * FROM quality_fixes WHERE dataset_id = ? ORDER BY id').all(datasetId) as { id: number; dataset_id: number; fix_json: string; result_json: string; applied_at: string }[];
    return rows.map((r) => ({ id: r.id, datasetId: r.dataset_id, fix: JSON.parse(r.fix_json) as unknown, result: JSON.parse(r.result_json) as unknown, appliedAt: r.applied_at }));
  }
}
