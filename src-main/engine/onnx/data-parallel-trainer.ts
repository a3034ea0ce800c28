/**
 * Data-parallel training on the CPU. Each worker thread holds a 1-thread session of the
 * gradient graph (optimizer.ts buildShardedTrainingGraphs) and, per step:
 *
 * 1. copies the shared parameters into its private input array and differentiates its slice
 *    of the batch, writing the gradient into its shared gradient buffer;
 * 2. after a barrier, sums all slices' gradients over its own range of the parameters
 *    (1/k of the buffer) and the range's sum of squares;
 * 3. after a second barrier (now every count and square sum is known), applies AdamW with
 *    clipping to its range of the shared parameter and moment buffers, in place.
 *
 * Why: a TTM training step is ~1,200 small nodes that onnxruntime's intra-op threads barely
 * speed up, while 1-thread sessions on halves of the batch run nearly twice as fast; and the
 * optimizer runs split over the same threads with no array allocated per step (an AdamW
 * session on one thread, with its fresh 3 MB outputs and the garbage collections they cause,
 * took a fifth of the step). Results equal the one-session Trainer's up to float32 rounding.
 */
import type * as ort from 'onnxruntime-node';
import { StudioError } from '../errors.js';
import { adamWRange, barrier, sumGradientRange } from './adamw-cpu.js';
import type { AnyTypedArray } from './dtype.js';
import { TRAIN_IO, type ShardedTrainingGraphs } from './optimizer.js';
import type { OptimizationLevel, TensorData } from './runtime.js';
import {
  concatBatch,
  oneThreadSessionOptions,
  ortTypeOf,
  settleAll,
  sharedArray,
  splitBatch,
  startSessionWorkers,
  type WorkerChannel,
} from './session-pool.js';
import { checkInitialParams, checkOptimizerState, checkStep, type OptimizerState, type StepOptions, type StepResult, type StepTrainer } from './trainer.js';

type Flat = Float32Array | Float64Array;

/** Per-worker fields of the shared stats array. */
const STATS = { lossSum: 0, count: 1, ran: 2, squares: 3, size: 4 } as const;

const WORKER_SOURCE = String.raw`
const { parentPort, workerData } = require('node:worker_threads');
const ort = require(workerData.ortPath);
${sumGradientRange.toString()}
${adamWRange.toString()}
${barrier.toString()}
const { index, count, range, decay, opt, buffers, stats: S } = workerData;
const { params, m, v, gsum, grads, stats, ctrl } = buffers;
const type = params instanceof Float32Array ? 'float32' : 'float64';
const privateParams = new params.constructor(params.length);
let session = null;

function fail(message) {
  parentPort.postMessage({ ok: false, message });
}

parentPort.on('message', async (msg) => {
  const base = index * S.size;
  let error = null;
  let res = null;
  try {
    if (msg.feeds) {
      privateParams.set(params);
      const feeds = { params: new ort.Tensor(type, privateParams, [privateParams.length]) };
      for (const [k, t] of Object.entries(msg.feeds)) feeds[k] = new ort.Tensor(t.type, t.data, t.dims);
      res = await session.run(feeds, msg.outputs);
      grads[index].set(res.grads.data);
      stats[base + S.lossSum] = Number(res.loss_sum.data[0]);
      stats[base + S.count] = Number(res.loss_count.data[0]);
      stats[base + S.ran] = 1;
    } else {
      stats[base + S.lossSum] = 0;
      stats[base + S.count] = 0;
      stats[base + S.ran] = 0;
    }
  } catch (e) {
    error = e && e.message ? e.message : String(e);
    stats[base + S.ran] = -1;
  }
  if (!barrier(ctrl, count)) return fail('The trainer was released or one of its workers stopped.');
  const ran = [];
  for (let w = 0; w < count; w++) {
    const flag = stats[w * S.size + S.ran];
    if (flag < 0) return fail(error || 'onnxruntime failed in another worker.');
    if (flag > 0) ran.push(grads[w]);
  }
  stats[base + S.squares] = sumGradientRange(ran, gsum, range[0], range[1]);
  if (!barrier(ctrl, count)) return fail('The trainer was released or one of its workers stopped.');
  let lossSum = 0;
  let total = 0;
  let squares = 0;
  for (let w = 0; w < count; w++) {
    lossSum += stats[w * S.size + S.lossSum];
    total += stats[w * S.size + S.count];
    squares += stats[w * S.size + S.squares];
  }
  const scale = 1 / Math.max(total, 1);
  const norm = Math.sqrt(squares) * scale;
  // torch.nn.utils.clip_grad_norm_: coef = max_norm / (total_norm + 1e-6), clamped to 1.
  const k = opt.maxGradNorm === null ? scale : scale * Math.min(opt.maxGradNorm / (norm + 1e-6), 1);
  adamWRange(params, m, v, gsum, range[0], range[1], k, msg.lr, msg.step, msg.beta1, opt.beta2, opt.eps, decay);
  const out = {};
  const transfer = [];
  if (res) {
    for (const name of msg.extra) {
      out[name] = { data: res[name].data, dims: res[name].dims };
      transfer.push(res[name].data.buffer);
    }
  }
  parentPort.postMessage({ ok: true, out, lossSum, total, norm, scale }, transfer);
});

(async () => {
  try {
    session = await ort.InferenceSession.create(workerData.model, workerData.options);
    parentPort.postMessage({ ok: true });
  } catch (e) {
    fail(e && e.message ? e.message : String(e));
  }
})();
`;

