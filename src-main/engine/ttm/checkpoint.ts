/**
 * Checkpoint directories. The HF part (config.json + model.safetensors) is exactly what
 * granite-tsfm's save_pretrained writes and from_pretrained reads, so checkpoints move both
 * ways. The app adds, all optional on load:
 *   preprocessor.json            channels and roles, fitted scaler, resolution, frequency token
 *   training_state.safetensors   AdamW moments (exp_avg.<param>, exp_avg_sq.<param>) and step
 *   run.json                     provenance: data hashes, split id, seed, versions
 *
 * Saving stages every file in a sibling directory and renames it into place, so a crash leaves
 * the previous checkpoint or the new one, never a mix. Loading checks the weights against the
 * parameter table derived from config.json and names every mismatching tensor.
 *
 * A model folder is untrusted input (`models import`, the web API, hub downloads): loading reads
 * regular files only (a symlink to /dev/zero or a FIFO is refused, never opened for blocking
 * reads), checks every size before reading, refuses configs whose parameter count exceeds
 * MAX_MODEL_PARAMETERS before anything is built from them, and refuses NaN/Inf weights.
 */
import { constants as fsConstants } from 'node:fs';
import { mkdir, open, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { z } from 'zod';
import { StudioError } from '../errors.js';
import { GLUCOSE_UNITS } from '../units.js';
import { replaceDirectory, tempSiblingPath, writeFileAtomic } from '../util/atomic-write.js';
import { formatZodIssues } from '../util/json.js';
import { parseHfConfigJson, serializeHfConfig, type HfTtmConfig } from './hf-config.js';
import type { ModelWeights, WeightTensor } from './init.js';
import { numel, ttmParameterSpecs, type ParameterSpec } from './parameter-shapes.js';
import { parseSafetensors, serializeSafetensors, type SafetensorsFile, type TensorInput } from './safetensors.js';

export const CHECKPOINT_FILES = {
  config: 'config.json',
  model: 'model.safetensors',
  preprocessor: 'preprocessor.json',
  trainingState: 'training_state.safetensors',
  run: 'run.json',
} as const;

const finite = z.number().refine(Number.isFinite, 'must be a finite number');

export const ChannelRoleSchema = z.enum(['target', 'observable', 'control', 'conditional']);

export const ScalerStateSchema = z.discriminatedUnion('type', [
  z.strictObject({ type: z.literal('standard'), mean: z.array(finite), std: z.array(finite.refine((v) => v > 0, 'must be > 0')) }),
  z.strictObject({ type: z.literal('minmax'), min: z.array(finite), max: z.array(finite) }),
  z.strictObject({ type: z.literal('robust'), median: z.array(finite), iqr: z.array(finite.refine((v) => v > 0, 'must be > 0')) }),
  z.strictObject({ type: z.literal('none') }),
]);

/** The preprocessor.json version this app writes. */
export const PREPROCESSOR_FORMAT_VERSION = 2;

/**
 * Version 1 named the forecast length `predictionLength`; version 2 uses the app's name,
 * `forecastLength`. Checkpoints trained before the rename stay loadable: a version 1 object
 * becomes version 2 before validation, so the rest of the app only sees `forecastLength`.
 */
function upgradePreprocessor(raw: unknown): unknown {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) return raw;
  const { formatVersion, predictionLength, ...rest } = raw as Record<string, unknown>;
  if (formatVersion !== 1) return raw;
  return { ...rest, formatVersion: PREPROCESSOR_FORMAT_VERSION, forecastLength: predictionLength };
}

