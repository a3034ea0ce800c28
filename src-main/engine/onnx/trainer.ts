/**
 * Runs a TrainingGraph: holds the flat parameter and moment buffers and swaps in the
 * arrays onnxruntime returns (no copies), so a step costs one session.run with a handful
 * of tensors whatever the number of parameters.
 */
import * as ort from 'onnxruntime-node';
import { StudioError } from '../errors.js';
import { TRAIN_IO, type TrainingGraph } from './optimizer.js';
import { EngineSession, toOrtTensor, type SessionOptions, type TensorData } from './runtime.js';

type Flat = Float32Array | Float64Array;

export interface StepOptions {
  lr: number;
  /** Required when the graph was built with beta1Input. */
  beta1?: number;
}

export interface StepResult {
  loss: number;
  gradNorm?: number;
  /** Flat raw gradient when the graph outputs it (a fresh array, safe to keep). */
  grads?: Flat;
  /** Extra forward outputs. */
  outputs: Record<string, TensorData>;
}

export interface OptimizerState {
  params: Flat;
  m: Flat;
  v: Flat;
  /** Number of optimizer steps taken so far. */
  step: number;
}

/** What the training loop needs from a trainer (Trainer, DataParallelTrainer). */
export interface StepTrainer {
  readonly params: Flat;
  readonly stepCount: number;
  /** Set when CUDA was requested and the CPU runs instead. */
  readonly fallbackMessage: string | undefined;
  param(name: string): Flat;
  getState(): OptimizerState;
  setState(s: OptimizerState): void;
  step(data: Record<string, TensorData | ort.Tensor>, opts: StepOptions): Promise<StepResult>;
  release(): Promise<void>;
}

/** Shared input checks of the trainers (same messages whichever trainer runs). */
export function checkInitialParams(dtype: 'float32' | 'float64', total: number, initial: Flat): void {
  const want = dtype === 'float32' ? Float32Array : Float64Array;
  if (!(initial instanceof want) || initial.length !== total)
    throw new StudioError('INVALID_INPUT', `Initial parameters must be a ${want.name} of ${total} values.`);
}

export function checkOptimizerState(s: OptimizerState, total: number): void {
  if (s.params.length !== total || s.m.length !== total || s.v.length !== total)
    throw new StudioError('INVALID_INPUT', `Optimizer state must hold ${total} values per buffer.`);
  if (!Number.isInteger(s.step) || s.step < 0) throw new StudioError('INVALID_INPUT', `Optimizer step must be a non-negative integer, got ${s.step}.`);
}

/** Checks the schedule values and picks the graph's data inputs out of `data`. */
export function checkStep<T>(data: Record<string, T>, opts: StepOptions, dataInputs: readonly string[], beta1Input: boolean): Record<string, T> {
  if (!(opts.lr >= 0) || !Number.isFinite(opts.lr)) throw new StudioError('INVALID_INPUT', `Learning rate must be a finite number >= 0, got ${opts.lr}.`);
  if (beta1Input && opts.beta1 === undefined) throw new StudioError('INVALID_INPUT', 'This training graph takes beta1 as an input: pass beta1 with each step.');
  const picked: Record<string, T> = {};
  for (const name of dataInputs) {
    const v = data[name];
    if (!v) throw new StudioError('INVALID_INPUT', `Missing training input '${name}' (the graph needs: ${dataInputs.join(', ')}).`);
    picked[name] = v;
  }
  return picked;
}

export class Trainer implements StepTrainer {
  private state: OptimizerState;
  private readonly scalarLr = new Float64Array(1);
  private readonly scalarStep = new Float64Array(1);
  private readonly scalarBeta1 = new Float64Array(1);
  private readonly outputNames: string[];

