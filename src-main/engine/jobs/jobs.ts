/**
 * What the worker process does for each job kind. Each job opens its own connection to the
 * same SQLite file (WAL, busy timeout 5 s) and writes what it produces itself: run_metrics in
 * batched transactions, checkpoint rows, forecasts, evaluations, the trained model's entry.
 *
 * Why the worker writes, not the parent: metrics and forecasts are produced here, so sending
 * them over IPC only to insert them on the other side would double the copies and make the
 * store's content depend on the parent being alive and responsive (a busy Electron main
 * process, a CLI that was closed). WAL lets the parent keep reading meanwhile; the parent
 * still owns the run's status (running → completed / failed / cancelled / interrupted),
 * because only it can notice that the worker died.
 */
import { basename } from 'node:path';
import { checkChannelsPresent, prepareData, type PreparedData } from '../data/prepared-data.js';
import { baselineModels, evaluateModels } from '../forecast/evaluate.js';
import type { EvaluationReport } from '../forecast/evaluation-report.js';
import { rollingForecasts, storeForecasts, writeForecastCsv } from '../forecast/predict.js';
import { channelsOf, fitPreprocessor, initialNetwork, type TtmModelState } from '../ttm/study-model.js';
import { ttmWindowModel } from '../forecast/window-models.js';
import { Store } from '../store/index.js';
import { loadCheckpoint } from '../ttm/checkpoint.js';
import { TtmPredictor } from '../ttm/graph/predictor.js';
import { parseTtmConfig } from '../ttm/ttm-config.js';
import { runTrainingLoop, type CheckpointInfo, type TrainProgress } from './loop.js';
import type { EvaluateJob, PredictJob, TrainJob } from './protocol.js';

export interface JobHooks {
  started(info: { device: string; fallbackMessage: string | null; totalSteps: number | null }): void;
  progress(p: TrainProgress & { message?: string }): void;
  checkpoint(c: CheckpointInfo): void;
  shouldCancel(): boolean;
}

export type JobOutcome = { status: 'completed'; result: Record<string, unknown> } | { status: 'cancelled'; step: number | null; checkpoint: string | null };

export async function runTrainJob(job: TrainJob, hooks: JobHooks): Promise<JobOutcome> {
  const config = parseTtmConfig(job.config);
  const store = Store.open(job.databaseFile);
  try {
    const data = prepareData({ dataset: job.data.dataset, split: job.data.split }, { store, resolutionMin: config.resolutionMin, lockSplit: true });
    checkChannelsPresent(data, channelsOf(config));
    let base = null;
    if (job.baseModelDir !== null && config.trainingMode !== 'from_scratch') {
      const ck = await loadCheckpoint(job.baseModelDir);
      base = { config: ck.config, weights: ck.weights };
    }
    const network = initialNetwork(config, base);
    const result = await runTrainingLoop({
      config,
      options: job.options,
      network,
      data,
      outputDir: job.outputDir,
      loggingDir: job.loggingDir,
      runId: job.runId,
      resume: job.resume,
      shouldCancel: hooks.shouldCancel,
      sink: {
        metrics: (points) => store.runs.addMetrics(job.runId, points),
        progress: (p) => hooks.progress(p),
        checkpoint: (c) => {
          store.checkpoints.add({ runId: job.runId, step: c.step, epoch: c.epoch, path: c.path, best: c.best, validLoss: c.validLoss });
          hooks.checkpoint(c);
        },
        started: (s) => {
          // Steps after the checkpoint we resume from are trained again: drop their old metrics
          // so the curve has one point per step.
          if (job.resume) store.runs.deleteMetricsAfter(job.runId, s.startStep);
          hooks.started({ device: s.device, fallbackMessage: s.fallbackMessage, totalSteps: s.totalSteps });
        },
      },
    });
    if (result.status === 'cancelled') return { status: 'cancelled', step: result.steps, checkpoint: result.lastDir };
    const model = store.models.upsert({
      name: job.modelName,
      source: 'trained',
      path: result.modelDir,
      config: { trainingMode: config.trainingMode, freezeBackbone: config.freezeBackbone },
      meta: { runId: job.runId, bestStep: result.bestStep, bestValidLoss: result.bestValidLoss, datasetId: data.datasetId, splitId: data.splitId },
    });
    // The run's record says which tensors of the base model were re-initialised to fit the data
    // (e.g. a mix-channel decoder made for another number of channels): not the model as chosen.
    const reinitializedTensors = network.reinitialized.map((t) => ({ name: t.name, from: t.from, to: t.to }));
    return {
      status: 'completed',
      result: { ...result, modelId: model.id, modelName: model.name, baseModelChannels: base?.config.num_input_channels ?? null, reinitializedTensors },
    };
  } finally {
    store.close();
  }
}

/**
 * The model of a predict / evaluate job. A trained checkpoint carries its preprocessor; a bare
 * HF model (bundled, hub, imported) is used zero-shot: glucose only, with the scaler fitted
 * on this split's training part, as zero-shot prediction (`predictZeroShot`) does.
 */
