/**
 * `train.start`, `train.cancel` and `train.resume`. Every job runs in a worker process
 * (TrainingHost): onnxruntime blocks the thread it runs on, so nothing here calls it. A run
 * row records the job (config, options, data, base model) so `train.resume` can restart it
 * exactly; its status is kept by the host from the worker's messages.
 */
import { join } from 'node:path';
import { StudioError } from '../../errors.js';
import { isDefaultModel } from '../../ttm/bundled-models.js';
import { TrainJobSchema, TrainOptionsSchema, type TrainJob, type TrainOptions } from '../../jobs/protocol.js';
import type { ModelRow } from '../../store/index.js';
import { parseTtmConfig, type TTMConfig } from '../../ttm/ttm-config.js';
import { formatZodIssues } from '../../util/json.js';
import type { CallContext, Handlers } from './context.js';
import { readSettings } from './core.js';
import { finished, runEnd } from './run-end.js';

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

/**
 * What train.start and jobs.export resolve alike: the dataset, the split, the base model (the
 * bundled default for fine_tune when none is named) and the validated config and options.
 */
export function resolveTrainingRequest(
  ctx: CallContext,
  req: {
    dataset: string | number;
    split: string | number;
    model?: string | number | undefined;
    config: Record<string, unknown>;
    options: Record<string, unknown>;
  },
): { datasetId: number; splitId: number; model: ModelRow | null; config: TTMConfig; options: TrainOptions } {
  const ds = ctx.store.datasets.resolve(req.dataset);
  const splitId = ctx.store.splits.resolve(ds.id, String(req.split));
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
  if (!options.success) throw new StudioError('INVALID_INPUT', `Invalid training options: ${formatZodIssues(options.error, { max: 6 })}`);
  return { datasetId: ds.id, splitId, model, config, options: options.data };
}

export const trainHandlers = {
  'train.start': (req, ctx) => {
    const { datasetId, splitId, model, config, options } = resolveTrainingRequest(ctx, req);
    const run = ctx.store.runs.create({
      kind: 'train',
      datasetId,
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
      options,
      data: { dataset: datasetId, split: splitId },
      resume: false,
      modelName: req.name ?? `run-${run.id}`,
    });
    // The job is the run's config: resume replays it exactly.
    ctx.store.runs.setJob(run.id, job, outputDir);
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
    if (run.kind === 'external')
      throw new StudioError(
        'INVALID_INPUT',
        `Run ${run.id} is a cluster job imported from elsewhere; it resumes where it ran: start train_ttm.py again in its folder (it continues from output/checkpoints/last), then import it again.`,
      );
    if (run.kind !== 'train') throw new StudioError('INVALID_INPUT', `Run ${run.id} is a ${run.kind} run; only training runs resume.`);
    if (!['interrupted', 'cancelled', 'failed'].includes(run.status))
      throw new StudioError('CONFLICT', `Run ${run.id} is ${run.status}; only interrupted, cancelled or failed runs can be resumed.`);
    const job = TrainJobSchema.safeParse(run.config);
    if (!job.success) throw new StudioError('INVALID_INPUT', `Run ${run.id} was not started by this version's trainer; start a new run.`);
    return startTrain(ctx, { ...job.data, resume: true }, req.wait);
  },
} satisfies Partial<Handlers>;
