/**
 * `jobs import`: brings a finished cluster job back. Everything in the folder crossed a
 * machine boundary, so each file is validated before use: job.json, result.json and every
 * line of metrics.jsonl against their schemas, the checkpoint by the loader that checks
 * shapes and sizes. Then the app recomputes the job's own forecasts of its check windows
 * with the imported weights: a model that does not behave here as it did under PyTorch is
 * refused, not registered.
 *
 * The model is copied into the app's runs folder (the job folder may be deleted later), the
 * job is recorded as a run of kind 'external' with its configuration, result and metric log,
 * and the best checkpoint is registered as a model.
 */
import { cpSync, existsSync, readFileSync, rmSync } from 'node:fs';
import { isAbsolute, join, relative, resolve } from 'node:path';
import type { z } from 'zod';
import { StudioError } from '../errors.js';
import type { Store } from '../store/index.js';
import { loadCheckpoint, readRegularFile, MAX_JSON_FILE_BYTES } from '../ttm/checkpoint.js';
import { TtmPredictor } from '../ttm/graph/predictor.js';
import { formatZodIssues, parseJsonWith } from '../util/json.js';
import {
  DataIndexSchema,
  JOB_FILES,
  JobFileSchema,
  JobResultSchema,
  MetricLineSchema,
  type DataIndex,
  type JobFile,
  type JobPart,
  type JobResult,
} from './job-files.js';

/** Largest forecast difference (model units) accepted between PyTorch and the app. */
export const CHECK_TOLERANCE = 1e-4;

export interface ImportJobInput {
  store: Store;
  dir: string;
  /** Registered model name (default: the job's name). */
  name?: string;
  /** Where the model is kept: <runsDir>/<run id>/checkpoints/best. */
  runsDir: string;
  threads?: number;
  onProgress?: (message: string) => void;
}

export interface ImportJobSummary {
  runId: number;
  modelId: number;
  modelName: string;
  steps: number;
  bestStep: number | null;
  bestValidLoss: number | null;
  metrics: number;
  check: { windows: number; maxAbsDiff: number; tolerance: number };
  /** Dataset and split of this store the job was trained on (null when they are not here). */
  datasetId: number | null;
  splitId: number | null;
  notes: string[];
}

async function readJson<T>(path: string, schema: z.ZodType<T>, what: string, hint: string): Promise<T> {
  const buf = await readRegularFile(path, MAX_JSON_FILE_BYTES * 64, what);
  if (buf === null) throw new StudioError('NOT_FOUND', `${path} is missing: ${hint}`, { path });
  return parseJsonWith(schema, buf.toString('utf8'), `${path} (${what})`);
}

/** metrics.jsonl → metric points; a bad line is refused with its number. */
function readMetrics(path: string): z.output<typeof MetricLineSchema>[] {
  if (!existsSync(path)) throw new StudioError('NOT_FOUND', `${path} is missing: the job's metric log. Did the job run to the end?`, { path });
  const out: z.output<typeof MetricLineSchema>[] = [];
  readFileSync(path, 'utf8')
    .split('\n')
    .forEach((line, i) => {
      if (line.trim() === '') return;
      let raw: unknown;
      try {
        raw = JSON.parse(line);
      } catch {
        throw new StudioError('PARSE', `${path} line ${i + 1} is not JSON.`, { path, line: i + 1 });
      }
      const r = MetricLineSchema.safeParse(raw);
      if (!r.success) throw new StudioError('PARSE', `${path} line ${i + 1}: ${formatZodIssues(r.error)}.`, { path, line: i + 1 });
      out.push(r.data);
    });
  // A resumed job re-trains the steps after its last checkpoint: keep the latest value per (name, step).
  const latest = new Map<string, z.output<typeof MetricLineSchema>>();
  for (const m of out) latest.set(`${m.name}\u0000${m.step}`, m);
  return [...latest.values()].sort((a, b) => a.step - b.step || a.name.localeCompare(b.name));
}

function readArray<T extends Float32Array | Uint8Array | Int32Array>(
  path: string,
  ctor: { new (b: ArrayBuffer): T; BYTES_PER_ELEMENT: number },
  expected: number,
): T {
  if (!existsSync(path)) throw new StudioError('NOT_FOUND', `${path} is missing.`, { path });
  const buf = readFileSync(path);
  if (buf.byteLength !== expected * ctor.BYTES_PER_ELEMENT)
    throw new StudioError('PARSE', `${path} has ${buf.byteLength} bytes; index.json says ${expected * ctor.BYTES_PER_ELEMENT}.`, { path });
  const copy = new ArrayBuffer(buf.byteLength);
  new Uint8Array(copy).set(buf);
  return new ctor(copy);
}

