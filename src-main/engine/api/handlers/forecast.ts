/**
 * `forecast.predict` and `forecast.evaluate` start a worker job (onnxruntime never runs on
 * this thread); `forecasts.get` reads the forecasts a predict run stored, for charts: only
 * SQLite reads, so it is safe on the web host's request path.
 */
import { StudioError } from '../../errors.js';
import type { Handlers } from './context.js';
import { readSettings } from './core.js';
import { finished } from './run-end.js';

function floats(blob: Buffer | null): number[] | null {
  if (blob === null) return null;
  const f = new Float32Array(blob.buffer, blob.byteOffset, blob.byteLength / 4);
  return Array.from(f, (v) => Math.round(v * 1e4) / 1e4);
}

export const forecastHandlers = {
  'forecast.predict': async (req, ctx) => {
    const model = ctx.store.models.resolve(req.model);
    const ds = ctx.store.datasets.resolve(req.dataset);
    const splitId = ctx.store.splits.resolve(ds.id, String(req.split));
    const s = readSettings(ctx);
    const run = ctx.store.runs.create({ kind: 'predict', datasetId: ds.id, splitId, modelId: model.id, config: { ...req }, device: s.device });
    const handle = ctx.training.start({
      kind: 'predict',
      runId: run.id,
      databaseFile: ctx.layout.database,
      modelDir: model.path,
      data: { dataset: ds.id, split: splitId },
      part: req.part,
      every: req.every,
      levels: req.levels,
      csvPath: req.out ?? null,
      batchSize: req.batchSize,
      threads: s.threads,
      device: s.device,
      ...(req.patients !== undefined ? { patients: req.patients } : {}),
      ...(req.from !== undefined ? { fromTs: req.from } : {}),
      ...(req.to !== undefined ? { toTs: req.to } : {}),
    });
    return finished(ctx, run.id, handle.done);
  },
  'forecast.evaluate': async (req, ctx) => {
    const model = ctx.store.models.resolve(req.model);
    const ds = ctx.store.datasets.resolve(req.dataset);
    const splitId = ctx.store.splits.resolve(ds.id, String(req.split));
    const s = readSettings(ctx);
    const run = ctx.store.runs.create({ kind: 'evaluate', datasetId: ds.id, splitId, modelId: model.id, config: { ...req }, device: s.device });
    const handle = ctx.training.start({
      kind: 'evaluate',
      runId: run.id,
      databaseFile: ctx.layout.database,
      modelDir: model.path,
      modelId: model.id,
      data: { dataset: ds.id, split: splitId },
      stride: req.stride,
      levels: req.levels,
      part: req.part,
      batchSize: req.batchSize,
      threads: s.threads,
      device: s.device,
    });
    return finished(ctx, run.id, handle.done);
  },
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
