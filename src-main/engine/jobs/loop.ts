/**
 * The TTM training loop (worker side; also callable in-process by TTMForecaster.fit and the
 * bench). One optimizer step = one session.run of the training graph (onnx Trainer), or on
 * the CPU with ≥ 2 threads, gradients of batch slices in worker threads plus one AdamW run
 * (onnx DataParallelTrainer; see createTtmTrainer).
 *
 * Determinism: everything random derives from the seed and the global step — the data order
 * (a seeded permutation per epoch), dropout masks (a stream per step), the schedule (a pure
 * function of the step). A run resumed from a checkpoint at step k therefore continues with
 * exactly the batches, masks and learning rates the uninterrupted run would have used, and on
 * CPU with the same thread count (hence the same batch slicing) reaches bit-identical parameters.
 *
 * Checkpoints (HF dir + preprocessor + training_state + run.json, written atomically by
 * ttm/checkpoint.ts): `checkpoints/last` every `checkpointEverySteps`, on cancel and at the
 * end; `checkpoints/best` whenever validation loss improves. A non-finite loss, gradient norm
 * or parameter stops the run before anything is written, so the last checkpoint stays good.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { Rng, dropoutMask, type TensorData } from '../onnx/index.js';
import { StudioError } from '../errors.js';
import { appVersion, onnxruntimeVersion } from '../system.js';
import type { WindowDescriptor } from '../data/windows.js';
import { partWindows, type PreparedData } from '../data/prepared-data.js';
import { fitPreprocessor, horizonLossWeights, scaledBatch, weightFutureMask, type TtmModelState } from '../ttm/study-model.js';
import { loadCheckpoint, saveCheckpoint, type LoadedCheckpoint, type Preprocessor } from '../ttm/checkpoint.js';
import { effectiveContextLength, outputLength, type HfTtmConfig } from '../ttm/hf-config.js';
import type { ModelWeights } from '../ttm/init.js';
import { TtmPredictor } from '../ttm/graph/predictor.js';
import {
  TTM_TRAIN_IO,
  createTtmTrainer,
  optimizerStateFromCheckpoint,
  trainingStateFromOptimizer,
  weightsFromFlat,
  type DropoutInput,
} from '../ttm/graph/training.js';
import type { TTMConfig } from '../ttm/ttm-config.js';
import { EarlyStopping, EarlyStoppingStateSchema } from './early-stopping.js';
import { parseSchedule, scheduleAt, type Schedule } from './schedules.js';
import { TensorBoardWriter } from './tensorboard.js';
import type { TrainOptions } from './protocol.js';

export interface MetricPoint {
  step: number;
  epoch: number | null;
  name: string;
  value: number;
  ts: number;
}

export interface TrainProgress {
  epoch: number;
  step: number;
  totalSteps: number;
  trainLoss: number;
  validLoss: number | null;
  learningRate: number;
  samplesPerSecond: number;
  elapsedMs: number;
  etaMs: number | null;
  /** What the loop is doing: "training", or a stage that takes a while (validating, saving). */
  message?: string;
}

export interface CheckpointInfo {
  step: number;
  epoch: number;
  path: string;
  best: boolean;
  validLoss: number | null;
}

/** Where the loop reports; the worker forwards to the parent and the store, fit() to its callback. */
export interface TrainingSink {
  metrics(points: readonly MetricPoint[]): void;
  progress(p: TrainProgress): void;
  checkpoint(c: CheckpointInfo): void;
  /** Called once the device is known (CUDA may have fallen back to CPU). */
  started?(info: { device: string; fallbackMessage: string | null; totalSteps: number; startStep: number; trainWindows: number; valWindows: number }): void;
}

export interface TrainLoopInput {
  config: TTMConfig;
  options: TrainOptions;
  /** The network to start from (ignored on resume: the checkpoint wins). */
  network: { config: HfTtmConfig; weights: ModelWeights };
  data: PreparedData;
  /** Run directory: checkpoints/last and checkpoints/best go here. */
  outputDir: string;
  loggingDir: string;
  runId: number | null;
  resume: boolean;
  /** Polled after every step: stop, keeping a checkpoint. */
  shouldCancel: () => boolean;
  sink: TrainingSink;
}