export interface DataParallelTrainerOptions {
  optimizationLevel?: OptimizationLevel;
  allowSpinning?: boolean;
}

interface SharedBuffers {
  params: Flat;
  m: Flat;
  v: Flat;
  /** The summed gradient (each worker writes its range). */
  gsum: Flat;
  /** One gradient buffer per worker. */
  grads: Flat[];
  /** Per worker: loss sum, count, ran flag (1 ran, 0 idle, −1 failed), range sum of squares. */
  stats: Float64Array;
  /** Barrier state: [arrived, generation, abort]. */
  ctrl: Int32Array;
}

export class DataParallelTrainer implements StepTrainer {
  private steps = 0;
  private released = false;

  private constructor(
    readonly graphs: ShardedTrainingGraphs,
    private readonly workersList: WorkerChannel[],
    private readonly buffers: SharedBuffers,
  ) {}

  /** Starts one worker per shard; `initialParams` (flat, layout order) is copied into shared memory. */
  static async create(graphs: ShardedTrainingGraphs, initialParams: Flat, options: DataParallelTrainerOptions = {}): Promise<DataParallelTrainer> {
    const n = graphs.layout.total;
    checkInitialParams(graphs.dtype, n, initialParams);
    const k = graphs.shards;
    const buffers: SharedBuffers = {
      params: sharedArray(graphs.dtype, n),
      m: sharedArray(graphs.dtype, n),
      v: sharedArray(graphs.dtype, n),
      gsum: sharedArray(graphs.dtype, n),
      grads: Array.from({ length: k }, () => sharedArray(graphs.dtype, n)),
      stats: new Float64Array(new SharedArrayBuffer(8 * k * STATS.size)),
      ctrl: new Int32Array(new SharedArrayBuffer(12)),
    };
    buffers.params.set(initialParams);
    const opt = graphs.optimizer;
    const decay = graphs.layout.entries.flatMap((e) => [e.offset, e.offset + e.size, e.weightDecay ?? opt.weightDecay]);
    const sessionOptions = oneThreadSessionOptions({
      optimizationLevel: options.optimizationLevel,
      allowSpinning: options.allowSpinning,
      disabledOptimizers: graphs.dtype === 'float64' ? ['QuickGeluFusion'] : undefined,
    });
    const data = Array.from({ length: k }, (_, index) => ({
      model: graphs.gradientModel,
      options: sessionOptions,
      index,
      count: k,
      range: [Math.floor((index * n) / k), Math.floor(((index + 1) * n) / k)],
      decay,
      opt: { beta2: opt.beta2, eps: opt.eps, maxGradNorm: opt.maxGradNorm ?? null },
      buffers,
      stats: STATS,
    }));
    // A dead worker would leave the others waiting at a barrier: tell them to give up.
    const workers = await startSessionWorkers(WORKER_SOURCE, data, () => Atomics.store(buffers.ctrl, 2, 1));
    return new DataParallelTrainer(graphs, workers, buffers);
  }