/** preprocessor.json: how raw grid columns become model channels (channel order = model order). */
const PreprocessorV2Schema = z
  .strictObject({
    formatVersion: z.literal(PREPROCESSOR_FORMAT_VERSION),
    channels: z.array(z.strictObject({ name: z.string().min(1), role: ChannelRoleSchema })).min(1),
    scaler: ScalerStateSchema,
    resolutionMin: z.number().int().min(1),
    frequencyToken: z.number().int().min(0).nullable(),
    contextLength: z.number().int().min(1),
    forecastLength: z.number().int().min(1),
    glucoseUnit: z.enum(GLUCOSE_UNITS).optional(),
    imputationStrategy: z.string().optional(),
  })
  .superRefine((p, ctx) => {
    const n = p.channels.length;
    const arrays: Record<string, unknown> = p.scaler;
    for (const [k, v] of Object.entries(arrays)) {
      if (Array.isArray(v) && v.length !== n) ctx.addIssue({ code: 'custom', path: ['scaler', k], message: `has ${v.length} values for ${n} channels` });
    }
    if (p.scaler.type === 'minmax') {
      const { min, max } = p.scaler;
      min.forEach((lo, i) => {
        if (max[i] !== undefined && !(max[i] > lo)) ctx.addIssue({ code: 'custom', path: ['scaler', 'max', i], message: 'must be greater than min' });
      });
    }
    const names = p.channels.map((c) => c.name);
    const dup = names.find((x, i) => names.indexOf(x) !== i);
    if (dup !== undefined) ctx.addIssue({ code: 'custom', path: ['channels'], message: `channel "${dup}" appears twice` });
    if (!p.channels.some((c) => c.role === 'target')) ctx.addIssue({ code: 'custom', path: ['channels'], message: 'needs at least one target channel' });
  });
/** Reads version 1 and 2; always yields (and saveCheckpoint always writes) version 2. */
export const PreprocessorSchema = z.preprocess(upgradePreprocessor, PreprocessorV2Schema);
export type Preprocessor = z.output<typeof PreprocessorV2Schema>;

/** run.json: provenance. Unknown keys are kept (newer versions may add some). */
export const RunInfoSchema = z.looseObject({
  formatVersion: z.literal(1),
  runId: z.string().min(1).nullable().default(null),
  createdAt: z.string().min(1),
  seed: z.number().int().min(0).nullable(),
  splitId: z.string().min(1).nullable(),
  dataHashes: z.record(z.string(), z.string()),
  versions: z.record(z.string(), z.string()),
  trainingConfig: z.unknown().optional(),
});
export type RunInfo = z.output<typeof RunInfoSchema>;

/** AdamW state for the trainable parameters. */
export interface TrainingState {
  step: number;
  expAvg: Map<string, Float32Array>;
  expAvgSq: Map<string, Float32Array>;
  metadata?: Record<string, string>;
}

export interface TtmCheckpoint {
  config: HfTtmConfig;
  weights: ModelWeights;
  preprocessor?: Preprocessor | null;
  trainingState?: TrainingState | null;
  run?: RunInfo | null;
}

export interface LoadedCheckpoint extends TtmCheckpoint {
  preprocessor: Preprocessor | null;
  trainingState: TrainingState | null;
  run: RunInfo | null;
}

const MAX_LISTED = 8;

/** The largest model this app loads: 50 M parameters (published TTMs have about 1–5 M). */
export const MAX_MODEL_PARAMETERS = 50_000_000;
/** config.json, preprocessor.json and run.json are small; anything larger is refused unread. */
export const MAX_JSON_FILE_BYTES = 1024 * 1024;
/** Room for the safetensors header (8-byte length + JSON) on top of the tensor bytes. */
const HEADER_SLACK_BYTES = 1024 * 1024;
/** Widest dtype a weight may be stored in (F64); F32 files are half the bound. */
const MAX_BYTES_PER_WEIGHT = 8;

/** Number of values in the model the config describes (all tensors of the state_dict). */
export function countModelParameters(config: HfTtmConfig): number {
  return ttmParameterSpecs(config).reduce((n, s) => n + numel(s.shape), 0);
}

/** Refuses configs above MAX_MODEL_PARAMETERS; returns the parameter count. */
export function checkModelSize(config: HfTtmConfig, where: string): number {
  const n = countModelParameters(config);
  if (n > MAX_MODEL_PARAMETERS) {
    throw new StudioError(
      'MODEL',
      `The model described by ${where} has ${n.toLocaleString('en-US')} parameters; TTM Studio loads models up to ${MAX_MODEL_PARAMETERS.toLocaleString('en-US')} (published TTMs have a few million).`,
      { parameters: n, limit: MAX_MODEL_PARAMETERS },
    );
  }
  return n;
}

/** The largest model.safetensors a config can justify: every parameter as F64 plus the header. */
export function maxWeightsFileBytes(config: HfTtmConfig): number {
  return countModelParameters(config) * MAX_BYTES_PER_WEIGHT + HEADER_SLACK_BYTES;
}