export interface TrainLoopResult {
  status: 'completed' | 'cancelled';
  steps: number;
  totalSteps: number;
  epochs: number;
  bestStep: number | null;
  bestValidLoss: number | null;
  /** Validation loss before the first step (null on resume or without validation windows). */
  initialValidLoss: number | null;
  lastTrainLoss: number | null;
  /** Checkpoint to use as the trained model (best by validation loss, else last). */
  modelDir: string;
  lastDir: string;
  earlyStopped: boolean;
  device: string;
  samplesPerSecond: number;
}

export const checkpointDirs = (outputDir: string) => ({ last: join(outputDir, 'checkpoints', 'last'), best: join(outputDir, 'checkpoints', 'best') });

/** Resolves a symbolic dropout-mask shape for a batch (dims are numbers or products with 'batch'). */
function resolveDims(shape: readonly (number | string)[], batch: number): number[] {
  return shape.map((d) => {
    if (typeof d === 'number') return d;
    return d.split('*').reduce((acc, f) => {
      if (f === 'batch') return acc * batch;
      const n = Number(f);
      if (!Number.isInteger(n)) throw new StudioError('INTERNAL', `Cannot size dropout mask dim "${d}".`);
      return acc * n;
    }, 1);
  });
}

/** A seeded permutation of 0…n−1 for one epoch (Fisher–Yates). */
export function epochOrder(n: number, seed: number, epoch: number): Uint32Array {
  const rng = new Rng((seed ^ Math.imul(epoch + 1, 0x9e3779b1)) >>> 0);
  const order = new Uint32Array(n);
  for (let i = 0; i < n; i++) order[i] = i;
  for (let i = n - 1; i > 0; i--) {
    const j = rng.int(0, i);
    const t = order[i]!;
    order[i] = order[j]!;
    order[j] = t;
  }
  return order;
}

/** A seeded subsample (sorted) when a part has more windows than wanted. */
function subsample(ws: WindowDescriptor[], max: number | null, seed: number): WindowDescriptor[] {
  if (max === null || ws.length <= max) return ws;
  const order = epochOrder(ws.length, seed, -1);
  return Array.from(order.subarray(0, max))
    .sort((a, b) => a - b)
    .map((i) => ws[i]!);
}

/**
 * The windows a run trains and validates on, in the order the data order indexes them: a pure
 * function of the data, the geometry, the options and the seed (a cluster job exports exactly these).
 */
export function runWindows(data: PreparedData, o: TrainOptions, seed: number, L: number, P: number): { train: WindowDescriptor[]; val: WindowDescriptor[] } {
  return {
    train: subsample(partWindows(data, 'train', { contextLength: L, forecastLength: P, stride: o.trainStride }), o.maxTrainWindows, seed),
    val: subsample(partWindows(data, 'val', { contextLength: L, forecastLength: P, stride: o.evalStride, role: 'train' }), o.maxValWindows, seed + 1),
  };
}

function allFinite(a: ArrayLike<number>): boolean {
  for (let i = 0; i < a.length; i++) if (!Number.isFinite(a[i]!)) return false;
  return true;
}

function scheduleFor(o: TrainOptions, config: TTMConfig, totalSteps: number): Schedule {
  const lr = config.learningRate;
  const warmup = Math.min(config.warmupSteps, totalSteps);
  switch (o.schedule) {
    case 'one-cycle':
      // One-cycle needs a warm-up phase of at least two steps.
      return parseSchedule({ kind: 'one-cycle', maxLr: lr, totalSteps: Math.max(totalSteps, 4) });
    case 'warmup-linear':
      return parseSchedule({ kind: 'warmup-linear', lr, warmupSteps: warmup, totalSteps });
    case 'warmup-cosine':
      return parseSchedule({ kind: 'warmup-cosine', lr, warmupSteps: warmup, totalSteps });
    case 'constant':
      return parseSchedule({ kind: 'constant', lr });
  }
}

