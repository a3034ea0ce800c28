/**
 * `jobs export`: writes a self-contained folder that trains the run the app would have
 * trained, on PyTorch DDP (train_ttm.py). The folder holds the exact windows the app's loop
 * would use (the same subsampling, order index and fingerprint), the starting network after
 * the app has adapted it to the study's channels, and the training part's scaler: the job
 * replays the app's recipe instead of re-deriving it.
 *
 * Only the split's training and validation parts are written. Validation windows may read
 * their context from before the validation part (as in the app), which is training data;
 * nothing of the test part enters the folder.
 */
import { closeSync, copyFileSync, existsSync, mkdirSync, openSync, readdirSync, rmSync, writeFileSync, writeSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { StudioError } from '../errors.js';
import { appVersion } from '../system.js';
import { checkChannelsPresent, prepareData, type PreparedData } from '../data/prepared-data.js';
import type { Channel } from '../data/grid/channels.js';
import type { WindowDescriptor } from '../data/windows.js';
import { runWindows, windowsFingerprint } from '../jobs/loop.js';
import type { TrainOptions } from '../jobs/protocol.js';
import type { Store } from '../store/index.js';
import { loadCheckpoint, saveCheckpoint, type Preprocessor } from '../ttm/checkpoint.js';
import { lossSpecFromConfig } from '../ttm/graph/training.js';
import { effectiveContextLength, outputLength } from '../ttm/hf-config.js';
import { channelsOf, fitPreprocessor, horizonLossWeights, initialNetwork } from '../ttm/study-model.js';
import type { TTMConfig } from '../ttm/ttm-config.js';
import {
  JOB_FILES,
  JOB_FORMAT,
  JOB_FORMAT_VERSION,
  JOB_SCRIPTS,
  type DataIndex,
  type JobFile,
  type JobPart,
  type JobTraining,
  type PartIndex,
  type SeriesEntry,
} from './job-files.js';
import { jobReadme } from './job-readme.js';
import { replaceDirectory } from '../util/atomic-write.js';
import { findAbove } from '../util/find-above.js';

export interface ExportJobInput {
  store: Store;
  dataset: string | number;
  split: string | number;
  /** The registered base model (null from scratch). */
  model: { id: number; name: string; path: string } | null;
  config: TTMConfig;
  options: TrainOptions;
  /** Suggested name of the model the job produces. */
  name: string;
  outDir: string;
  /** Replace a folder that already holds a job (never a folder with anything else in it). */
  overwrite?: boolean;
  onProgress?: (message: string) => void;
}

export interface ExportJobSummary {
  dir: string;
  trainWindows: number;
  valWindows: number;
  bytes: number;
  totalSteps: number;
  stepsPerEpoch: number;
  files: string[];
}

/** resources/cluster/ beside the app: the repo root in development, the resources folder when packaged. */
export function clusterResourcesDir(): string {
  const script = findAbove(import.meta.url, join('resources', 'cluster', 'train_ttm.py'));
  if (script === null) throw new StudioError('NOT_FOUND', 'resources/cluster/train_ttm.py is missing from this installation; reinstall TTM Studio.');
  return dirname(script);
}

function checkTarget(outDir: string, overwrite: boolean): void {
  if (!existsSync(outDir)) return;
  const entries = readdirSync(outDir);
  if (entries.length === 0) return;
  if (!entries.includes(JOB_FILES.job))
    throw new StudioError('CONFLICT', `${outDir} is not empty and holds no job: choose a new folder for the job.`, { path: outDir });
  if (!overwrite) throw new StudioError('CONFLICT', `${outDir} already holds a job; pass --force to replace it (its output/ goes too).`, { path: outDir });
}

/** Writes one part's series and windows; returns its index entry and the bytes written. */
function writePart(
  dir: string,
  part: JobPart,
  data: PreparedData,
  windows: readonly WindowDescriptor[],
  pre: Preprocessor,
): { index: PartIndex; bytes: number } {
  const L = pre.contextLength;
  const P = pre.forecastLength;
  const channels = pre.channels.map((c) => c.name as Channel);
  const C = channels.length;
  // One series per (patient, segment), spanning its windows; series appear in window order.
  const seriesOf = new Map<string, { patientId: number; segment: number; from: number; to: number; idx: number }>();
  for (const w of windows) {
    const key = `${w.patientId}:${w.segment}`;
    const s = seriesOf.get(key);
    if (s === undefined) seriesOf.set(key, { patientId: w.patientId, segment: w.segment, from: w.start, to: w.start + L + P, idx: seriesOf.size });
    else {
      s.from = Math.min(s.from, w.start);
      s.to = Math.max(s.to, w.start + L + P);
    }
  }
  const files = { values: `${part}.values.f32`, mask: `${part}.mask.u8`, windows: `${part}.windows.i32` };
  const fv = openSync(join(dir, files.values), 'w');
  const fm = openSync(join(dir, files.mask), 'w');
  const series: SeriesEntry[] = [];
  let rows = 0;
  try {
    for (const s of seriesOf.values()) {
      const grid = data.grids.get(s.patientId)!;
      const n = s.to - s.from;
      const values = new Float32Array(n * C);
      const mask = new Uint8Array(n * C);
      channels.forEach((ch, k) => {
        const v = grid.channels[ch];
        const m = grid.masks[ch];
        for (let t = 0; t < n; t++) {
          values[t * C + k] = v[s.from + t]!;
          mask[t * C + k] = m[s.from + t]!;
        }
      });
      // Float32Array is little-endian on every platform Node runs on.
      writeSync(fv, new Uint8Array(values.buffer));
      writeSync(fm, mask);
      series.push({
        patient: data.names.get(s.patientId)!,
        segment: s.segment,
        startTs: grid.startTs + s.from * grid.stepMin * 60_000,
        length: n,
        offset: rows,
      });
      rows += n;
    }
  } finally {
    closeSync(fv);
    closeSync(fm);
  }
  const table = new Int32Array(windows.length * 2);
  windows.forEach((w, i) => {
    const s = seriesOf.get(`${w.patientId}:${w.segment}`)!;
    table[i * 2] = s.idx;
    table[i * 2 + 1] = w.start - s.from;
  });
  writeFileSync(join(dir, files.windows), new Uint8Array(table.buffer));
  return {
    index: { ...files, rows, windowCount: windows.length, series, fingerprint: windowsFingerprint(windows) },
    bytes: rows * C * 5 + table.byteLength,
  };
}

function trainingSection(
  config: TTMConfig,
  options: TrainOptions,
  hfLoss: ReturnType<typeof lossSpecFromConfig>,
  P: number,
  trainWindows: number,
): JobTraining {
  if (config.trainingMode === 'zero_shot') throw new StudioError('INVALID_INPUT', 'zero_shot does not train: there is nothing to run on a cluster.');
  const stepsPerEpoch = Math.ceil(trainWindows / config.batchSize);
  const weights = horizonLossWeights(config, P);
  return {
    mode: config.trainingMode,
    freezeBackbone: config.freezeBackbone,
    learningRate: config.learningRate,
    schedule: options.schedule,
    warmupSteps: config.warmupSteps,
    numEpochs: config.numEpochs,
    maxSteps: options.maxSteps,
    batchSize: config.batchSize,
    batchSizePerDevice: null,
    gradientClipVal: config.gradientClipVal,
    weightDecay: config.weightDecay,
    adamBetas: [0.9, 0.999],
    adamEps: 1e-8,
    loss: {
      kind: hfLoss.kind,
      delta: hfLoss.kind === 'huber' ? (hfLoss.delta ?? 1) : null,
      quantile: hfLoss.kind === 'pinball' ? (typeof hfLoss.quantiles === 'number' ? hfLoss.quantiles : 0.5) : null,
    },
    lossStepWeights: weights === null ? null : Array.from(weights),
    seed: config.seed,
    validateEverySteps: options.validateEverySteps,
    checkpointEverySteps: options.checkpointEverySteps,
    earlyStoppingPatience: config.earlyStoppingPatience,
    stepsPerEpoch,
    totalSteps: Math.min(options.maxSteps ?? Number.POSITIVE_INFINITY, stepsPerEpoch * config.numEpochs),
  };
}

export async function exportClusterJob(input: ExportJobInput): Promise<ExportJobSummary> {
  const { store, config, options } = input;
  const progress = input.onProgress ?? (() => undefined);
  if (config.trainingMode === 'zero_shot') throw new StudioError('INVALID_INPUT', 'zero_shot does not train: there is nothing to run on a cluster.');
  if (config.trainingMode === 'fine_tune' && input.model === null)
    throw new StudioError('INVALID_INPUT', 'fine_tune needs a base model: pass --model (see `ttm-studio models list`), or use from_scratch.');
  checkTarget(input.outDir, input.overwrite === true);
  const resources = clusterResourcesDir();

  progress('loading the split');
  // The split is locked as for a local run: the model that comes back was trained on it.
  const data = prepareData({ dataset: input.dataset, split: input.split }, { store, resolutionMin: config.resolutionMin, lockSplit: true });
  checkChannelsPresent(data, channelsOf(config));
  const base = input.model !== null && config.trainingMode !== 'from_scratch' ? await loadCheckpoint(input.model.path) : null;
  const network = initialNetwork(config, base === null ? null : { config: base.config, weights: base.weights });
  const pre = fitPreprocessor(config, data, network.config);
  const L = effectiveContextLength(network.config);
  const P = outputLength(network.config);
  const windows = runWindows(data, options, config.seed, L, P);
  if (windows.train.length === 0)
    throw new StudioError('INVALID_INPUT', `No training windows of ${L} + ${P} steps fit the split's training part; use a shorter context or more data.`);
  const training = trainingSection(config, options, lossSpecFromConfig(network.config), P, windows.train.length);

  // Written beside the target and renamed into place: an interrupted export leaves no half job.
  const staging = `${input.outDir}.partial-${process.pid}`;
  rmSync(staging, { recursive: true, force: true });
  mkdirSync(dirname(input.outDir), { recursive: true });
  const dataDir = join(staging, JOB_FILES.data);
  mkdirSync(dataDir, { recursive: true });
  try {
    progress(`writing ${windows.train.length.toLocaleString('en-US')} training and ${windows.val.length.toLocaleString('en-US')} validation windows`);
    const train = writePart(dataDir, 'train', data, windows.train, pre);
    const val = windows.val.length > 0 ? writePart(dataDir, 'val', data, windows.val, pre) : null;
    if (pre.scaler.type !== 'standard') throw new StudioError('INTERNAL', 'The job format carries a standard scaler only.');
    const index: DataIndex = {
      formatVersion: JOB_FORMAT_VERSION,
      layout:
        '<part>.values.f32: [rows, channels] little-endian float32, raw values (scale with scaler: (v - mean) / std); <part>.mask.u8: [rows, channels] 1 = observed; ' +
        '<part>.windows.i32: [windows, 2] (series, first context row within the series); a window is rows offset+start … +contextLength+forecastLength of its series.',
      channels: pre.channels.map((c) => ({ name: c.name, role: c.role })),
      scaler: { type: 'standard', mean: pre.scaler.mean, std: pre.scaler.std },
      contextLength: L,
      forecastLength: P,
      resolutionMin: pre.resolutionMin,
      frequencyToken: pre.frequencyToken,
      parts: { train: train.index, ...(val !== null ? { val: val.index } : {}) },
    };
    writeFileSync(join(dataDir, JOB_FILES.index), `${JSON.stringify(index, null, 2)}\n`);

    progress('writing the base model');
    await saveCheckpoint(join(staging, JOB_FILES.baseModel), { config: network.config, weights: network.weights, preprocessor: pre });

    const ds = store.datasets.resolve(input.dataset);
    const split = store.splits.get(data.splitId!);
    const job: JobFile = {
      format: JOB_FORMAT,
      formatVersion: JOB_FORMAT_VERSION,
      createdAt: new Date().toISOString(),
      appVersion: appVersion(),
      name: input.name,
      source: {
        dataset: { id: ds.id, name: ds.name },
        split: { id: split.id, name: split.name, version: split.version },
        model: input.model === null ? null : { id: input.model.id, name: input.model.name },
      },
      config: { ...config },
      options: { ...options },
      training,
    };
    writeFileSync(join(staging, JOB_FILES.job), `${JSON.stringify(job, null, 2)}\n`);
    for (const f of JOB_SCRIPTS) copyFileSync(join(resources, f), join(staging, f));
    const bytes = train.bytes + (val?.bytes ?? 0);
    writeFileSync(
      join(staging, JOB_FILES.readme),
      jobReadme({ job, index, bytes, patients: new Set([...train.index.series, ...(val?.index.series ?? [])].map((s) => s.patient)).size }),
    );

    // An earlier job in the folder stays in place until the new one is complete.
    await replaceDirectory(staging, input.outDir);
    return {
      dir: input.outDir,
      trainWindows: windows.train.length,
      valWindows: windows.val.length,
      bytes,
      totalSteps: training.totalSteps,
      stepsPerEpoch: training.stepsPerEpoch,
      files: [JOB_FILES.readme, JOB_FILES.job, ...JOB_SCRIPTS, `${JOB_FILES.baseModel}/`, `${JOB_FILES.data}/`],
    };
  } catch (e) {
    rmSync(staging, { recursive: true, force: true });
    throw e;
  }
}
