import type { Db } from './database.js';

/** One forecast from one origin: float32 blobs of the forecast's values (mmol/L) and interval. */
export interface NewForecast {
  runId: number;
  patientId: number;
  originTs: number;
  stepMin: number;
  values: Buffer;
  lower: Buffer | null;
  upper: Buffer | null;
  meta: string | null;
}

export interface ForecastRow {
  patientId: number;
  /** The patient's external id. */
  patient: string;
  originTs: number;
  stepMin: number;
  values: Buffer;
  lower: Buffer | null;
  upper: Buffer | null;
  meta: string | null;
}

interface ForecastDbRow {
  patient_id: number;
  patient: string;
  origin_ts: number;
  step_min: number;
  values_blob: Buffer;
  lower_blob: Buffer | null;
  upper_blob: Buffer | null;
  meta_json: string | null;
}

function toForecast(r: ForecastDbRow): ForecastRow {
  return {
    patientId: r.patient_id,
    patient: r.patient,
    originTs: r.origin_ts,
    stepMin: r.step_min,
    values: r.values_blob,
    lower: r.lower_blob,
    upper: r.upper_blob,
    meta: r.meta_json,
  };
}

const SELECT = `SELECT f.patient_id, p.external_id AS patient, f.origin_ts, f.step_min, f.values_blob, f.lower_blob, f.upper_blob, f.meta_json
  FROM forecasts f JOIN patients p ON p.id = f.patient_id`;

/** Rolling-origin forecasts a predict run stored, read back for charts and reports. */
export class ForecastRepository {
  constructor(private readonly db: Db) {}

  /** Inserts the rows (one statement, prepared once); wrap a run's rows in Store.transaction. */
  addMany(rows: Iterable<NewForecast>): number {
    const stmt = this.db.prepare(
      'INSERT INTO forecasts (run_id, patient_id, origin_ts, step_min, values_blob, lower_blob, upper_blob, meta_json) VALUES (?, ?, ?, ?, ?, ?, ?, ?)',
    );
    let n = 0;
    for (const f of rows) {
      stmt.run(f.runId, f.patientId, f.originTs, f.stepMin, f.values, f.lower, f.upper, f.meta);
      n++;
    }
    return n;
  }

  count(runId: number): number {
    return (this.db.prepare('SELECT COUNT(*) AS n FROM forecasts WHERE run_id = ?').get(runId) as { n: number }).n;
  }

  /** The first `limit` forecasts of a run by patient id and origin. */
  firstOfRun(runId: number, limit: number): ForecastRow[] {
    return (this.db.prepare(`${SELECT} WHERE f.run_id = ? ORDER BY f.patient_id, f.origin_ts LIMIT ?`).all(runId, limit) as ForecastDbRow[]).map(toForecast);
  }

  /** A page of a run's forecasts by patient external id and origin, and how many match in all. */
  find(q: { runId: number; patient?: string; from?: number; to?: number; limit: number }): { total: number; rows: ForecastRow[] } {
    const where = ['f.run_id = ?'];
    const args: (number | string)[] = [q.runId];
    if (q.patient !== undefined) {
      where.push('p.external_id = ?');
      args.push(q.patient);
    }
    if (q.from !== undefined) {
      where.push('f.origin_ts >= ?');
      args.push(q.from);
    }
    if (q.to !== undefined) {
      where.push('f.origin_ts <= ?');
      args.push(q.to);
    }
    const cond = where.join(' AND ');
    const total = (this.db.prepare(`SELECT COUNT(*) AS n FROM forecasts f JOIN patients p ON p.id = f.patient_id WHERE ${cond}`).get(...args) as { n: number })
      .n;
    const rows = this.db.prepare(`${SELECT} WHERE ${cond} ORDER BY p.external_id, f.origin_ts LIMIT ?`).all(...args, q.limit) as ForecastDbRow[];
    return { total, rows: rows.map(toForecast) };
  }

  /** The latest predict run of the model that stored any forecast. */
  latestPredictRunOfModel(modelId: number): number | null {
    const r = this.db
      .prepare(
        "SELECT r.id FROM runs r WHERE r.kind = 'predict' AND r.model_id = ? AND EXISTS (SELECT 1 FROM forecasts f WHERE f.run_id = r.id) ORDER BY r.id DESC LIMIT 1",
      )
      .get(modelId) as { id: number } | undefined;
    return r?.id ?? null;
  }
}