/**
 * Masked MSE of the target channels in the model's (scaled) units, with the run's per-step
 * loss weights: the training loss on validation windows.
 */
export async function validationLoss(
  state: TtmModelState,
  data: PreparedData,
  windows: readonly WindowDescriptor[],
  batchSize: number,
  threads: number,
  stepWeights: Float32Array | null = null,
): Promise<number> {
  const predictor = await TtmPredictor.create({ config: state.config, weights: state.weights }, { threads });
  try {
    const nTargets = state.preprocessor.channels.filter((c) => c.role === 'target').length;
    const C = state.preprocessor.channels.length;
    let sum = 0;
    let n = 0;
    for (let s = 0; s < windows.length; s += batchSize) {
      const chunk = windows.slice(s, s + batchSize);
      const sb = scaledBatch(data, chunk, state.preprocessor);
      const res = await predictor.predict({
        pastValues: sb.past,
        batch: chunk.length,
        steps: state.preprocessor.contextLength,
        ...(state.config.resolution_prefix_tuning ? { freqToken: state.preprocessor.frequencyToken ?? 0 } : {}),
        ...(state.config.exogenous_channel_indices !== null ? { futureValues: sb.future } : {}),
      });
      const [, P, cOut] = res.dims;
      for (let b = 0; b < chunk.length; b++)
        for (let h = 0; h < P; h++)
          for (let k = 0; k < nTargets; k++) {
            const i = (b * P + h) * C + k;
            if (sb.futureMask[i] === 0) continue;
            const e = res.predictions[(b * P + h) * cOut + k]! - sb.future[i]!;
            const w = stepWeights?.[h] ?? 1;
            sum += w * e * e;
            n += w;
          }
    }
    return n === 0 ? Number.NaN : sum / n;
  } finally {
    await predictor.release();
  }
}

/** What training_state's metadata carries besides the moments, to resume mid-run. */
interface ResumeMeta {
  earlyStopping?: string;
  lastValidLoss?: string;
  /** Fingerprint of the training windows: resuming on changed data would break the data order. */
  trainWindows?: string;
}

/** Count and FNV-1a hash of (patient, start) of every training window. */
export function windowsFingerprint(ws: readonly WindowDescriptor[]): string {
  let h = 0x811c9dc5;
  for (const w of ws) {
    h = Math.imul(h ^ w.patientId, 0x01000193) >>> 0;
    h = Math.imul(h ^ w.start, 0x01000193) >>> 0;
  }
  return `${ws.length}:${h.toString(16)}`;
}

/** Where a run starts: the base network with a preprocessor fitted now, or (resume) the last checkpoint. */
async function startingPoint(
  input: TrainLoopInput,
  lastDir: string,
): Promise<{ network: { config: HfTtmConfig; weights: ModelWeights }; preprocessor: Preprocessor; resumeState: LoadedCheckpoint | null }> {
  if (!input.resume) return { network: input.network, preprocessor: fitPreprocessor(input.config, input.data, input.network.config), resumeState: null };
  if (!existsSync(lastDir))
    throw new StudioError('NOT_FOUND', `Run ${input.runId ?? ''} has no checkpoint to resume from (${lastDir}); start it again instead.`);
  const resumeState = await loadCheckpoint(lastDir);
  if (resumeState.trainingState === null || resumeState.preprocessor === null)
    throw new StudioError('MODEL', `The checkpoint ${lastDir} has no optimizer state; it cannot be resumed.`);
  return { network: { config: resumeState.config, weights: resumeState.weights }, preprocessor: resumeState.preprocessor, resumeState };
}