  get fallbackMessage(): string | undefined {
    return undefined;
  }
  get workers(): number {
    return this.graphs.shards;
  }
  /** The live parameters (shared memory, updated in place by each step): copy to keep. */
  get params(): Flat {
    return this.buffers.params;
  }
  get stepCount(): number {
    return this.steps;
  }
  /** One parameter, a live view (see params). */
  param(name: string): Flat {
    return this.graphs.layout.view(this.buffers.params, name);
  }
  /** A copy of the parameters, moments and step count. */
  getState(): OptimizerState {
    const b = this.buffers;
    return { params: b.params.slice(), m: b.m.slice(), v: b.v.slice(), step: this.steps };
  }
  /** Restores a state; the arrays are copied into shared memory. */
  setState(s: OptimizerState): void {
    checkOptimizerState(s, this.graphs.layout.total);
    this.buffers.params.set(s.params);
    this.buffers.m.set(s.m);
    this.buffers.v.set(s.v);
    this.steps = s.step;
  }

  async step(data: Record<string, TensorData | ort.Tensor>, opts: StepOptions): Promise<StepResult> {
    if (this.released) throw new StudioError('RUNTIME', 'The trainer was released.');
    const opt = this.graphs.optimizer;
    const feeds: Record<string, TensorData> = {};
    for (const [name, v] of Object.entries(checkStep(data, opts, this.graphs.dataInputs, opt.beta1Input)))
      feeds[name] = { data: v.data as AnyTypedArray, dims: v.dims };
    const batch = feeds[this.graphs.dataInputs[0]!]!.dims[0];
    if (batch === undefined || !Number.isInteger(batch) || batch < 1)
      throw new StudioError('INVALID_INPUT', 'Training inputs need a batch as their first dimension.');
    const slices = splitBatch(feeds, batch, this.graphs.shards);

    const t = this.steps + 1;
    const beta1 = opt.beta1Input ? opts.beta1! : opt.beta1;
    const outputs = [TRAIN_IO.lossSum, TRAIN_IO.lossCount, TRAIN_IO.grads, ...this.graphs.extraOutputs];
    const replies = await settleAll(
      this.workersList.map((w, i) => {
        const slice = slices[i];
        const msg = slice ? Object.fromEntries(Object.entries(slice).map(([k, x]) => [k, { type: ortTypeOf(x.data), data: x.data, dims: x.dims }])) : null;
        return w.request({ feeds: msg, outputs, extra: this.graphs.extraOutputs, lr: opts.lr, step: t, beta1 });
      }),
    );
    const bad = replies.find((r) => !r.ok);
    if (bad) throw new StudioError('RUNTIME', `Training step failed: ${bad.message}`);
    this.steps = t;
    const first = replies[0]!;
    const res: StepResult = { loss: (first.lossSum as number) * (first.scale as number), outputs: {} };
    if (this.graphs.hasGradNorm) res.gradNorm = first.norm as number;
    if (this.graphs.hasGradients) {
      const scale = first.scale as number;
      res.grads = this.buffers.gsum.map((g) => g * scale);
    }
    for (const name of this.graphs.extraOutputs) res.outputs[name] = concatBatch(replies.slice(0, slices.length).map((r) => r.out![name]!));
    return res;
  }

  async release(): Promise<void> {
    if (this.released) return;
    this.released = true;
    Atomics.store(this.buffers.ctrl, 2, 1);
    await Promise.all(this.workersList.map((w) => w.worker.terminate()));
  }
}
