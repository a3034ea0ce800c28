/**
 * Data-parallel training on the CPU: each worker thread holds a 1-thread session of the
 * gradient graph and differentiates one slice of the batch; a session on this thread sums
 * the slices' gradients and applies AdamW (optimizer.ts buildShardedTrainingGraphs).
 *
 * Why: a TTM training step is ~1,400 small nodes; onnxruntime's intra-op threads barely
 * speed those up (a 2-thread session is ~10 % faster than 1 thread), while two 1-thread
 * sessions each running half the batch are nearly twice as fast. Results equal the
 * one-session Trainer's up to float32 summation order.
 *
 * The parameters travel to the workers in shared memory (one copy per step on this thread,
 * one inside each worker); the gradients come back as transferred buffers (no copy).
 */
import type * as ort from 'onnxruntime-node';
import { StudioError } from '../errors.js';
import { TRAIN_IO, type ShardedTrainingGraphs } from './optimizer.js';
import { EngineSession, toOrtTensor, type OptimizationLevel, type TensorData } from './runtime.js';
import { SessionPool, concatBatch, sharedArray, splitBatch } from './session-pool.js';
import type { OptimizerState, StepOptions, StepResult, StepTrainer } from './trainer.js';

type Flat = Float32Array | Float64Array;

export interface DataParallelTrainerOptions {
  /** Intra-op threads of the optimizer session on this thread; default 1. */
  optimizerThreads?: number;
  optimizationLevel?: OptimizationLevel;
  allowSpinning?: boolean;
}

export class DataParallelTrainer implements StepTrainer {
  private state: OptimizerState;
  private readonly sharedParams: Flat;
  private readonly zeros: Flat;
  private readonly scalarLr = new Float64Array(1);
  private readonly scalarStep = new Float64Array(1);
  private readonly scalarBeta1 = new Float64Array(1);
  private readonly gradScale: Flat;
  private readonly workerOutputs: string[];
  private readonly optimizerOutputs: string[];

  private constructor(
    readonly graphs: ShardedTrainingGraphs,
    private readonly pool: SessionPool,
    private readonly optimizer: EngineSession,
    initial: Flat,
  ) {
    const n = graphs.layout.total;
    const make = () => (graphs.dtype === 'float32' ? new Float32Array(n) : new Float64Array(n));
    this.state = { params: initial, m: make(), v: make(), step: 0 };
    this.sharedParams = sharedArray(graphs.dtype, n);
    this.zeros = make();
    this.gradScale = graphs.dtype === 'float32' ? new Float32Array(1) : new Float64Array(1);
    this.workerOutputs = [TRAIN_IO.lossSum, TRAIN_IO.lossCount, TRAIN_IO.grads, ...graphs.extraOutputs];
    this.optimizerOutputs = [TRAIN_IO.paramsOut, TRAIN_IO.mOut, TRAIN_IO.vOut];
    if (graphs.hasGradNorm) this.optimizerOutputs.push(TRAIN_IO.gradNorm);
    if (graphs.hasGradients) this.optimizerOutputs.push(TRAIN_IO.grads);
  }

  /** Starts one worker per shard; `initialParams` (flat, layout order) is adopted, not copied. */
  static async create(graphs: ShardedTrainingGraphs, initialParams: Flat, options: DataParallelTrainerOptions = {}): Promise<DataParallelTrainer> {
    const want = graphs.dtype === 'float32' ? Float32Array : Float64Array;
    if (!(initialParams instanceof want) || initialParams.length !== graphs.layout.total) {
      throw new StudioError('INVALID_INPUT', `Initial parameters must be a ${want.name} of ${graphs.layout.total} values.`);
    }
    const disabledOptimizers = graphs.dtype === 'float64' ? ['QuickGeluFusion'] : undefined;
    const pool = await SessionPool.create(graphs.gradientModel, {
      workers: graphs.shards,
      optimizationLevel: options.optimizationLevel,
      allowSpinning: options.allowSpinning,
      disabledOptimizers,
    });
    try {
      const optimizer = await EngineSession.create(graphs.optimizerModel, {
        threads: options.optimizerThreads ?? 1,
        optimizationLevel: options.optimizationLevel,
        allowSpinning: options.allowSpinning,
        disabledOptimizers,
      });
      return new DataParallelTrainer(graphs, pool, optimizer, initialParams);
    } catch (e) {
      await pool.release();
      throw e;
    }
  }