/** The early-stopping tracker and the last validation loss, as a resumed checkpoint left them. */
function restoredProgress(
  resumeState: LoadedCheckpoint | null,
  fingerprint: string,
  runId: number | null,
  patience: number,
): { early: EarlyStopping; lastValid: number | null } {
  // Patience 0 = never stop early; the tracker still keeps the best step.
  let early = new EarlyStopping({ patience: patience > 0 ? patience : Number.MAX_SAFE_INTEGER });
  let lastValid: number | null = null;
  if (resumeState === null) return { early, lastValid };
  const meta: ResumeMeta = resumeState.trainingState!.metadata ?? {};
  if (meta.earlyStopping !== undefined) early = new EarlyStopping({ state: EarlyStoppingStateSchema.parse(JSON.parse(meta.earlyStopping)) });
  if (meta.lastValidLoss !== undefined && meta.lastValidLoss !== 'null') lastValid = Number(meta.lastValidLoss);
  if (meta.trainWindows !== undefined && meta.trainWindows !== fingerprint) {
    throw new StudioError(
      'CONFLICT',
      `The training data changed since run ${runId ?? ''} was checkpointed (windows ${meta.trainWindows} then, ${fingerprint} now): resuming would not continue the same data order. Start a new run instead.`,
    );
  }
  return { early, lastValid };
}

/** Metric points on their way to the sink (batched) and to TensorBoard. */
class MetricLog {
  private pending: MetricPoint[] = [];

  constructor(
    private readonly sink: TrainingSink,
    private readonly tb: TensorBoardWriter,
  ) {}

  add(step: number, epoch: number, name: string, value: number): void {
    this.pending.push({ step, epoch, name, value, ts: Date.now() });
    this.tb.addScalar(name, value, step);
  }

  get backlog(): number {
    return this.pending.length;
  }

  flush(): void {
    if (this.pending.length > 0) this.sink.metrics(this.pending);
    this.tb.flush();
    this.pending = [];
  }
}

/** The inputs of the step after `k` steps: a pure function of k (data order, dropout masks). */
class BatchFeeder {
  private order: Uint32Array;
  private orderEpoch: number;

  constructor(
    private readonly r: {
      data: PreparedData;
      windows: readonly WindowDescriptor[];
      preprocessor: Preprocessor;
      hf: HfTtmConfig;
      seed: number;
      batchSize: number;
      stepsPerEpoch: number;
      stepWeights: Float32Array | null;
      dropoutInputs: DropoutInput[] | null;
      nanAtStep: number | undefined;
    },
    startStep: number,
  ) {
    this.orderEpoch = Math.floor(startStep / r.stepsPerEpoch);
    this.order = epochOrder(r.windows.length, r.seed, this.orderEpoch);
  }

  feeds(k: number): Record<string, TensorData> {
    const { data, preprocessor, batchSize: B, stepsPerEpoch } = this.r;
    const epochIdx = Math.floor(k / stepsPerEpoch);
    if (epochIdx !== this.orderEpoch) {
      this.order = epochOrder(this.r.windows.length, this.r.seed, epochIdx);
      this.orderEpoch = epochIdx;
    }
    const pos = k % stepsPerEpoch;
    const idx = this.order.subarray(pos * B, Math.min((pos + 1) * B, this.r.windows.length));
    const windows = Array.from(idx, (i) => this.r.windows[i]!);
    const sb = scaledBatch(data, windows, preprocessor);
    if (this.r.nanAtStep === k + 1) sb.past[0] = Number.NaN;
    const C = preprocessor.channels.length;
    const L = preprocessor.contextLength;
    const P = preprocessor.forecastLength;
    weightFutureMask(sb.futureMask, this.r.stepWeights, P, C);
    const feeds: Record<string, TensorData> = {
      [TTM_TRAIN_IO.pastValues]: { data: sb.past, dims: [windows.length, L, C] },
      [TTM_TRAIN_IO.futureValues]: { data: sb.future, dims: [windows.length, P, C] },
      [TTM_TRAIN_IO.futureObservedMask]: { data: sb.futureMask, dims: [windows.length, P, C] },
    };
    if (this.r.hf.resolution_prefix_tuning) {
      feeds[TTM_TRAIN_IO.freqToken] = { data: new BigInt64Array(windows.length).fill(BigInt(preprocessor.frequencyToken ?? 0)), dims: [windows.length] };
    }
    if (this.r.dropoutInputs !== null) {
      const rng = new Rng((this.r.seed * 0x85ebca6b + (k + 1) * 0x27d4eb2f) >>> 0);
      for (const d of this.r.dropoutInputs) {
        const dims = resolveDims(d.shape, windows.length);
        feeds[d.name] = {
          data: dropoutMask(
            rng,
            dims.reduce((a, b) => a * b, 1),
            d.p,
          ),
          dims,
        };
      }
    }
    return feeds;
  }
}

