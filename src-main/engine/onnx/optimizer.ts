/**
 * One-session training step: forward + loss + gradients + optional global-norm clipping +
 * AdamW, all in one ONNX graph. Inputs: the flat parameter buffer, the two flat moment
 * buffers, the scalar learning rate, step (and optionally beta1) plus the caller's data
 * inputs; outputs: the loss, the updated flat buffers and optional diagnostics.
 *
 * The scalar bias-correction arithmetic runs in float64 inside the graph (as PyTorch does
 * in Python floats): 1 − 0.999ᵗ in float32 is off by ~1e-5 relative at t = 1.
 */
import { StudioError } from '../errors.js';
import type { FloatDType } from './dtype.js';
import { GraphBuilder, type Value } from './builder.js';
import { gradients } from './autodiff.js';
import { ParameterLayout, type ParamSpec } from './params.js';
import type { LossParts } from './losses.js';

export interface AdamWOptions {
  beta1?: number;
  beta2?: number;
  eps?: number;
  /** Decoupled weight decay (torch default 0.01); per-parameter overrides in ParamSpec. */
  weightDecay?: number;
  /** Clip gradients to this global L2 norm (torch clip_grad_norm_); omit for no clipping. */
  maxGradNorm?: number;
  /** Make beta1 a scalar input 'beta1' (for one-cycle momentum cycling). */
  beta1Input?: boolean;
}

export interface ForwardResult {
  loss: Value;
  /** The loss as sum and count of observed elements (losses.ts lossParts); needed for data-parallel graphs. */
  lossParts?: LossParts;
  /** Extra tensors to expose as outputs (predictions, batch statistics…). */
  outputs?: Record<string, Value>;
}

export interface TrainingGraphSpec {
  params: readonly ParamSpec[];
  dtype?: FloatDType;
  /** Declares data inputs on `b` and builds the forward pass and loss from the parameters. */
  forward: (b: GraphBuilder, params: Readonly<Record<string, Value>>) => ForwardResult;
  optimizer?: AdamWOptions;
  /** Also output the flat raw gradient d loss / d params ('grads'), before clipping (for tests and diagnostics). */
  outputGradients?: boolean;
  /** Also output the global gradient norm ('grad_norm'); always on when clipping. */
  outputGradNorm?: boolean;
  name?: string;
}

export const TRAIN_IO = {
  params: 'params',
  m: 'adam_m',
  v: 'adam_v',
  lr: 'lr',
  step: 'step',
  beta1: 'beta1',
  loss: 'loss',
  paramsOut: 'params_out',
  mOut: 'adam_m_out',
  vOut: 'adam_v_out',
  gradNorm: 'grad_norm',
  grads: 'grads',
  lossSum: 'loss_sum',
  lossCount: 'loss_count',
} as const;

export interface TrainingGraph {
  model: Uint8Array;
  layout: ParameterLayout;
  dtype: FloatDType;
  builder: GraphBuilder;
  optimizer: Required<Omit<AdamWOptions, 'maxGradNorm'>> & { maxGradNorm: number | undefined };
  /** Names of the caller's data inputs (everything but the optimizer state and scalars). */
  dataInputs: readonly string[];
  /** Names of the extra forward outputs. */
  extraOutputs: readonly string[];
  hasGradNorm: boolean;
  hasGradients: boolean;
}

/** See buildShardedTrainingGraphs. */
export interface ShardedTrainingGraphs {
  gradientModel: Uint8Array;
  shards: number;
  layout: ParameterLayout;
  dtype: FloatDType;
  /** The gradient graph's builder (node counts, FLOPs). */
  gradientBuilder: GraphBuilder;
  optimizer: TrainingGraph['optimizer'];
  dataInputs: readonly string[];
  /** Extra forward outputs, batch-major (concatenated over the shards). */
  extraOutputs: readonly string[];
  /** Steps report the global gradient norm (clipping or outputGradNorm). */
  hasGradNorm: boolean;
  /** Steps return the combined gradient, before clipping (outputGradients). */
  hasGradients: boolean;
}

type ResolvedAdamW = TrainingGraph['optimizer'];

function resolveAdamW(o: AdamWOptions = {}): ResolvedAdamW {
  const opt = {
    beta1: o.beta1 ?? 0.9,
    beta2: o.beta2 ?? 0.999,
    eps: o.eps ?? 1e-8,
    weightDecay: o.weightDecay ?? 0.01,
    maxGradNorm: o.maxGradNorm,
    beta1Input: o.beta1Input ?? false,
  };
  if (!(opt.beta1 >= 0 && opt.beta1 < 1) || !(opt.beta2 >= 0 && opt.beta2 < 1))
    throw new StudioError('GRAPH', `AdamW betas must be in [0, 1), got (${opt.beta1}, ${opt.beta2}).`);
  if (!(opt.eps > 0)) throw new StudioError('GRAPH', `AdamW eps must be > 0, got ${opt.eps}.`);
  if (opt.maxGradNorm !== undefined && !(opt.maxGradNorm > 0)) throw new StudioError('GRAPH', `maxGradNorm must be > 0, got ${opt.maxGradNorm}.`);
  return opt;
}

