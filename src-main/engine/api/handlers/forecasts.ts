/**
 * Reading stored forecasts (`forecasts` rows written by a predict run's worker) for charts.
 * Only SQLite reads: no onnxruntime here, so it is safe on the web host's request path.
 */
import { StudioError } from '../../errors.js';
import type { Handlers } from '../service.js';

function floats(blob: Buffer | null): number[] | null {
  if (blob === null) return null;
  const f = new Float32Array(blob.buffer, blob.byteOffset, blob.byteLength / 4);
  return Array.from(f, (v) => Math.round(v * 1e4) / 1e4);
}

export const forecastHandlers = {
  'forecasts.get': (req, ctx) => {
    const run = ctx.store.runs.get(req.run);
    if (run.kind !== 'predict')
      throw new StudioError('INVALID_INPUT', `Run ${run.id} is a ${run.kind} run; forecasts are stored by predict runs (forecast.predict).`);
    const where = ['f.run_id = ?'];
    const args: (number | string)[] = [run.id];
    if (req.patient !== undefined) {
      where.push('p.external_id = ?');
      args.push(req.patient);
    }
    if (req.from !== undefined) {
      where.push('f.origin_ts >= ?');
      args.push(req.from);
    }
    if (req.to !== undefined) {
      where.push('f.origin_ts <= ?');
      args.push(req.to);
    }
    const cond = where.join(' AND ');
    const total = (
      ctx.store.db.prepare(`SELECT COUNT(*) AS n FROM forecasts f JOIN patients p ON p.id = f.patient_id WHERE ${cond}`).get(...args) as { n: number }
    ).n;
    const rows = ctx.store.db
      .prepare(
        `SELECT p.external_id AS patient, f.origin_ts, f.step_min, f.values_blob, f.lower_blob, f.upper_blob, f.meta_json FROM forecasts f
         JOIN patients p ON p.id = f.patient_id WHERE ${cond} ORDER BY p.external_id, f.origin_ts LIMIT ?`,
      )
      .all(...args, req.limit) as {
      patient: string;
      origin_ts: number;
      step_min: number;
      values_blob: Buffer;
      lower_blob: Buffer | null;
      upper_blob: Buffer | null;
      meta_json: string | null;
    }[];
    const items = rows.map((r) => {
      let level: number | null = null;
      try {
        const m = JSON.parse(r.meta_json ?? '{}') as { level?: unknown };
        level = typeof m.level === 'number' ? m.level : null;
      } catch {
        level = null;
      }
      return {
        patient: r.patient,
        originTs: r.origin_ts,
        stepMin: r.step_min,
        values: floats(r.values_blob) ?? [],
        lower: floats(r.lower_blob),
        upper: floats(r.upper_blob),
        level,
      };
    });
    return { runId: run.id, total, items };
  },
} satisfies Partial<Handlers>;
