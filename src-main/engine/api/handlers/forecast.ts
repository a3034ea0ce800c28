/**
 * `forecast.predict` and `forecast.evaluate` start a worker job (onnxruntime never runs on
 * this thread); `forecasts.get` reads the forecasts a predict run stored, for charts: only
 * store reads, so it is safe on the web host's request path.
 */
import { StudioError } from '../../errors.js';
import type { CallContext, Handlers } from './context.js';
import { readSettings } from './core.js';
import { finished } from './run-end.js';

function floats(blob: Buffer | null): number[] | null {
  if (blob === null) return null;
  const f = new Float32Array(blob.buffer, blob.byteOffset, blob.byteLength / 4);
  return Array.from(f, (v) => Math.round(v * 1e4) / 1e4);
}

/** What a predict or evaluate request names (model, dataset, split), the settings it runs with, and its new run row. */
function modelRun(ctx: CallContext, req: { model: string | number; dataset: string | number; split: string | number }, kind: 'predict' | 'evaluate') {
  const model = ctx.store.models.resolve(req.model);
  const ds = ctx.store.datasets.resolve(req.dataset);
  const splitId = ctx.store.splits.resolve(ds.id, String(req.split));
  const s = readSettings(ctx);
  const run = ctx.store.runs.create({ kind, datasetId: ds.id, splitId, modelId: model.id, config: { ...req }, device: s.device });
  return { model, ds, splitId, s, run };
}

export const forecastHandlers = {
  'forecast.predict': async (req, ctx) => {
    const { model, ds, splitId, s, run } = modelRun(ctx, req, 'predict');
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
    const { model, ds, splitId, s, run } = modelRun(ctx, req, 'evaluate');
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
    const { total, rows } = ctx.store.forecasts.find({
      runId: run.id,
      limit: req.limit,
      ...(req.patient !== undefined ? { patient: req.patient } : {}),
      ...(req.from !== undefined ? { from: req.from } : {}),
      ...(req.to !== undefined ? { to: req.to } : {}),
    });
    const items = rows.map((r) => {
      let level: number | null = null;
      try {
        const m = JSON.parse(r.meta ?? '{}') as { level?: unknown };
        level = typeof m.level === 'number' ? m.level : null;
      } catch {
        level = null;
      }
      return {
        patient: r.patient,
        originTs: r.originTs,
        stepMin: r.stepMin,
        values: floats(r.values) ?? [],
        lower: floats(r.lower),
        upper: floats(r.upper),
        level,
      };
    });
    return { runId: run.id, total, items };
  },
} satisfies Partial<Handlers>;
