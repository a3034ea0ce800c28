/**
 * Data parallelism: a few worker threads, each holding a 1-thread CPU session of the same
 * model, run slices of a batch (inference) or of a training step (data-parallel gradients) at
 * the same time. onnxruntime-node's run blocks its
 * calling thread, so threads are the way to overlap runs; on small models this beats one session
 * with the same number of intra-op threads, whose small ops (LayerNorm, softmax over a few values,
 * transposes) barely scale. Every feed and output must have the batch as its first dimension.
 *
 * The worker is evaluated from source (no separate entry file, so it runs from build/ and from
 * the TypeScript sources alike) and loads onnxruntime-node resolved from here.
 */
import { createRequire } from 'node:module';
import { Worker } from 'node:worker_threads';
import { StudioError } from '../errors.js';
import type { AnyTypedArray } from './dtype.js';
import type { OptimizationLevel, TensorData } from './runtime.js';

const WORKER_SOURCE = String.raw`
const { parentPort, workerData } = require('node:worker_threads');
const ort = require(workerData.ortPath);
let session = null;
// onnxruntime-node cannot read SharedArrayBuffer memory: shared inputs are copied into a
// private array kept from run to run.
const privateCopies = new Map();
parentPort.on('message', async (m) => {
  try {
    const feeds = {};
    for (const [k, t] of Object.entries(m.feeds)) feeds[k] = new ort.Tensor(t.type, t.data, t.dims);
    for (const [k, t] of Object.entries(m.shared || {})) {
      let local = privateCopies.get(k);
      if (!local || local.length !== t.data.length) privateCopies.set(k, (local = new t.data.constructor(t.data.length)));
      local.set(t.data);
      feeds[k] = new ort.Tensor(t.type, local, t.dims);
    }
    const res = await session.run(feeds, m.outputs);
    const out = {};
    const transfer = [];
    for (const [k, t] of Object.entries(res)) {
      out[k] = { data: t.data, dims: t.dims };
      transfer.push(t.data.buffer);
    }
    parentPort.postMessage({ ok: true, out }, transfer);
  } catch (e) {
    parentPort.postMessage({ ok: false, message: e && e.message ? e.message : String(e) });
  }
});
(async () => {
  try {
    session = await ort.InferenceSession.create(workerData.model, workerData.options);
    parentPort.postMessage({ ok: true });
  } catch (e) {
    parentPort.postMessage({ ok: false, message: e && e.message ? e.message : String(e) });
  }
})();
`;

export interface Reply {
  ok: boolean;
  message?: string;
  out?: Record<string, { data: AnyTypedArray; dims: number[] }>;
  [field: string]: unknown;
}

export interface SessionPoolOptions {
  /** Worker threads (each with a 1-thread session), ≥ 2. */
  workers: number;
  optimizationLevel?: OptimizationLevel;
  allowSpinning?: boolean;
  disabledOptimizers?: readonly string[];
}

export function ortTypeOf(a: AnyTypedArray): string {
  if (a instanceof Float32Array) return 'float32';
  if (a instanceof Float64Array) return 'float64';
  if (a instanceof BigInt64Array) return 'int64';
  if (a instanceof Int32Array) return 'int32';
  return 'bool';
}

/** Request/reply messaging with one worker thread (one request at a time). */
export class WorkerChannel {
  private pending: ((r: Reply) => void) | null = null;
  private failure: Error | null = null;

  /** `onError` runs when the worker dies (its pending request fails with the error). */
  constructor(
    readonly worker: Worker,
    onError?: (e: Error) => void,
  ) {
    worker.on('message', (r: Reply) => {
      const p = this.pending;
      this.pending = null;
      p?.(r);
    });
    worker.on('error', (e) => {
      this.failure = e;
      onError?.(e);
      const p = this.pending;
      this.pending = null;
      p?.({ ok: false, message: e.message });
    });
  }

  /** The next reply (one request at a time per worker). */
  next(): Promise<Reply> {
    if (this.failure) return Promise.resolve({ ok: false, message: this.failure.message });
    return new Promise((resolve) => (this.pending = resolve));
  }