/** The scaled inputs of a part's first `n` windows, as train_ttm.py builds them. */
export function jobWindowInputs(dir: string, index: DataIndex, part: JobPart, n: number): { past: Float32Array; future: Float32Array; count: number } {
  const p = index.parts[part];
  if (p === undefined) throw new StudioError('PARSE', `data/index.json has no ${part} part.`);
  const C = index.channels.length;
  const L = index.contextLength;
  const P = index.forecastLength;
  const dataDir = join(dir, JOB_FILES.data);
  const values = readArray(join(dataDir, p.values), Float32Array, p.rows * C);
  const windows = readArray(join(dataDir, p.windows), Int32Array, p.windowCount * 2);
  const count = Math.min(n, p.windowCount);
  const past = new Float32Array(count * L * C);
  const future = new Float32Array(count * P * C);
  const { mean, std } = index.scaler;
  for (let w = 0; w < count; w++) {
    const s = p.series[windows[w * 2]!];
    const start = windows[w * 2 + 1]!;
    if (s === undefined || start < 0 || start + L + P > s.length) throw new StudioError('PARSE', `data/${p.windows} window ${w} lies outside its series.`);
    const row0 = s.offset + start;
    for (let t = 0; t < L + P; t++)
      for (let c = 0; c < C; c++) {
        const v = (values[(row0 + t) * C + c]! - mean[c]!) / std[c]!;
        if (t < L) past[(w * L + t) * C + c] = v;
        else future[(w * P + t - L) * C + c] = v;
      }
  }
  return { past, future, count };
}

/** Max |app forecast − job forecast| over the job's check windows. */
async function checkForecasts(
  dir: string,
  modelDir: string,
  index: DataIndex,
  result: JobResult,
  threads: number,
): Promise<{ windows: number; maxAbsDiff: number }> {
  const ck = await loadCheckpoint(modelDir);
  const check = result.checkForecasts;
  const [n, P, cOut] = check.shape;
  const theirs = readArray(join(dir, JOB_FILES.output, check.file), Float32Array, n * P * cOut);
  const inputs = jobWindowInputs(dir, index, check.part, check.windows);
  if (inputs.count !== n) throw new StudioError('PARSE', `result.json's check covers ${n} windows; the ${check.part} part has ${inputs.count}.`);
  if (n === 0) return { windows: 0, maxAbsDiff: 0 };
  const predictor = await TtmPredictor.create({ config: ck.config, weights: ck.weights }, { threads });
  try {
    const res = await predictor.predict({
      pastValues: inputs.past,
      batch: n,
      steps: index.contextLength,
      ...(ck.config.resolution_prefix_tuning ? { freqToken: index.frequencyToken ?? 0 } : {}),
      ...(ck.config.exogenous_channel_indices !== null ? { futureValues: inputs.future } : {}),
    });
    if (res.dims[1] !== P || res.dims[2] !== cOut)
      throw new StudioError('MODEL', `The model forecasts [${res.dims.join(', ')}] here; the job wrote [${check.shape.join(', ')}].`);
    let max = 0;
    for (let i = 0; i < theirs.length; i++) {
      const d = Math.abs(res.predictions[i]! - theirs[i]!);
      if (!(d <= max)) max = Number.isNaN(d) ? Number.POSITIVE_INFINITY : d;
    }
    return { windows: n, maxAbsDiff: max };
  } finally {
    await predictor.release();
  }
}

/** The job's dataset and split in this store, when it came from here (ids and names agree). */
function localSource(store: Store, job: JobFile, notes: string[]): { datasetId: number | null; splitId: number | null } {
  const { dataset, split } = job.source;
  try {
    const ds = store.datasets.resolve(dataset.id);
    const sp = store.splits.get(split.id);
    if (ds.name === dataset.name && sp.datasetId === ds.id && sp.name === split.name && sp.version === split.version)
      return { datasetId: ds.id, splitId: sp.id };
  } catch (e) {
    if (!(e instanceof StudioError && e.code === 'NOT_FOUND')) throw e;
  }
  notes.push(
    `The job was exported from dataset "${dataset.name}" split "${split.name}" v${split.version}, which this app's store does not hold: the run is recorded without them; evaluate the model on a dataset here.`,
  );
  return { datasetId: null, splitId: null };
}

