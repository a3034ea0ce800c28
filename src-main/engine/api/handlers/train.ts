/**
 * API handlers for training, prediction and evaluation. Every job runs in a worker process
 * (TrainingHost): onnxruntime blocks the thread it runs on, so nothing here calls it. A run
 * row records the job (config, options, data, base model) so `train.resume` can restart it
 * exactly; its status is kept by the host from the worker's messages.
 */
import { join } from 'node:path';
import { StudioError } from '../../errors.js';
import { isDefaultModel } from '../../first-start.js';
import type { RunRow } from '../../store/runs.js';
import { resolveSplit } from '../../forecast/data.js';
import type { JobEnd } from '../../jobs/host.js';
import { TrainJobSchema, TrainOptionsSchema, type TrainJob } from '../../jobs/protocol.js';
import { parseTtmConfig } from '../../ttm/ttm-config.js';
import { readSettings, runSummary } from './core.js';
import type { CallContext, Handlers } from '../service.js';

function formatIssues(e: { issues: readonly { path: readonly PropertyKey[]; message: string }[] }): string {
  return e.issues
    .slice(0, 6)
    .map((i) => `${i.path.map(String).join('.') || '(root)'}: ${i.message}`)
    .join('; ');
}

function runEnd(ctx: CallContext, runId: number): { runId: number; status: RunRow['status']; result: Record<string, unknown> | null; error: string | null } {
  const r = ctx.store.runs.get(runId);
  return { runId, status: r.status, result: r.result, error: r.error };
}

/** Waits for a job; a failure becomes an error a caller can act on, other ends are returned. */
async function finished(ctx: CallContext, runId: number, done: Promise<JobEnd>): Promise<ReturnType<typeof runEnd>> {
  const end = await done;
  if (end.status === 'failed') throw new StudioError(end.code === 'INVALID_INPUT' || end.code === 'NOT_FOUND' ? end.code : 'RUNTIME', end.message, { runId });
  return runEnd(ctx, runId);
}

function startTrain(ctx: CallContext, job: TrainJob, wait: boolean): Promise<ReturnType<typeof runEnd>> | ReturnType<typeof runEnd> {
  const handle = ctx.training.start(job);
  // A completed run registered its model.
  void handle.done.then((end) => {
    if (end.status === 'completed') ctx.emit({ type: 'data.changed', what: 'models' });
  });
  if (wait) return finished(ctx, job.runId, handle.done);
  return runEnd(ctx, job.runId);
}

function deviceAndThreads(ctx: CallContext, config: Record<string, unknown>): Record<string, unknown> {
  const s = readSettings(ctx);
  return { device: s.device, threads: s.threads, ...config };
}