async function modelForJob(job: PredictJob | EvaluateJob, store: Store): Promise<{ state: TtmModelState; data: PreparedData; zeroShot: boolean }> {
  const ck = await loadCheckpoint(job.modelDir);
  const ref = { dataset: job.data.dataset, split: job.data.split };
  if (ck.preprocessor !== null) {
    const data = prepareData(ref, { store, resolutionMin: ck.preprocessor.resolutionMin });
    // A model trained with covariates needs them here too; absent channels would be fed as zeros.
    checkChannelsPresent(
      data,
      channelsOf({
        targetFeatures: ck.preprocessor.channels.filter((c) => c.role === 'target').map((c) => c.name),
        inputFeatures: ck.preprocessor.channels.filter((c) => c.role !== 'target').map((c) => c.name),
      }),
    );
    return { state: { config: ck.config, weights: ck.weights, preprocessor: ck.preprocessor }, data, zeroShot: false };
  }
  const data = prepareData(ref, { store });
  const config = parseTtmConfig({ trainingMode: 'zero_shot', numEpochs: 0, modelPath: job.modelDir, resolutionMin: data.resolutionMin });
  const net = initialNetwork(config, { config: ck.config, weights: ck.weights });
  return { state: { ...net, preprocessor: fitPreprocessor(config, data, net.config) }, data, zeroShot: true };
}

/** The model, data and predictor of a predict or evaluate job; tells the host which device runs it. */
async function openModelJob(
  job: PredictJob | EvaluateJob,
  store: Store,
  hooks: JobHooks,
): Promise<{ state: TtmModelState; data: PreparedData; zeroShot: boolean; predictor: TtmPredictor }> {
  const { state, data, zeroShot } = await modelForJob(job, store);
  const predictor = await TtmPredictor.create({ config: state.config, weights: state.weights }, { threads: job.threads, executionProvider: job.device });
  hooks.started({
    device: predictor.fallbackMessage === undefined ? job.device : 'cpu',
    fallbackMessage: predictor.fallbackMessage ?? null,
    totalSteps: null,
  });
  return { state, data, zeroShot, predictor };
}

export async function runPredictJob(job: PredictJob, hooks: JobHooks): Promise<JobOutcome> {
  const store = Store.open(job.databaseFile);
  try {
    const { state, data, zeroShot, predictor } = await openModelJob(job, store, hooks);
    try {
      const L = state.preprocessor.contextLength;
      const r = await rollingForecasts(ttmWindowModel(state, predictor, job.batchSize), data, {
        contextLength: L,
        forecastLength: state.preprocessor.forecastLength,
        part: job.part,
        every: job.every,
        levels: job.levels,
        ...(job.patients !== undefined ? { patients: job.patients } : {}),
        ...(job.fromTs !== undefined ? { fromTs: job.fromTs } : {}),
        ...(job.toTs !== undefined ? { toTs: job.toTs } : {}),
      });
      const stored = storeForecasts(store, job.runId, data, r, L);
      const csvRows = job.csvPath === null ? 0 : await writeForecastCsv(job.csvPath, data, r, L);
      return {
        status: 'completed',
        result: { origins: stored, csvPath: job.csvPath, csvRows, forecastLength: r.forecastLength, coverage: r.coverage, zeroShot },
      };
    } finally {
      await predictor.release();
    }
  } finally {
    store.close();
  }
}

/** A model's registered name (the directory's name when the job names no registered model). */
function registeredName(store: Store, modelId: number | null, modelDir: string): string {
  if (modelId !== null) {
    const name = store.models.nameOf(modelId);
    if (name !== null) return name;
  }
  return basename(modelDir);
}

export async function runEvaluateJob(job: EvaluateJob, hooks: JobHooks): Promise<JobOutcome> {
  const store = Store.open(job.databaseFile);
  try {
    const { state, data, zeroShot, predictor } = await openModelJob(job, store, hooks);
    const t0 = performance.now();
    try {
      const geometry = { contextLength: state.preprocessor.contextLength, forecastLength: state.preprocessor.forecastLength };
      const notes: string[] = [];
      if (zeroShot) notes.push('The model has no preprocessor: it was evaluated zero-shot (glucose only, scaler fitted on the training part).');
      // The model's row carries its registered name (as models.list shows it), never a generic "ttm".
      const modelName = registeredName(store, job.modelId, job.modelDir);
      const models = [ttmWindowModel(state, predictor, job.batchSize, modelName), ...baselineModels(data, geometry, notes)];
      const report: EvaluationReport = await evaluateModels(data, models, {
        ...geometry,
        stride: job.stride,
        levels: job.levels,
        part: job.part,
        onProgress: (done, total, what) => {
          const elapsedMs = performance.now() - t0;
          hooks.progress({
            epoch: 0,
            step: done,
            totalSteps: total,
            trainLoss: Number.NaN,
            validLoss: null,
            learningRate: Number.NaN,
            samplesPerSecond: 0,
            elapsedMs,
            etaMs: (elapsedMs / done) * (total - done),
            message: what,
          });
        },
      });
      report.notes.push(...notes);
      report.model = { id: job.modelId, name: modelName, zeroShot };
      const evaluationId = store.evaluations.add({ runId: job.runId, modelId: job.modelId, datasetId: data.datasetId, splitId: data.splitId, report });
      return { status: 'completed', result: { evaluationId, report } };
    } finally {
      await predictor.release();
    }
  } finally {
    store.close();
  }
}