  private constructor(
    readonly graph: TrainingGraph,
    readonly session: EngineSession,
    initial: Flat,
  ) {
    const n = graph.layout.total;
    const make = () => (graph.dtype === 'float32' ? new Float32Array(n) : new Float64Array(n));
    this.state = { params: initial, m: make(), v: make(), step: 0 };
    this.outputNames = [TRAIN_IO.loss, TRAIN_IO.paramsOut, TRAIN_IO.mOut, TRAIN_IO.vOut];
    if (graph.hasGradNorm) this.outputNames.push(TRAIN_IO.gradNorm);
    if (graph.hasGradients) this.outputNames.push(TRAIN_IO.grads);
    this.outputNames.push(...graph.extraOutputs);
  }

  /** Creates the session; `initialParams` (flat, layout order) is adopted, not copied. */
  static async create(graph: TrainingGraph, initialParams: Flat, options?: SessionOptions): Promise<Trainer> {
    checkInitialParams(graph.dtype, graph.layout.total, initialParams);
    const session = await EngineSession.create(graph.model, {
      ...options,
      disabledOptimizers: graph.dtype === 'float64' ? ['QuickGeluFusion', ...(options?.disabledOptimizers ?? [])] : options?.disabledOptimizers,
    });
    return new Trainer(graph, session, initialParams);
  }

  get params(): Flat {
    return this.state.params;
  }
  get fallbackMessage(): string | undefined {
    return this.session.fallbackMessage;
  }
  get stepCount(): number {
    return this.state.step;
  }
  /** Current value of one parameter (a view into the flat buffer; replaced after each step). */
  param(name: string): Flat {
    return this.graph.layout.view(this.state.params, name);
  }
  getState(): OptimizerState {
    return { ...this.state };
  }
  /** Restores a state (e.g. from a checkpoint); arrays are adopted, not copied. */
  setState(s: OptimizerState): void {
    checkOptimizerState(s, this.graph.layout.total);
    this.state = { ...s };
  }

  /** One training step (forward, backward, update) in one session.run. */
  async step(data: Record<string, TensorData | ort.Tensor>, opts: StepOptions): Promise<StepResult> {
    const inputs = checkStep(data, opts, this.graph.dataInputs, this.graph.optimizer.beta1Input);
    const n = this.graph.layout.total;
    const dims = [n];
    const t = this.state.step + 1;
    this.scalarLr[0] = opts.lr;
    this.scalarStep[0] = t;
    const feeds: Record<string, ort.Tensor> = {
      [TRAIN_IO.params]: toOrtTensor({ data: this.state.params, dims }),
      [TRAIN_IO.m]: toOrtTensor({ data: this.state.m, dims }),
      [TRAIN_IO.v]: toOrtTensor({ data: this.state.v, dims }),
      [TRAIN_IO.lr]: toOrtTensor({ data: this.scalarLr, dims: [] }),
      [TRAIN_IO.step]: toOrtTensor({ data: this.scalarStep, dims: [] }),
    };
    if (this.graph.optimizer.beta1Input) {
      this.scalarBeta1[0] = opts.beta1!;
      feeds[TRAIN_IO.beta1] = toOrtTensor({ data: this.scalarBeta1, dims: [] });
    }
    for (const [name, v] of Object.entries(inputs)) feeds[name] = v instanceof ort.Tensor ? v : toOrtTensor(v as TensorData);
    const out = await this.session.run(feeds, this.outputNames);
    this.state = {
      params: out[TRAIN_IO.paramsOut]!.data as Flat,
      m: out[TRAIN_IO.mOut]!.data as Flat,
      v: out[TRAIN_IO.vOut]!.data as Flat,
      step: t,
    };
    const res: StepResult = { loss: Number(out[TRAIN_IO.loss]!.data[0]), outputs: {} };
    if (this.graph.hasGradNorm) res.gradNorm = Number(out[TRAIN_IO.gradNorm]!.data[0]);
    if (this.graph.hasGradients) res.grads = out[TRAIN_IO.grads]!.data as Flat;
    for (const name of this.graph.extraOutputs) res.outputs[name] = out[name]!;
    return res;
  }

  async release(): Promise<void> {
    await this.session.release();
  }
}