export const trainHandlers = {
  'train.start': (req, ctx) => {
    const ds = ctx.store.datasets.resolve(req.dataset);
    const splitId = resolveSplit(ctx.store, ds.id, String(req.split));
    let model = req.model === undefined ? null : ctx.store.models.resolve(req.model);
    const raw = deviceAndThreads(ctx, req.config);
    if (model !== null) raw.modelPath = model.path;
    let config = parseTtmConfig(raw);
    if (model === null && config.trainingMode === 'fine_tune') {
      // No model chosen: start from the model bundled with the app (registered at every start).
      model = ctx.store.models.list().find(isDefaultModel) ?? null;
      if (model !== null) config = parseTtmConfig({ ...raw, modelPath: model.path });
    }
    if (config.trainingMode === 'zero_shot')
      throw new StudioError('INVALID_INPUT', 'zero_shot does not train: evaluate the base model with `forecast.evaluate` instead.');
    if (config.trainingMode !== 'from_scratch' && model === null)
      throw new StudioError(
        'INVALID_INPUT',
        `trainingMode "${config.trainingMode}" needs a base model: pass model (see \`ttm-studio models list\`), or use from_scratch.`,
      );
    const options = TrainOptionsSchema.safeParse(req.options);
    if (!options.success) throw new StudioError('INVALID_INPUT', `Invalid training options: ${formatIssues(options.error)}`);
    const run = ctx.store.runs.create({
      kind: 'train',
      datasetId: ds.id,
      splitId,
      modelId: model?.id ?? null,
      config: {},
      device: config.device,
      seed: config.seed,
    });
    const outputDir = join(ctx.layout.runs, String(run.id));
    const job = TrainJobSchema.parse({
      kind: 'train',
      runId: run.id,
      databaseFile: ctx.layout.database,
      outputDir,
      loggingDir: config.loggingDir ?? join(outputDir, 'logs'),
      baseModelDir: config.trainingMode === 'from_scratch' ? null : (model?.path ?? null),
      config,
      options: options.data,
      data: { dataset: ds.id, split: splitId },
      resume: false,
      modelName: req.name ?? `run-${run.id}`,
    });
    // The job is the run's config: resume replays it exactly.
    ctx.store.db.prepare('UPDATE runs SET config_json = ?, output_dir = ? WHERE id = ?').run(JSON.stringify(job), outputDir, run.id);
    return startTrain(ctx, job, req.wait);
  },
  'train.cancel': (req, ctx) => {
    const run = ctx.store.runs.get(req.run);
    if (ctx.training.cancel(run.id)) return { cancelled: true };
    // Started by another process (a CLI in another terminal): its worker takes SIGTERM as cancel.
    if (run.status === 'running' && run.workerPid !== null) {
      try {
        process.kill(run.workerPid, 'SIGTERM');
        return { cancelled: true };
      } catch {
        return { cancelled: false };
      }
    }
    return { cancelled: false };
  },
  'train.resume': (req, ctx) => {
    const run = ctx.store.runs.get(req.run);
    if (run.kind !== 'train') throw new StudioError('INVALID_INPUT', `Run ${run.id} is a ${run.kind} run; only training runs resume.`);
    if (!['interrupted', 'cancelled', 'failed'].includes(run.status))
      throw new StudioError('CONFLICT', `Run ${run.id} is ${run.status}; only interrupted, cancelled or failed runs can be resumed.`);
    const job = TrainJobSchema.safeParse(run.config);
    if (!job.success) throw new StudioError('INVALID_INPUT', `Run ${run.id} was not started by this version's trainer; start a new run.`);
    return startTrain(ctx, { ...job.data, resume: true }, req.wait);
  },
  'forecast.predict': async (req, ctx) => {
    const model = ctx.store.models.resolve(req.model);
    const ds = ctx.store.datasets.resolve(req.dataset);
    const splitId = resolveSplit(ctx.store, ds.id, String(req.split));
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
    const splitId = resolveSplit(ctx.store, ds.id, String(req.split));
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
  'runs.get': (req, ctx) => {
    const r = ctx.store.runs.get(req.run);
    const checkpoints = (
      ctx.store.db.prepare('SELECT step, epoch, path, is_best, created_at FROM checkpoints WHERE run_id = ? ORDER BY id').all(r.id) as {
        step: number;
        epoch: number | null;
        path: string;
        is_best: number;
        created_at: string;
      }[]
    ).map((c) => ({ step: c.step, epoch: c.epoch, path: c.path, best: c.is_best === 1, createdAt: c.created_at }));
    // SQLite returns the bare columns of the row holding MAX(step): each metric's latest value.
    const latest = ctx.store.db.prepare('SELECT name, MAX(step) AS step, value FROM run_metrics WHERE run_id = ? GROUP BY name').all(r.id) as {
      name: string;
      step: number;
      value: number;
    }[];
    const lastMetrics: Record<string, { step: number; value: number }> = {};
    for (const m of latest) lastMetrics[m.name] = { step: m.step, value: m.value };
    return {
      ...runSummary(r),
      config: r.config,
      result: r.result,
      outputDir: r.outputDir,
      seed: r.seed,
      checkpoints,
      lastMetrics,
    };
  },
} satisfies Partial<Handlers>;
