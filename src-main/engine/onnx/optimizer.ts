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

export function buildTrainingGraph(spec: TrainingGraphSpec): TrainingGraph {
  const dtype = spec.dtype ?? 'float32';
  const o = spec.optimizer ?? {};
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

  const layout = new ParameterLayout(spec.params);
  const b = new GraphBuilder(spec.name ?? 'train_step');
  const N = layout.total;
  const pFlat = b.input(TRAIN_IO.params, dtype, [N]);
  const mFlat = b.input(TRAIN_IO.m, dtype, [N]);
  const vFlat = b.input(TRAIN_IO.v, dtype, [N]);
  const lr = b.input(TRAIN_IO.lr, 'float64', []);
  const step = b.input(TRAIN_IO.step, 'float64', []);
  const beta1 = opt.beta1Input ? b.input(TRAIN_IO.beta1, 'float64', []) : b.scalar(opt.beta1, 'float64');
  const reserved = new Set(b.graphInputs.map((v) => v.name));

  const params = layout.unpackInGraph(b, pFlat);
  const fwd = spec.forward(b, params);
  const dataInputs = b.graphInputs.map((v) => v.name).filter((n) => !reserved.has(n));
  const pList = layout.entries.map((e) => params[e.name]!);
  const grads = gradients(b, fwd.loss, pList);
  let g = b.concat(
    grads.map((gr) => (gr.rank === 1 ? gr : b.reshape(gr, [-1]))),
    0,
  );
  const rawG = g;

  let gradNorm: Value | undefined;
  if (opt.maxGradNorm !== undefined || spec.outputGradNorm) gradNorm = b.sqrt(b.reduce('ReduceSumSquare', g, [0], false));
  if (opt.maxGradNorm !== undefined) {
    // torch.nn.utils.clip_grad_norm_: coef = max_norm / (total_norm + 1e-6), clamped to 1.
    const coef = b.min(b.div(b.scalar(opt.maxGradNorm, dtype), b.add(gradNorm!, 1e-6)), 1);
    g = b.mul(g, coef);
  }

  // Scalar schedule arithmetic in float64, cast once.
  const b2 = b.scalar(opt.beta2, 'float64');
  const bc1 = b.sub(b.scalar(1, 'float64'), b.pow(beta1, step));
  const bc2 = b.sub(b.scalar(1, 'float64'), b.pow(b2, step));
  const stepSize = b.cast(b.div(lr, bc1), dtype);
  const bc2Sqrt = b.cast(b.sqrt(bc2), dtype);
  const b1 = b.cast(beta1, dtype);
  const oneMinusB1 = b.cast(b.sub(b.scalar(1, 'float64'), beta1), dtype);

  const decays = layout.entries.map((e) => e.weightDecay ?? opt.weightDecay);
  let decayed: Value;
  if (decays.every((d) => d === decays[0])) {
    decayed = decays[0] === 0 ? pFlat : b.mul(pFlat, b.cast(b.sub(b.scalar(1, 'float64'), b.mul(lr, b.scalar(decays[0]!, 'float64'))), dtype));
  } else {
    const wd = dtype === 'float32' ? new Float32Array(N) : new Float64Array(N);
    layout.entries.forEach((e, i) => wd.fill(decays[i]!, e.offset, e.offset + e.size));
    const wdv = b.constant(dtype, [N], wd, 'weight_decay');
    decayed = b.mul(pFlat, b.sub(1, b.mul(wdv, b.cast(lr, dtype))));
  }
  const m2 = b.add(b.mul(mFlat, b1), b.mul(g, oneMinusB1));
  const v2 = b.add(b.mul(vFlat, opt.beta2), b.mul(b.mul(g, g), 1 - opt.beta2));
  const denom = b.add(b.div(b.sqrt(v2), bc2Sqrt), opt.eps);
  const p2 = b.sub(decayed, b.mul(b.div(m2, denom), stepSize));

  b.output(fwd.loss, TRAIN_IO.loss);
  b.output(p2, TRAIN_IO.paramsOut);
  b.output(m2, TRAIN_IO.mOut);
  b.output(v2, TRAIN_IO.vOut);
  if (gradNorm) b.output(gradNorm, TRAIN_IO.gradNorm);
  if (spec.outputGradients) b.output(rawG, TRAIN_IO.grads);
  const extra = Object.entries(fwd.outputs ?? {});
  for (const [name, v] of extra) {
    if ((Object.values(TRAIN_IO) as string[]).includes(name)) throw new StudioError('GRAPH', `Extra output name '${name}' is reserved by the training graph.`);
    b.output(v, name);
  }
  return {
    model: b.toModel({ docString: `TTM Studio training step: AdamW over ${N} parameters in ${layout.entries.length} tensors.` }),
    layout,
    dtype,
    builder: b,
    optimizer: opt,
    dataInputs,
    extraOutputs: extra.map(([n]) => n),
    hasGradNorm: gradNorm !== undefined,
    hasGradients: !!spec.outputGradients,
  };
}