function nonFiniteError(config: TTMConfig, lastDir: string, step: number, epoch: number, what: string): StudioError {
  const kept = existsSync(lastDir) ? `The last good checkpoint is kept in ${lastDir}.` : 'No checkpoint had been written yet.';
  return new StudioError(
    'RUNTIME',
    `Training diverged: the ${what} became NaN or infinite at step ${step} (epoch ${epoch.toFixed(2)}). ${kept} Lower the learning rate (now ${config.learningRate}) or check the data for extreme values.`,
    { step, epoch },
  );
}

/** The optimizer-step trainer of a run: its network, frozen parts, dropout, clipping, weight decay and β1 input. */
function createRunTrainer(network: { config: HfTtmConfig; weights: ModelWeights }, config: TTMConfig, schedule: TrainOptions['schedule'], threads: number) {
  return createTtmTrainer(
    network.config,
    network.weights,
    {
      freezeBackbone: config.freezeBackbone,
      futureObservedMask: true,
      dropout: network.config.dropout > 0 || network.config.head_dropout > 0,
      optimizer: {
        weightDecay: config.weightDecay,
        ...(config.gradientClipVal > 0 ? { maxGradNorm: config.gradientClipVal } : {}),
        beta1Input: schedule === 'one-cycle',
      },
    },
    { threads, device: config.device, batchSize: config.batchSize },
  );
}

/** A checkpoint of the run as it stands: weights, preprocessor, optimizer state with the resume metadata, provenance. */
async function writeRunCheckpoint(
  dir: string,
  c: {
    network: { config: HfTtmConfig; weights: ModelWeights };
    built: Awaited<ReturnType<typeof createRunTrainer>>;
    preprocessor: Preprocessor;
    meta: Record<string, string>;
    config: TTMConfig;
    runId: number | null;
    splitId: number | null;
    fingerprint: string;
  },
): Promise<void> {
  const s = c.built.trainer.getState();
  await saveCheckpoint(
    dir,
    {
      config: c.network.config,
      weights: weightsFromFlat(c.network.weights, c.built.graph, s.params),
      preprocessor: c.preprocessor,
      trainingState: trainingStateFromOptimizer(c.built.graph, s, c.meta),
      run: {
        formatVersion: 1,
        runId: c.runId === null ? null : String(c.runId),
        createdAt: new Date().toISOString(),
        seed: c.config.seed,
        splitId: c.splitId === null ? null : String(c.splitId),
        dataHashes: { trainWindows: c.fingerprint },
        versions: { ttmStudio: appVersion(), onnxruntime: onnxruntimeVersion(), node: process.versions.node },
        trainingConfig: c.config,
      },
    },
    { overwrite: true },
  );
}