interface OptimizerInputs {
  params: Value;
  m: Value;
  v: Value;
  lr: Value;
  step: Value;
  beta1: Value;
}

/** Declares the flat parameter/moment buffers and the scalar schedule inputs. */
function optimizerInputs(b: GraphBuilder, dtype: FloatDType, N: number, opt: ResolvedAdamW): OptimizerInputs {
  return {
    params: b.input(TRAIN_IO.params, dtype, [N]),
    m: b.input(TRAIN_IO.m, dtype, [N]),
    v: b.input(TRAIN_IO.v, dtype, [N]),
    lr: b.input(TRAIN_IO.lr, 'float64', []),
    step: b.input(TRAIN_IO.step, 'float64', []),
    beta1: opt.beta1Input ? b.input(TRAIN_IO.beta1, 'float64', []) : b.scalar(opt.beta1, 'float64'),
  };
}

/** d loss / d params as one flat vector in layout order. */
function flatGradients(b: GraphBuilder, loss: Value, layout: ParameterLayout, params: Readonly<Record<string, Value>>): Value {
  const grads = gradients(
    b,
    loss,
    layout.entries.map((e) => params[e.name]!),
  );
  return b.concat(
    grads.map((gr) => (gr.rank === 1 ? gr : b.reshape(gr, [-1]))),
    0,
  );
}

/**
 * Optional global-norm clipping, then one AdamW update of the flat buffers (torch semantics:
 * bias correction, decoupled weight decay). The clipping coefficient is folded into the
 * moments' scalar factors, so it costs no pass over the buffers. Outputs params_out,
 * adam_m_out, adam_v_out, grad_norm when clipping or asked for, and the gradient ('grads')
 * when asked for. Returns whether grad_norm is an output.
 */
function emitAdamW(
  b: GraphBuilder,
  io: OptimizerInputs,
  gradient: Value,
  layout: ParameterLayout,
  dtype: FloatDType,
  opt: ResolvedAdamW,
  outputs: { gradNorm: boolean; gradients: boolean },
): boolean {
  const N = layout.total;
  const g = gradient;
  let gradNorm: Value | undefined;
  if (opt.maxGradNorm !== undefined || outputs.gradNorm) gradNorm = b.sqrt(b.reduce('ReduceSumSquare', g, [0], false));
  // k: the clipping coefficient, folded into the moments' scalar factors.
  let k: Value | null = null;
  if (opt.maxGradNorm !== undefined) {
    // torch.nn.utils.clip_grad_norm_: coef = max_norm / (total_norm + 1e-6), clamped to 1.
    k = b.min(b.div(b.scalar(opt.maxGradNorm, dtype), b.add(gradNorm!, 1e-6)), 1);
  }

  // Scalar schedule arithmetic in float64, cast once.
  const { lr, step, beta1 } = io;
  const b2 = b.scalar(opt.beta2, 'float64');
  const bc1 = b.sub(b.scalar(1, 'float64'), b.pow(beta1, step));
  const bc2 = b.sub(b.scalar(1, 'float64'), b.pow(b2, step));
  const stepSize = b.cast(b.div(lr, bc1), dtype);
  const bc2Sqrt = b.cast(b.sqrt(bc2), dtype);
  const b1 = b.cast(beta1, dtype);
  let gFactor = b.cast(b.sub(b.scalar(1, 'float64'), beta1), dtype); // (1 − β1)·k
  let g2Factor: Value | number = 1 - opt.beta2; // (1 − β2)·k²
  if (k) {
    gFactor = b.mul(gFactor, k);
    g2Factor = b.mul(b.mul(k, k), 1 - opt.beta2);
  }

  const decays = layout.entries.map((e) => e.weightDecay ?? opt.weightDecay);
  let decayed: Value;
  if (decays.every((d) => d === decays[0])) {
    decayed = decays[0] === 0 ? io.params : b.mul(io.params, b.cast(b.sub(b.scalar(1, 'float64'), b.mul(lr, b.scalar(decays[0]!, 'float64'))), dtype));
  } else {
    const wd = dtype === 'float32' ? new Float32Array(N) : new Float64Array(N);
    layout.entries.forEach((e, i) => wd.fill(decays[i]!, e.offset, e.offset + e.size));
    const wdv = b.constant(dtype, [N], wd, 'weight_decay');
    decayed = b.mul(io.params, b.sub(1, b.mul(wdv, b.cast(lr, dtype))));
  }
  const m2 = b.add(b.mul(io.m, b1), b.mul(g, gFactor));
  const v2 = b.add(b.mul(io.v, opt.beta2), b.mul(b.mul(g, g), g2Factor));
  const denom = b.add(b.div(b.sqrt(v2), bc2Sqrt), opt.eps);
  const p2 = b.sub(decayed, b.mul(b.div(m2, denom), stepSize));

  b.output(p2, TRAIN_IO.paramsOut);
  b.output(m2, TRAIN_IO.mOut);
  b.output(v2, TRAIN_IO.vOut);
  if (gradNorm) b.output(gradNorm, TRAIN_IO.gradNorm);
  if (outputs.gradients) b.output(g, TRAIN_IO.grads);
  return gradNorm !== undefined;
}