export async function importClusterJob(input: ImportJobInput): Promise<ImportJobSummary> {
  const { store } = input;
  const dir = resolve(input.dir);
  const progress = input.onProgress ?? (() => undefined);
  const job = await readJson(join(dir, JOB_FILES.job), JobFileSchema, 'TTM Studio job (job.json)', 'is this a folder written by `ttm-studio jobs export`?');
  const outDir = join(dir, JOB_FILES.output);
  const result = await readJson(
    join(outDir, JOB_FILES.result),
    JobResultSchema,
    'job result (output/result.json)',
    'the job has not finished (train_ttm.py writes it at the end); run it, or wait for it.',
  );
  const index = await readJson(join(dir, JOB_FILES.data, JOB_FILES.index), DataIndexSchema, 'data index (data/index.json)', 'the job folder is incomplete.');
  if (result.status !== 'completed')
    throw new StudioError(
      'RUNTIME',
      `The job ended "${result.status}" at step ${result.steps}: nothing to import. Its log says why; lower the learning rate and run it again.`,
    );
  const modelDir = resolve(outDir, result.modelDir);
  const rel = relative(outDir, modelDir);
  if (rel === '' || rel.startsWith('..') || isAbsolute(rel)) throw new StudioError('PARSE', `result.json points outside output/ (${result.modelDir}).`);
  const notes: string[] = [];
  const name = input.name ?? job.name;
  if (store.models.list().some((m) => m.name === name))
    throw new StudioError('CONFLICT', `A model named "${name}" exists already; pass --name to register this one under another name.`);

  progress('checking the checkpoint');
  const ck = await loadCheckpoint(modelDir);
  if (ck.preprocessor === null) throw new StudioError('MODEL', `${modelDir} has no preprocessor.json: it was not written by train_ttm.py.`);
  const metrics = readMetrics(join(outDir, JOB_FILES.metrics));

  progress(`recomputing the job's forecasts of ${result.checkForecasts.windows} ${result.checkForecasts.part} windows`);
  const check = await checkForecasts(dir, modelDir, index, result, input.threads ?? 2);
  if (!(check.maxAbsDiff <= CHECK_TOLERANCE))
    throw new StudioError(
      'MODEL',
      `The imported model does not reproduce the job's forecasts: they differ by up to ${check.maxAbsDiff.toExponential(2)} (tolerance ${CHECK_TOLERANCE}). ` +
        'The checkpoint or the data folder was changed after the job ran, or the job used another model code; nothing was imported.',
      { maxAbsDiff: check.maxAbsDiff },
    );

  const source = localSource(store, job, notes);
  const baseModelId =
    job.source.model === null ? null : (store.models.list().find((m) => m.id === job.source.model!.id && m.name === job.source.model!.name)?.id ?? null);
  const run = store.runs.create({
    kind: 'external',
    datasetId: source.datasetId,
    splitId: source.splitId,
    modelId: baseModelId,
    config: { job: { ...job, importedFrom: dir } },
    device: `${result.device} × ${result.processes} (PyTorch DDP)`,
    seed: job.training.seed,
  });
  const keptDir = join(input.runsDir, String(run.id), 'checkpoints', 'best');
  try {
    progress('copying the model');
    cpSync(modelDir, keptDir, { recursive: true });
    for (const f of [JOB_FILES.result, JOB_FILES.metrics]) cpSync(join(outDir, f), join(input.runsDir, String(run.id), f));
    store.runs.setOutputDir(run.id, join(input.runsDir, String(run.id)));
    store.runs.markRunning(run.id, null, null);
    store.runs.addMetrics(
      run.id,
      metrics.map((m) => ({ step: m.step, epoch: m.epoch, name: m.name, value: m.value, ts: m.ts })),
    );
    store.checkpoints.add({ runId: run.id, step: result.bestStep ?? result.steps, epoch: null, path: keptDir, best: true, validLoss: result.bestValidLoss });
    const model = store.models.upsert({
      name,
      source: 'trained',
      path: keptDir,
      config: { trainingMode: job.training.mode, freezeBackbone: job.training.freezeBackbone },
      meta: {
        runId: run.id,
        bestStep: result.bestStep,
        bestValidLoss: result.bestValidLoss,
        datasetId: source.datasetId,
        splitId: source.splitId,
        external: true,
      },
    });
    store.runs.finish(run.id, 'completed', {
      result: {
        ...result,
        modelDir: keptDir,
        modelId: model.id,
        modelName: model.name,
        external: { importedFrom: dir, check: { ...check, tolerance: CHECK_TOLERANCE }, notes },
      },
    });
    return {
      runId: run.id,
      modelId: model.id,
      modelName: model.name,
      steps: result.steps,
      bestStep: result.bestStep,
      bestValidLoss: result.bestValidLoss,
      metrics: metrics.length,
      check: { ...check, tolerance: CHECK_TOLERANCE },
      datasetId: source.datasetId,
      splitId: source.splitId,
      notes,
    };
  } catch (e) {
    store.runs.finish(run.id, 'failed', { error: `Import failed: ${(e as Error).message}` });
    rmSync(keptDir, { recursive: true, force: true });
    throw e;
  }
}