function describeKind(st: { isDirectory(): boolean; isFIFO(): boolean; isSocket(): boolean; isCharacterDevice(): boolean; isBlockDevice(): boolean }): string {
  if (st.isDirectory()) return 'a directory';
  if (st.isFIFO()) return 'a FIFO (named pipe)';
  if (st.isSocket()) return 'a socket';
  if (st.isCharacterDevice() || st.isBlockDevice()) return 'a device';
  return 'not a regular file';
}

/**
 * Reads a regular file of at most `maxBytes`, or returns null when it does not exist.
 * Symlinks are followed, but what they point at must be a regular file: devices, FIFOs and
 * sockets are refused without reading (the file is opened non-blocking, so even a FIFO swapped
 * in after a check cannot hang us, and the handle itself is checked). The size is checked
 * before anything is allocated.
 */
export async function readRegularFile(path: string, maxBytes: number, what = path, tooLarge?: (size: number) => StudioError): Promise<Buffer | null> {
  const st = await stat(path).catch((e: NodeJS.ErrnoException) => {
    if (e.code === 'ENOENT') return null;
    throw new StudioError('IO', `Cannot read ${what}: ${e.message}`, { path }, { cause: e });
  });
  if (st === null) return null;
  if (!st.isFile()) throw new StudioError('INVALID_INPUT', `${what} is ${describeKind(st)}, not a regular file; refusing to read it.`, { path });
  if (st.size > maxBytes) {
    if (tooLarge !== undefined) throw tooLarge(st.size);
    throw new StudioError(
      'INVALID_INPUT',
      `${what} is ${st.size.toLocaleString('en-US')} bytes; at most ${maxBytes.toLocaleString('en-US')} are allowed here.`,
      {
        path,
        size: st.size,
        limit: maxBytes,
      },
    );
  }
  let fh;
  try {
    fh = await open(path, fsConstants.O_RDONLY | fsConstants.O_NONBLOCK);
  } catch (e) {
    throw new StudioError('IO', `Cannot read ${what}: ${(e as Error).message}`, { path }, { cause: e });
  }
  try {
    const hst = await fh.stat();
    if (!hst.isFile()) throw new StudioError('INVALID_INPUT', `${what} is ${describeKind(hst)}, not a regular file; refusing to read it.`, { path });
    if (hst.size > maxBytes)
      throw new StudioError('INVALID_INPUT', `${what} grew beyond ${maxBytes.toLocaleString('en-US')} bytes while being read.`, { path });
    const buf = Buffer.allocUnsafe(hst.size);
    let done = 0;
    while (done < buf.length) {
      const { bytesRead } = await fh.read(buf, done, buf.length - done, done);
      if (bytesRead === 0) break;
      done += bytesRead;
    }
    return done === buf.length ? buf : buf.subarray(0, done);
  } catch (e) {
    if (e instanceof StudioError) throw e;
    throw new StudioError('IO', `Cannot read ${what}: ${(e as Error).message}`, { path }, { cause: e });
  } finally {
    await fh.close();
  }
}

/** Refuses NaN and ±Infinity, naming the tensor and the first bad position. */
function checkFinite(name: string, data: Float32Array, where: string): void {
  for (let i = 0; i < data.length; i++) {
    const v = data[i] as number;
    if (!Number.isFinite(v)) {
      throw new StudioError(
        'MODEL',
        `Weight "${name}" in ${where} contains ${Number.isNaN(v) ? 'NaN' : String(v)} (at element ${i}); the checkpoint is damaged or came from a diverged training run.`,
        {
          tensor: name,
          index: i,
        },
      );
    }
  }
}

function mismatchError(dir: string, problems: string[]): StudioError {
  const shown = problems.slice(0, MAX_LISTED).join('; ');
  const more = problems.length > MAX_LISTED ? ` (and ${problems.length - MAX_LISTED} more)` : '';
  return new StudioError(
    'MODEL',
    `The weights in ${dir} do not match its config.json: ${shown}${more}. The checkpoint was saved for a different architecture or is damaged.`,
    { problems },
  );
}

const fmt = (s: readonly number[]): string => `[${s.join(', ')}]`;