  async request(msg: unknown): Promise<Reply> {
    const r = this.next();
    this.worker.postMessage(msg);
    return r;
  }
}

export class SessionPool {
  private released = false;
  private constructor(private readonly workers: WorkerChannel[]) {}

  get size(): number {
    return this.workers.length;
  }

  static async create(model: Uint8Array, options: SessionPoolOptions): Promise<SessionPool> {
    const n = options.workers;
    if (!Number.isInteger(n) || n < 2) throw new StudioError('INVALID_INPUT', `A session pool needs at least 2 workers, got ${n}.`);
    const workers = await startSessionWorkers(
      WORKER_SOURCE,
      Array.from({ length: n }, () => ({ model, options: oneThreadSessionOptions(options) })),
    );
    return new SessionPool(workers);
  }

  /**
   * Splits the feeds along their first dimension into contiguous slices (sizes differ by at
   * most one), runs them on the workers at once and concatenates the outputs in order. With
   * `maxPerRun`, a worker gets several slices of at most that many rows and runs them one
   * after another: large runs spill the model's activations out of the CPU caches.
   */
  async run(feeds: Record<string, TensorData>, batch: number, outputs: readonly string[], maxPerRun = Infinity): Promise<Record<string, TensorData>> {
    const n = this.workers.length;
    const rounds = Number.isFinite(maxPerRun) ? Math.max(1, Math.ceil(batch / (n * Math.max(1, Math.floor(maxPerRun))))) : 1;
    const slices = splitBatch(feeds, batch, n * rounds);
    const results: Record<string, TensorData>[] = new Array(slices.length);
    await settleAll(
      this.workers.map(async (_, w) => {
        // Worker w takes slices w, w + n, …: every round keeps all workers busy.
        for (let i = w; i < slices.length; i += n) {
          results[i] = await this.runOn(w, slices[i]!, outputs);
        }
      }),
    );
    const out: Record<string, TensorData> = {};
    for (const name of outputs) out[name] = concatBatch(results.map((r) => r[name]!));
    return out;
  }

  /**
   * Runs feedsPerWorker[i] on worker i, all at once (at most one entry per worker). `shared`
   * inputs are the same for every worker and travel in shared memory: fill their arrays
   * (sharedArray) before the call and leave them alone until it resolves.
   */
  async runEach(
    feedsPerWorker: readonly Record<string, TensorData>[],
    outputs: readonly string[],
    shared: Record<string, TensorData> = {},
  ): Promise<Record<string, TensorData>[]> {
    if (feedsPerWorker.length > this.workers.length)
      throw new StudioError('INVALID_INPUT', `${feedsPerWorker.length} slices for ${this.workers.length} workers.`);
    return settleAll(feedsPerWorker.map((feeds, i) => this.runOn(i, feeds, outputs, shared)));
  }

  private async runOn(
    worker: number,
    feeds: Record<string, TensorData>,
    outputs: readonly string[],
    shared: Record<string, TensorData> = {},
  ): Promise<Record<string, TensorData>> {
    if (this.released) throw new StudioError('RUNTIME', 'The session pool was released.');
    const msg = (t: TensorData, k: string, mustShare: boolean) => {
      if (mustShare && !(t.data.buffer instanceof SharedArrayBuffer))
        throw new StudioError('INVALID_INPUT', `Shared input ${k} must live in a SharedArrayBuffer (sharedArray).`);
      return { type: ortTypeOf(t.data), data: t.data, dims: t.dims };
    };
    const feedMsg = Object.fromEntries(Object.entries(feeds).map(([k, t]) => [k, msg(t, k, false)]));
    const sharedMsg = Object.fromEntries(Object.entries(shared).map(([k, t]) => [k, msg(t, k, true)]));
    const r = await this.workers[worker]!.request({ feeds: feedMsg, outputs, shared: sharedMsg });
    if (!r.ok) throw new StudioError('RUNTIME', `onnxruntime run failed: ${r.message}`);
    return r.out!;
  }

  async release(): Promise<void> {
    if (this.released) return;
    this.released = true;
    await Promise.all(this.workers.map((w) => w.worker.terminate()));
  }
}