function emitExtraOutputs(b: GraphBuilder, fwd: ForwardResult): string[] {
  const extra = Object.entries(fwd.outputs ?? {});
  for (const [name, v] of extra) {
    if ((Object.values(TRAIN_IO) as string[]).includes(name)) throw new StudioError('GRAPH', `Extra output name '${name}' is reserved by the training graph.`);
    b.output(v, name);
  }
  return extra.map(([n]) => n);
}

export function buildTrainingGraph(spec: TrainingGraphSpec): TrainingGraph {
  const dtype = spec.dtype ?? 'float32';
  const opt = resolveAdamW(spec.optimizer);
  const layout = new ParameterLayout(spec.params);
  const b = new GraphBuilder(spec.name ?? 'train_step');
  const N = layout.total;
  const io = optimizerInputs(b, dtype, N, opt);
  const reserved = new Set(b.graphInputs.map((v) => v.name));

  const params = layout.unpackInGraph(b, io.params);
  const fwd = spec.forward(b, params);
  const dataInputs = b.graphInputs.map((v) => v.name).filter((n) => !reserved.has(n));
  const rawG = flatGradients(b, fwd.loss, layout, params);

  b.output(fwd.loss, TRAIN_IO.loss);
  const hasGradNorm = emitAdamW(b, io, rawG, layout, dtype, opt, { gradNorm: !!spec.outputGradNorm, gradients: !!spec.outputGradients });
  const extraOutputs = emitExtraOutputs(b, fwd);
  return {
    model: b.toModel({ docString: `TTM Studio training step: AdamW over ${N} parameters in ${layout.entries.length} tensors.` }),
    layout,
    dtype,
    builder: b,
    optimizer: opt,
    dataInputs,
    extraOutputs,
    hasGradNorm,
    hasGradients: !!spec.outputGradients,
  };
}

/**
 * The gradient half of the training step, for data parallelism over `shards` slices of a
 * batch (DataParallelTrainer): params + one slice of the data → loss_sum, loss_count and the
 * flat gradient of loss_sum ('grads'), plus the extra outputs for that slice. The trainer
 * sums the slices' gradients, scales them by 1 / max(Σ count, 1) and applies AdamW itself
 * (adamw-cpu.ts). Because no sample's loss depends on another's (no batch statistics), that
 * equals the gradient of the whole batch's masked mean. The forward must return `lossParts`.
 */
export function buildShardedTrainingGraphs(spec: TrainingGraphSpec, shards: number): ShardedTrainingGraphs {
  if (!Number.isInteger(shards) || shards < 2) throw new StudioError('GRAPH', `Data-parallel training needs at least 2 shards, got ${shards}.`);
  const dtype = spec.dtype ?? 'float32';
  const opt = resolveAdamW(spec.optimizer);
  const layout = new ParameterLayout(spec.params);
  const N = layout.total;

  const gb = new GraphBuilder(`${spec.name ?? 'train_step'}_gradient`);
  const pFlat = gb.input(TRAIN_IO.params, dtype, [N]);
  const params = layout.unpackInGraph(gb, pFlat);
  const fwd = spec.forward(gb, params);
  if (!fwd.lossParts) throw new StudioError('GRAPH', 'Data-parallel training needs the forward to return lossParts (sum and count).');
  const dataInputs = gb.graphInputs.map((v) => v.name).filter((n) => n !== TRAIN_IO.params);
  gb.output(fwd.lossParts.sum, TRAIN_IO.lossSum);
  gb.output(gb.cast(fwd.lossParts.count, dtype), TRAIN_IO.lossCount);
  gb.output(flatGradients(gb, fwd.lossParts.sum, layout, params), TRAIN_IO.grads);
  const extraOutputs = emitExtraOutputs(gb, fwd);

  return {
    gradientModel: gb.toModel({ docString: `TTM Studio training step, gradient of one batch slice over ${N} parameters.` }),
    shards,
    layout,
    dtype,
    gradientBuilder: gb,
    optimizer: opt,
    dataInputs,
    extraOutputs,
    hasGradNorm: opt.maxGradNorm !== undefined || !!spec.outputGradNorm,
    hasGradients: !!spec.outputGradients,
  };
}