/**
 * Checks tensors against the config's parameter table: missing, extra and shape mismatches,
 * each named with expected vs actual. Returns nothing; throws StudioError('MODEL').
 */
export function checkWeightsMatchConfig(
  config: HfTtmConfig,
  tensors: ReadonlyMap<string, { readonly shape: readonly number[] }>,
  where = 'the checkpoint',
): void {
  const problems: string[] = [];
  const specs = ttmParameterSpecs(config);
  const expected = new Map(specs.map((s) => [s.name, s]));
  for (const s of specs) {
    const t = tensors.get(s.name);
    if (t === undefined) problems.push(`missing weight "${s.name}" (expected shape ${fmt(s.shape)})`);
    else if (t.shape.length !== s.shape.length || t.shape.some((d, i) => d !== s.shape[i])) {
      problems.push(`"${s.name}" has shape ${fmt(t.shape)}, expected ${fmt(s.shape)}`);
    }
  }
  for (const name of tensors.keys()) if (!expected.has(name)) problems.push(`unexpected weight "${name}"`);
  if (problems.length > 0) throw mismatchError(where, problems);
}

function weightsFromFile(config: HfTtmConfig, file: SafetensorsFile, where: string): ModelWeights {
  checkWeightsMatchConfig(config, file.tensors, where);
  const out: ModelWeights = new Map();
  for (const spec of ttmParameterSpecs(config)) {
    const t = file.get(spec.name);
    if (t.dtype === 'BOOL' || (spec.dtype === 'F32' && !['F32', 'F16', 'BF16', 'F64'].includes(t.dtype))) {
      throw new StudioError('MODEL', `Weight "${spec.name}" in ${where} has dtype ${t.dtype}; a floating-point dtype is expected.`, { tensor: spec.name });
    }
    const data = t.toFloat32();
    checkFinite(spec.name, data, where);
    out.set(spec.name, { shape: spec.shape, data });
  }
  return out;
}

function parseJsonFile<T>(schema: z.ZodType<T>, text: string, path: string): T {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (e) {
    throw new StudioError('PARSE', `${path} is not valid JSON: ${(e as Error).message}`, { path }, { cause: e });
  }
  const r = schema.safeParse(raw);
  if (!r.success) {
    throw new StudioError('PARSE', `${path} is invalid: ${formatZodIssues(r.error, { max: 6 })}`, { path });
  }
  return r.data;
}

const asView = (b: Buffer): Uint8Array => new Uint8Array(b.buffer, b.byteOffset, b.byteLength);

function trainingStateFromFile(config: HfTtmConfig, file: SafetensorsFile, path: string): TrainingState {
  const step = file.tensors.get('step');
  if (step === undefined || step.dtype !== 'I64' || step.size !== 1) throw new StudioError('PARSE', `${path} has no I64 scalar "step".`, { path });
  const stepValue = Number((step.data() as BigInt64Array)[0]);
  if (!Number.isSafeInteger(stepValue) || stepValue < 0) throw new StudioError('PARSE', `${path} has an invalid step ${stepValue}.`, { path });
  const shapes = new Map(ttmParameterSpecs(config).map((s) => [s.name, s.shape]));
  const expAvg = new Map<string, Float32Array>();
  const expAvgSq = new Map<string, Float32Array>();
  const problems: string[] = [];
  for (const t of file.tensors.values()) {
    if (t.name === 'step') continue;
    const m = /^(exp_avg|exp_avg_sq)\.(.+)$/.exec(t.name);
    if (m === null) {
      problems.push(`unexpected tensor "${t.name}"`);
      continue;
    }
    const shape = shapes.get(m[2]);
    if (shape === undefined) problems.push(`moment "${t.name}" is for unknown parameter "${m[2]}"`);
    else if (fmt(shape) !== fmt(t.shape)) problems.push(`moment "${t.name}" has shape ${fmt(t.shape)}, expected ${fmt(shape)}`);
    else if (t.dtype !== 'F32') problems.push(`moment "${t.name}" is ${t.dtype}, expected F32`);
    else (m[1] === 'exp_avg' ? expAvg : expAvgSq).set(m[2], t.data() as Float32Array);
  }
  for (const name of expAvg.keys()) if (!expAvgSq.has(name)) problems.push(`"exp_avg.${name}" has no matching exp_avg_sq`);
  for (const name of expAvgSq.keys()) if (!expAvg.has(name)) problems.push(`"exp_avg_sq.${name}" has no matching exp_avg`);
  if (problems.length > 0)
    throw new StudioError('MODEL', `The optimizer state ${path} does not match the model: ${problems.slice(0, MAX_LISTED).join('; ')}.`, { problems });
  return { step: stepValue, expAvg, expAvgSq, metadata: file.metadata === null ? undefined : { ...file.metadata } };
}