  get fallbackMessage(): string | undefined {
    return undefined;
  }
  get workers(): number {
    return this.graphs.shards;
  }
  get params(): Flat {
    return this.state.params;
  }
  get stepCount(): number {
    return this.state.step;
  }
  param(name: string): Flat {
    return this.graphs.layout.view(this.state.params, name);
  }
  getState(): OptimizerState {
    return { ...this.state };
  }
  setState(s: OptimizerState): void {
    const n = this.graphs.layout.total;
    if (s.params.length !== n || s.m.length !== n || s.v.length !== n)
      throw new StudioError('INVALID_INPUT', `Optimizer state must hold ${n} values per buffer.`);
    if (!Number.isInteger(s.step) || s.step < 0) throw new StudioError('INVALID_INPUT', `Optimizer step must be a non-negative integer, got ${s.step}.`);
    this.state = { ...s };
  }

  async step(data: Record<string, TensorData | ort.Tensor>, opts: StepOptions): Promise<StepResult> {
    if (!(opts.lr >= 0) || !Number.isFinite(opts.lr)) throw new StudioError('INVALID_INPUT', `Learning rate must be a finite number >= 0, got ${opts.lr}.`);
    if (this.graphs.optimizer.beta1Input && opts.beta1 === undefined)
      throw new StudioError('INVALID_INPUT', 'This training graph takes beta1 as an input: pass beta1 with each step.');
    const feeds: Record<string, TensorData> = {};
    for (const name of this.graphs.dataInputs) {
      const v = data[name];
      if (!v) throw new StudioError('INVALID_INPUT', `Missing training input '${name}' (the graph needs: ${this.graphs.dataInputs.join(', ')}).`);
      feeds[name] = { data: v.data as TensorData['data'], dims: v.dims };
    }
    const batch = feeds[this.graphs.dataInputs[0]!]!.dims[0];
    if (batch === undefined || !Number.isInteger(batch) || batch < 1)
      throw new StudioError('INVALID_INPUT', 'Training inputs need a batch as their first dimension.');

    this.sharedParams.set(this.state.params);
    const n = this.graphs.layout.total;
    const replies = await this.pool.runEach(splitBatch(feeds, batch, this.graphs.shards), this.workerOutputs, {
      [TRAIN_IO.params]: { data: this.sharedParams, dims: [n] },
    });
    let lossSum = 0;
    let count = 0;
    for (const r of replies) {
      lossSum += Number(r[TRAIN_IO.lossSum]!.data[0]);
      count += Number(r[TRAIN_IO.lossCount]!.data[0]);
    }
    const denominator = Math.max(count, 1);

    const t = this.state.step + 1;
    this.scalarLr[0] = opts.lr;
    this.scalarStep[0] = t;
    this.gradScale[0] = 1 / denominator;
    const dims = [n];
    const optFeeds: Record<string, ort.Tensor> = {
      [TRAIN_IO.params]: toOrtTensor({ data: this.state.params, dims }),
      [TRAIN_IO.m]: toOrtTensor({ data: this.state.m, dims }),
      [TRAIN_IO.v]: toOrtTensor({ data: this.state.v, dims }),
      [TRAIN_IO.lr]: toOrtTensor({ data: this.scalarLr, dims: [] }),
      [TRAIN_IO.step]: toOrtTensor({ data: this.scalarStep, dims: [] }),
      [TRAIN_IO.gradScale]: toOrtTensor({ data: this.gradScale, dims: [] }),
    };
    if (this.graphs.optimizer.beta1Input) {
      this.scalarBeta1[0] = opts.beta1!;
      optFeeds[TRAIN_IO.beta1] = toOrtTensor({ data: this.scalarBeta1, dims: [] });
    }
    for (let i = 0; i < this.graphs.shards; i++) {
      // Batches smaller than the shard count leave some workers idle: their share is zero.
      const g = replies[i]?.[TRAIN_IO.grads]?.data ?? this.zeros;
      optFeeds[`${TRAIN_IO.grads}_${i}`] = toOrtTensor({ data: g, dims });
    }
    const out = await this.optimizer.run(optFeeds, this.optimizerOutputs);
    this.state = {
      params: out[TRAIN_IO.paramsOut]!.data as Flat,
      m: out[TRAIN_IO.mOut]!.data as Flat,
      v: out[TRAIN_IO.vOut]!.data as Flat,
      step: t,
    };
    const res: StepResult = { loss: lossSum / denominator, outputs: {} };
    if (this.graphs.hasGradNorm) res.gradNorm = Number(out[TRAIN_IO.gradNorm]!.data[0]);
    if (this.graphs.hasGradients) res.grads = out[TRAIN_IO.grads]!.data as Flat;
    for (const name of this.graphs.extraOutputs) res.outputs[name] = concatBatch(replies.map((r) => r[name]!));
    return res;
  }

  async release(): Promise<void> {
    await this.pool.release();
    await this.optimizer.release();
  }
}
