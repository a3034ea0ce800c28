/**
 * onnxruntime-node wrapper: session creation from model bytes with validated options,
 * CUDA → CPU fallback with a message for the caller, and runs that take and return typed
 * arrays without copying (inputs wrap the caller's arrays; outputs are ORT's own arrays).
 *
 * `run` blocks the calling JS thread: call it from a worker, never Electron's main thread.
 */
import { cpus } from 'node:os';
import * as ort from 'onnxruntime-node';
import { StudioError } from '../errors.js';
import type { AnyTypedArray, DType } from './dtype.js';

export type ExecutionProvider = 'cpu' | 'cuda';
export type OptimizationLevel = 'disabled' | 'basic' | 'extended' | 'all';

export interface SessionOptions {
  /** Intra-op threads, an integer in 1 .. 4 × CPU count. Default: min(CPU count, 4). */
  threads?: number;
  /** Preferred provider; 'cuda' falls back to CPU (see EngineSession.fallbackMessage). */
  executionProvider?: ExecutionProvider;
  optimizationLevel?: OptimizationLevel;
  /** Let idle worker threads spin after a run (faster back-to-back runs, burns CPU). Default false. */
  allowSpinning?: boolean;
  /** Graph transformers to turn off by name, e.g. 'QuickGeluFusion' for float64 graphs. */
  disabledOptimizers?: readonly string[];
  logSeverity?: 0 | 1 | 2 | 3 | 4;
}

export interface TensorData {
  data: AnyTypedArray;
  dims: readonly number[];
}

export type Feeds = Record<string, TensorData | ort.Tensor>;

export function validateThreads(threads: number): number {
  const max = cpus().length * 4;
  if (!Number.isInteger(threads) || threads < 1 || threads > max) {
    throw new StudioError('INVALID_INPUT', `Thread count ${threads} is not valid: use an integer from 1 to ${max} (4 × ${cpus().length} CPUs).`, {
      threads,
      max,
    });
  }
  return threads;
}

function dtypeOfArray(a: AnyTypedArray): DType {
  if (a instanceof Float32Array) return 'float32';
  if (a instanceof Float64Array) return 'float64';
  if (a instanceof BigInt64Array) return 'int64';
  if (a instanceof Int32Array) return 'int32';
  return 'uint8';
}

/** Wraps a typed array as an ORT tensor (no copy). Uint8Array is taken as bool unless `dtype` says otherwise. */
export function toOrtTensor(t: TensorData, dtype?: DType): ort.Tensor {
  const d = dtype ?? (t.data instanceof Uint8Array ? 'bool' : dtypeOfArray(t.data));
  const a = t.data;
  const mismatch = () => new StudioError('INVALID_INPUT', `A ${a.constructor.name} cannot be fed as a ${d} tensor.`);
  // One branch per type so each call matches an ort.Tensor constructor overload exactly.
  switch (d) {
    case 'float32':
      if (!(a instanceof Float32Array)) throw mismatch();
      return new ort.Tensor('float32', a, t.dims);
    case 'float64':
      if (!(a instanceof Float64Array)) throw mismatch();
      return new ort.Tensor('float64', a, t.dims);
    case 'int64':
      if (!(a instanceof BigInt64Array)) throw mismatch();
      return new ort.Tensor('int64', a, t.dims);
    case 'int32':
      if (!(a instanceof Int32Array)) throw mismatch();
      return new ort.Tensor('int32', a, t.dims);
    case 'bool':
      if (!(a instanceof Uint8Array)) throw mismatch();
      return new ort.Tensor('bool', a, t.dims);
    case 'uint8':
      if (!(a instanceof Uint8Array)) throw mismatch();
      return new ort.Tensor('uint8', a, t.dims);
  }
}

export class EngineSession {
  private constructor(
    readonly session: ort.InferenceSession,
    /** The provider actually in use. */
    readonly provider: ExecutionProvider,
    /** Set when the requested provider was not available and CPU is used instead. */
    readonly fallbackMessage: string | undefined,
    readonly threads: number,
  ) {}

  static async create(model: Uint8Array, options: SessionOptions = {}): Promise<EngineSession> {
    const threads = validateThreads(options.threads ?? Math.min(cpus().length, 4));
    const want = options.executionProvider ?? 'cpu';
    if (want !== 'cpu' && want !== 'cuda') throw new StudioError('INVALID_INPUT', `Unknown execution provider '${String(want)}': use 'cpu' or 'cuda'.`);
    const extra: Record<string, string> = { 'session.intra_op.allow_spinning': options.allowSpinning ? '1' : '0' };
    if (options.disabledOptimizers?.length) extra['optimization.disable_specified_optimizers'] = options.disabledOptimizers.join(',');
    const base: ort.InferenceSession.SessionOptions = {
      intraOpNumThreads: threads,
      interOpNumThreads: 1,
      graphOptimizationLevel: options.optimizationLevel ?? 'all',
      executionMode: 'sequential',
      logSeverityLevel: options.logSeverity ?? 3,
      extra,
    };
    if (want === 'cuda') {
      try {
        const s = await ort.InferenceSession.create(model, { ...base, executionProviders: ['cuda', 'cpu'] });
        return new EngineSession(s, 'cuda', undefined, threads);
      } catch (e) {
        const why = e instanceof Error ? e.message.split('\n')[0] : String(e);
        const msg = `CUDA was requested but could not be used (${why}); running on the CPU instead. Install the CUDA 12 runtime and cuDNN 9 libraries that onnxruntime-node expects to use the GPU.`;
        const s = await EngineSession.createCpu(model, base);
        return new EngineSession(s, 'cpu', msg, threads);
      }
    }
    return new EngineSession(await EngineSession.createCpu(model, base), 'cpu', undefined, threads);
  }

  private static async createCpu(model: Uint8Array, base: ort.InferenceSession.SessionOptions): Promise<ort.InferenceSession> {
    try {
      return await ort.InferenceSession.create(model, { ...base, executionProviders: ['cpu'] });
    } catch (e) {
      throw new StudioError('RUNTIME', `onnxruntime could not load the model: ${e instanceof Error ? e.message : String(e)}`, undefined, { cause: e });
    }
  }

  get inputNames(): readonly string[] {
    return this.session.inputNames;
  }
  get outputNames(): readonly string[] {
    return this.session.outputNames;
  }

  /** Runs and returns the requested outputs (all by default) as typed arrays with dims. */
  async run(feeds: Feeds, outputs?: readonly string[]): Promise<Record<string, TensorData>> {
    const ortFeeds: Record<string, ort.Tensor> = {};
    for (const [k, v] of Object.entries(feeds)) ortFeeds[k] = v instanceof ort.Tensor ? (v as ort.Tensor) : toOrtTensor(v as TensorData);
    let res: ort.InferenceSession.ReturnType;
    try {
      res = outputs ? await this.session.run(ortFeeds, outputs as string[]) : await this.session.run(ortFeeds);
    } catch (e) {
      throw new StudioError('RUNTIME', `onnxruntime run failed: ${e instanceof Error ? e.message : String(e)}`, undefined, { cause: e });
    }
    const out: Record<string, TensorData> = {};
    for (const [k, t] of Object.entries(res)) out[k] = { data: t.data as AnyTypedArray, dims: t.dims };
    return out;
  }

  async release(): Promise<void> {
    await this.session.release();
  }
}

/** Creates a session; see EngineSession.create. */
export function createSession(model: Uint8Array, options?: SessionOptions): Promise<EngineSession> {
  return EngineSession.create(model, options);
}