/** Loads a checkpoint (or a plain HF model directory); optional app files are null when absent. */
export async function loadCheckpoint(dir: string): Promise<LoadedCheckpoint> {
  const configPath = join(dir, CHECKPOINT_FILES.config);
  const modelPath = join(dir, CHECKPOINT_FILES.model);
  const configText = await readRegularFile(configPath, MAX_JSON_FILE_BYTES);
  if (configText === null) throw new StudioError('NOT_FOUND', `${dir} is not a model checkpoint: ${CHECKPOINT_FILES.config} is missing.`, { dir });
  const config = parseHfConfigJson(configText.toString('utf8'), configPath);
  // Sized from the config, checked before a byte of the weights is read.
  checkModelSize(config, configPath);
  const maxWeights = maxWeightsFileBytes(config);
  const modelBytes = await readRegularFile(
    modelPath,
    maxWeights,
    modelPath,
    (size) =>
      new StudioError(
        'MODEL',
        `The weights in ${modelPath} do not match its config.json: the file is ${size.toLocaleString('en-US')} bytes, more than the ${maxWeights.toLocaleString('en-US')} the configured model can need. The checkpoint was saved for a different architecture or is damaged.`,
        { path: modelPath, size, limit: maxWeights },
      ),
  );
  if (modelBytes === null) {
    throw new StudioError('NOT_FOUND', `${dir} has no ${CHECKPOINT_FILES.model} (PyTorch .bin checkpoints are not supported; convert them to safetensors).`, {
      dir,
    });
  }
  const weights = weightsFromFile(config, parseSafetensors(asView(modelBytes), { source: modelPath }), modelPath);

  const preText = await readRegularFile(join(dir, CHECKPOINT_FILES.preprocessor), MAX_JSON_FILE_BYTES);
  const preprocessor = preText === null ? null : parseJsonFile(PreprocessorSchema, preText.toString('utf8'), join(dir, CHECKPOINT_FILES.preprocessor));
  if (preprocessor !== null && preprocessor.channels.length !== config.num_input_channels) {
    throw new StudioError(
      'MODEL',
      `preprocessor.json in ${dir} lists ${preprocessor.channels.length} channels but the model takes ${config.num_input_channels}.`,
      { dir },
    );
  }
  const statePath = join(dir, CHECKPOINT_FILES.trainingState);
  // Two F32 moments per parameter plus the step.
  const stateBytes = await readRegularFile(statePath, countModelParameters(config) * 8 + HEADER_SLACK_BYTES);
  const trainingState = stateBytes === null ? null : trainingStateFromFile(config, parseSafetensors(asView(stateBytes), { source: statePath }), statePath);
  const runText = await readRegularFile(join(dir, CHECKPOINT_FILES.run), MAX_JSON_FILE_BYTES);
  const run = runText === null ? null : parseJsonFile(RunInfoSchema, runText.toString('utf8'), join(dir, CHECKPOINT_FILES.run));
  return { config, weights, preprocessor, trainingState, run };
}

function weightInputs(config: HfTtmConfig, weights: ReadonlyMap<string, WeightTensor>): Map<string, TensorInput> {
  checkWeightsMatchConfig(config, weights, 'the weights to save');
  const specs = new Map<string, ParameterSpec>(ttmParameterSpecs(config).map((s) => [s.name, s]));
  const out = new Map<string, TensorInput>();
  for (const [name, w] of weights) {
    const spec = specs.get(name) as ParameterSpec;
    const n = spec.shape.reduce((a, b) => a * b, 1);
    if (w.data.length !== n) throw new StudioError('INVALID_INPUT', `Weight "${name}" has ${w.data.length} values for shape ${fmt(spec.shape)}.`);
    // BatchNorm's num_batches_tracked is an int64 buffer in PyTorch.
    const data = spec.dtype === 'I64' ? BigInt64Array.from(w.data, (v) => BigInt(Math.round(v))) : w.data;
    out.set(name, { dtype: spec.dtype, shape: spec.shape, data });
  }
  return out;
}