/** onnxruntime session options for a worker: one intra-op thread, CPU. */
export function oneThreadSessionOptions(options: Omit<SessionPoolOptions, 'workers'>): Record<string, unknown> {
  const extra: Record<string, string> = { 'session.intra_op.allow_spinning': options.allowSpinning ? '1' : '0' };
  if (options.disabledOptimizers?.length) extra['optimization.disable_specified_optimizers'] = options.disabledOptimizers.join(',');
  return {
    intraOpNumThreads: 1,
    interOpNumThreads: 1,
    graphOptimizationLevel: options.optimizationLevel ?? 'all',
    executionMode: 'sequential',
    logSeverityLevel: 3,
    executionProviders: ['cpu'],
    extra,
  };
}

/**
 * Starts one worker thread per workerData entry, evaluating `source` (which gets `ortPath`
 * added to its workerData and must post {ok} once its session is ready), and waits for all.
 */
export async function startSessionWorkers(source: string, data: readonly Record<string, unknown>[], onError?: (e: Error) => void): Promise<WorkerChannel[]> {
  const ortPath = createRequire(import.meta.url).resolve('onnxruntime-node');
  const workers = data.map((d) => new WorkerChannel(new Worker(source, { eval: true, workerData: { ...d, ortPath } }), onError));
  const ready = await Promise.all(workers.map((w) => w.next()));
  const bad = ready.find((r) => !r.ok);
  if (bad) {
    await Promise.all(workers.map((w) => w.worker.terminate()));
    throw new StudioError('RUNTIME', `onnxruntime could not load the model in a worker: ${bad.message}`);
  }
  return workers;
}

/**
 * Promise.all that waits for every worker before failing: a worker still running when the
 * caller moves on would answer the caller's next request with this run's result.
 */
export async function settleAll<T>(promises: readonly Promise<T>[]): Promise<T[]> {
  const settled = await Promise.allSettled(promises);
  const failed = settled.find((s): s is PromiseRejectedResult => s.status === 'rejected');
  if (failed) throw failed.reason;
  return settled.map((s) => (s as PromiseFulfilledResult<T>).value);
}

/** A zero-filled typed array in shared memory, for SessionPool.runEach's shared inputs. */
export function sharedArray(dtype: 'float32' | 'float64', length: number): Float32Array | Float64Array {
  return dtype === 'float32' ? new Float32Array(new SharedArrayBuffer(length * 4)) : new Float64Array(new SharedArrayBuffer(length * 8));
}

/** Splits feeds along their first dimension (the batch) into at most `parts` contiguous slices. */
export function splitBatch(feeds: Record<string, TensorData>, batch: number, parts: number): Record<string, TensorData>[] {
  const n = Math.min(parts, batch);
  const slices: Record<string, TensorData>[] = [];
  let lo = 0;
  for (let i = 0; i < n; i++) {
    const hi = lo + Math.floor(batch / n) + (i < batch % n ? 1 : 0);
    const slice: Record<string, TensorData> = {};
    for (const [k, t] of Object.entries(feeds)) {
      if (t.dims[0] !== batch) throw new StudioError('INVALID_INPUT', `Feed ${k} has first dimension ${t.dims[0]}, not the batch ${batch}.`);
      const per = t.data.length / batch;
      slice[k] = { data: t.data.slice(lo * per, hi * per), dims: [hi - lo, ...t.dims.slice(1)] };
    }
    slices.push(slice);
    lo = hi;
  }
  return slices;
}

/** Concatenates batch-major pieces along their first dimension. */
export function concatBatch(pieces: readonly TensorData[]): TensorData {
  const first = pieces[0]!;
  const total = pieces.reduce((s, p) => s + p.data.length, 0);
  const Ctor = first.data.constructor as new (n: number) => AnyTypedArray;
  const data = new Ctor(total);
  let at = 0;
  for (const p of pieces) {
    (data as Float32Array).set(p.data as Float32Array, at);
    at += p.data.length;
  }
  return { data, dims: [pieces.reduce((s, p) => s + p.dims[0]!, 0), ...first.dims.slice(1)] };
}