export async function runTrainingLoop(input: TrainLoopInput): Promise<TrainLoopResult> {
  const { config, options: o, data, sink } = input;
  const dirs = checkpointDirs(input.outputDir);
  const { network, preprocessor, resumeState } = await startingPoint(input, dirs.last);
  const L = effectiveContextLength(network.config);
  const P = outputLength(network.config);
  const stepWeights = horizonLossWeights(config, P);
  const { train: trainWindows, val: valWindows } = runWindows(data, o, config.seed, L, P);
  if (trainWindows.length === 0)
    throw new StudioError('INVALID_INPUT', `No training windows of ${L} + ${P} steps fit the split's training part; use a shorter context or more data.`);

  const dropoutOn = network.config.dropout > 0 || network.config.head_dropout > 0;
  const threads = config.threads ?? 2;
  const built = await createRunTrainer(network, config, o.schedule, threads);
  const trainer = built.trainer;
  const device = trainer.fallbackMessage === undefined ? config.device : 'cpu';
  const tb = TensorBoardWriter.open(input.loggingDir);
  try {
    const B = config.batchSize;
    const stepsPerEpoch = Math.ceil(trainWindows.length / B);
    // --max-steps caps the epochs' steps; it never extends them.
    const totalSteps = Math.min(o.maxSteps ?? Number.POSITIVE_INFINITY, stepsPerEpoch * config.numEpochs);
    const schedule = scheduleFor(o, config, totalSteps);
    const validateEvery = o.validateEverySteps ?? stepsPerEpoch;
    const checkpointEvery = o.checkpointEverySteps ?? stepsPerEpoch;
    const fingerprint = windowsFingerprint(trainWindows);
    if (resumeState !== null) trainer.setState(optimizerStateFromCheckpoint(built.graph, resumeState.weights, resumeState.trainingState!));
    const restored = restoredProgress(resumeState, fingerprint, input.runId, config.earlyStoppingPatience);
    const early = restored.early;
    let lastValid = restored.lastValid;
    sink.started?.({
      device,
      fallbackMessage: trainer.fallbackMessage ?? null,
      totalSteps,
      startStep: trainer.stepCount,
      trainWindows: trainWindows.length,
      valWindows: valWindows.length,
    });

    const stateOf = (): TtmModelState => ({ config: network.config, weights: weightsFromFlat(network.weights, built.graph, trainer.params), preprocessor });
    const nonFinite = (step: number, epoch: number, what: string): StudioError => nonFiniteError(config, dirs.last, step, epoch, what);
    const save = async (dir: string, step: number, epoch: number): Promise<void> => {
      if (!allFinite(trainer.params)) throw nonFinite(step, epoch, 'parameters');
      const meta = { epoch: String(epoch), earlyStopping: JSON.stringify(early.toJSON()), lastValidLoss: String(lastValid), trainWindows: fingerprint };
      await writeRunCheckpoint(dir, { network, built, preprocessor, meta, config, runId: input.runId, splitId: data.splitId, fingerprint });
    };
    const validate = (): Promise<number> => validationLoss(stateOf(), data, valWindows, Math.max(B, 256), threads, stepWeights);

    const startStep = trainer.stepCount;
    const t0 = performance.now();
    const log = new MetricLog(sink, tb);
    const feeder = new BatchFeeder(
      {
        data,
        windows: trainWindows,
        preprocessor,
        hf: network.config,
        seed: config.seed,
        batchSize: B,
        stepsPerEpoch,
        stepWeights,
        dropoutInputs: dropoutOn ? (built.dropoutInputs as DropoutInput[]) : null,
        nanAtStep: o.faultInjection?.nanAtStep,
      },
      startStep,
    );
    let lastLoss: number | null = null;
    let lastProgress = -Infinity;
    let status: TrainLoopResult['status'] = 'completed';
    let earlyStopped = false;

    // Validation loss of the starting model (step 0): what fine-tuning has to beat.
    let initialValidLoss: number | null = null;
    if (startStep === 0 && valWindows.length > 0) {
      initialValidLoss = await validate();
      log.add(0, 0, 'eval/loss', initialValidLoss);
      log.flush();
      // The starting model is the first candidate for "best": a run whose every validation is
      // worse than where it started hands back its starting weights, never a worse model.
      if (Number.isFinite(initialValidLoss) && early.update(0, initialValidLoss).improved) {
        await save(dirs.best, 0, 0);
        sink.checkpoint({ step: 0, epoch: 0, path: dirs.best, best: true, validLoss: initialValidLoss });
      }
    }

    let prepared: { k: number; feeds: Record<string, TensorData> } | null = null;
    /** The latest progress sent, repeated with a stage message while validation or saving runs. */
    let lastReport: TrainProgress | null = null;
    while (trainer.stepCount < totalSteps) {
      const k = trainer.stepCount; // steps taken so far; this step is k + 1
      const feeds = prepared?.k === k ? prepared.feeds : feeder.feeds(k);
      const sv = scheduleAt(schedule, Math.min(k, schedule.kind === 'constant' ? k : schedule.totalSteps));
      const stepping = trainer.step(feeds, { lr: sv.lr, ...(sv.beta1 !== null ? { beta1: sv.beta1 } : {}) });
      // Data-parallel steps run in worker threads: build the next batch meanwhile (~1.5 ms
      // of a 15–35 ms step on 2 cores). A failure here is retried (and reported) next step.
      try {
        prepared = k + 1 < totalSteps ? { k: k + 1, feeds: feeder.feeds(k + 1) } : null;
      } catch {
        prepared = null;
      }
      const res = await stepping;
      const step = k + 1;
      const epoch = step / stepsPerEpoch;
      if (!Number.isFinite(res.loss)) {
        log.flush();
        throw nonFinite(step, epoch, 'training loss');
      }
      if (res.gradNorm !== undefined && !Number.isFinite(res.gradNorm)) {
        log.flush();
        throw nonFinite(step, epoch, 'gradient');
      }
      lastLoss = res.loss;
      log.add(step, epoch, 'train/loss', res.loss);
      log.add(step, epoch, 'train/learning_rate', sv.lr);
      if (res.gradNorm !== undefined) log.add(step, epoch, 'train/grad_norm', res.gradNorm);

      if (valWindows.length > 0 && (step % validateEvery === 0 || step === totalSteps)) {
        if (lastReport !== null) sink.progress({ ...lastReport, message: `validating on ${valWindows.length.toLocaleString('en-US')} windows` });
        const vl = await validate();
        lastValid = vl;
        log.add(step, epoch, 'eval/loss', vl);
        if (!Number.isFinite(vl)) {
          log.flush();
          throw nonFinite(step, epoch, 'validation loss');
        }
        const u = early.update(step, vl);
        if (u.shouldStop) earlyStopped = true;
        if (u.improved) {
          await save(dirs.best, step, epoch);
          sink.checkpoint({ step, epoch, path: dirs.best, best: true, validLoss: vl });
        }
      }
      const elapsedMs = performance.now() - t0;
      const done = step - startStep;
      const perStep = elapsedMs / Math.max(1, done);
      const samplesPerSecond = (done * B * 1000) / Math.max(1, elapsedMs);
      // session.run works on this thread: yield one macrotask so IPC messages (cancel) get in.
      await new Promise<void>((r) => setImmediate(r));
      const cancel = input.shouldCancel();
      const finalStep = step === totalSteps || earlyStopped || cancel;
      if (step % checkpointEvery === 0 || finalStep) {
        if (finalStep && lastReport !== null) sink.progress({ ...lastReport, message: 'saving the checkpoint and the TensorBoard events' });
        log.flush();
        await save(dirs.last, step, epoch);
        sink.checkpoint({ step, epoch, path: dirs.last, best: false, validLoss: lastValid });
      }
      const now = performance.now();
      if (finalStep || now - lastProgress > 200) {
        lastProgress = now;
        lastReport = {
          epoch,
          step,
          totalSteps,
          trainLoss: res.loss,
          validLoss: lastValid,
          learningRate: sv.lr,
          samplesPerSecond,
          elapsedMs,
          etaMs: perStep * (totalSteps - step),
          message: 'training',
        };
        sink.progress(lastReport);
      }
      if (log.backlog >= 200) log.flush();
      if (cancel) {
        status = 'cancelled';
        break;
      }
      if (earlyStopped) break;
    }
    log.flush();
    const elapsedMs = performance.now() - t0;
    const steps = trainer.stepCount;
    return {
      status,
      steps,
      totalSteps,
      epochs: steps / stepsPerEpoch,
      bestStep: early.bestStep,
      bestValidLoss: early.bestValue,
      initialValidLoss,
      lastTrainLoss: lastLoss,
      modelDir: existsSync(dirs.best) ? dirs.best : dirs.last,
      lastDir: dirs.last,
      earlyStopped,
      device,
      samplesPerSecond: ((steps - startStep) * B * 1000) / Math.max(1, elapsedMs),
    };
  } finally {
    tb.close();
    await trainer.release();
  }
}