function trainingStateInputs(config: HfTtmConfig, state: TrainingState): Map<string, TensorInput> {
  const shapes = new Map(ttmParameterSpecs(config).map((s) => [s.name, s.shape]));
  const out = new Map<string, TensorInput>();
  if (!Number.isSafeInteger(state.step) || state.step < 0)
    throw new StudioError('INVALID_INPUT', `Optimizer step ${state.step} is not a non-negative integer.`);
  out.set('step', { dtype: 'I64', shape: [], data: new BigInt64Array([BigInt(state.step)]) });
  for (const [kind, moments] of [
    ['exp_avg', state.expAvg],
    ['exp_avg_sq', state.expAvgSq],
  ] as const) {
    for (const [name, data] of moments) {
      const shape = shapes.get(name);
      if (shape === undefined) throw new StudioError('INVALID_INPUT', `Optimizer moment for unknown parameter "${name}".`);
      out.set(`${kind}.${name}`, { dtype: 'F32', shape, data });
    }
  }
  return out;
}

async function exists(path: string): Promise<boolean> {
  try {
    await stat(path);
    return true;
  } catch {
    return false;
  }
}

export interface SaveCheckpointOptions {
  /** Replace an existing checkpoint at `dir` (default false: CONFLICT). */
  overwrite?: boolean;
}

/**
 * Writes a checkpoint directory atomically: everything goes to a staging sibling, which is
 * renamed to `dir`; an existing checkpoint is swapped out only after the new one is complete.
 */
export async function saveCheckpoint(dir: string, ckpt: TtmCheckpoint, options: SaveCheckpointOptions = {}): Promise<void> {
  // Serialise (and validate) everything before touching the disk.
  const files: [string, Uint8Array | string][] = [
    [CHECKPOINT_FILES.config, serializeHfConfig(ckpt.config)],
    [CHECKPOINT_FILES.model, serializeSafetensors(weightInputs(ckpt.config, ckpt.weights), { format: 'pt' })],
  ];
  if (ckpt.preprocessor) {
    const p = PreprocessorSchema.safeParse(ckpt.preprocessor);
    if (!p.success) throw new StudioError('INVALID_INPUT', `preprocessor state is invalid: ${formatZodIssues(p.error)}`);
    if (p.data.channels.length !== ckpt.config.num_input_channels) {
      throw new StudioError('INVALID_INPUT', `preprocessor lists ${p.data.channels.length} channels but the model takes ${ckpt.config.num_input_channels}.`);
    }
    files.push([CHECKPOINT_FILES.preprocessor, `${JSON.stringify(p.data, null, 2)}\n`]);
  }
  if (ckpt.trainingState) {
    files.push([
      CHECKPOINT_FILES.trainingState,
      serializeSafetensors(trainingStateInputs(ckpt.config, ckpt.trainingState), { format: 'ttm-studio-adamw', ...(ckpt.trainingState.metadata ?? {}) }),
    ]);
  }
  if (ckpt.run) {
    const r = RunInfoSchema.safeParse(ckpt.run);
    if (!r.success) throw new StudioError('INVALID_INPUT', `run metadata is invalid: ${formatZodIssues(r.error)}`);
    files.push([CHECKPOINT_FILES.run, `${JSON.stringify(r.data, null, 2)}\n`]);
  }

  const staging = tempSiblingPath(dir, 'staging');
  if (!options.overwrite && (await exists(dir))) {
    throw new StudioError('CONFLICT', `A checkpoint already exists at ${dir}; pass overwrite to replace it.`, { dir });
  }
  try {
    await mkdir(staging, { recursive: true });
    for (const [name, data] of files) await writeFileAtomic(join(staging, name), data);
    await replaceDirectory(staging, dir);
  } catch (e) {
    await rm(staging, { recursive: true, force: true }).catch(() => undefined);
    if (e instanceof StudioError) throw e;
    throw new StudioError('IO', `Cannot save the checkpoint to ${dir}: ${(e as Error).message}`, { dir }, { cause: e });
  }
}
