/**
 * Layer helpers with PyTorch semantics and parameter layouts (Linear weight [out, in],
 * LayerNorm over the last axis, exact-erf GELU), composed from builder ops so that
 * autodiff covers them.
 */
import { StudioError } from '../errors.js';
import type { GraphBuilder, Value } from './builder.js';
import { normalizeAxis } from './shape.js';

/**
 * y = x Wᵀ + b with W in PyTorch layout [out_features, in_features]; any leading batch axes.
 * A 2-D x gives one Gemm(x, W, b, transB=1): MLAS reads W transposed in place, where a
 * MatMul by Transpose(W) would run that Transpose on every step when W is trained
 * (onnxruntime folds it into the Gemm only when the product has a single consumer).
 */
export function linear(b: GraphBuilder, x: Value, weight: Value, bias?: Value | null): Value {
  if (weight.rank !== 2) throw new StudioError('GRAPH', `linear: weight ${weight.toString()} must be [out_features, in_features].`);
  if (x.rank === 2 && (!bias || bias.rank <= 1)) return b.gemm(x, weight, bias, { transB: true });
  const y = b.matmul(x, b.transpose(weight, [1, 0]));
  return bias ? b.add(y, bias) : y;
}

/** LayerNorm over the last axis (ONNX LayerNormalization, opset 17+). */
export function layerNorm(b: GraphBuilder, x: Value, weight: Value, bias: Value | null, eps = 1e-5): Value {
  return b.layerNormalization(x, weight, bias, -1, eps);
}

/** BatchNorm with running statistics (inference), channels on `axis` (default 1 as in PyTorch). */
export function batchNormInference(b: GraphBuilder, x: Value, weight: Value, bias: Value, runningMean: Value, runningVar: Value, eps = 1e-5, axis = 1): Value {
  const ax = normalizeAxis(axis, x.rank, 'batchNorm');
  if (ax === 1) return b.batchNormalization(x, weight, bias, runningMean, runningVar, eps);
  const perm = x.shape.map((_, i) => i);
  perm.splice(ax, 1);
  perm.splice(1, 0, ax);
  const inv = new Array<number>(perm.length);
  perm.forEach((p, i) => (inv[p] = i));
  return b.transpose(b.batchNormalization(b.transpose(x, perm), weight, bias, runningMean, runningVar, eps), inv);
}

export interface BatchNormTrainingResult {
  y: Value;
  /** Batch mean per channel, shape [C]. */
  mean: Value;
  /** Biased batch variance per channel (used to normalise), shape [C]. */
  variance: Value;
  /** Unbiased batch variance per channel (what PyTorch blends into running_var), shape [C]. */
  unbiasedVariance: Value;
}

/**
 * BatchNorm in training mode: normalises with the batch statistics (differentiable through
 * them) and returns those statistics so the caller can update running averages
 * (running = (1 − momentum)·running + momentum·batch, PyTorch's convention).
 */
export function batchNormTraining(b: GraphBuilder, x: Value, weight: Value, bias: Value, eps = 1e-5, axis = 1): BatchNormTrainingResult {
  const ax = normalizeAxis(axis, x.rank, 'batchNorm');
  const others = x.shape.map((_, i) => i).filter((i) => i !== ax);
  const mean = b.reduceMean(x, others, true);
  const xc = b.sub(x, mean);
  const variance = b.reduceMean(b.mul(xc, xc), others, true);
  const bshape = x.shape.map((d, i) => (i === ax ? d : 1));
  const xhat = b.div(xc, b.sqrt(b.add(variance, eps)));
  const y = b.add(b.mul(xhat, b.reshape(weight, bshape)), b.reshape(bias, bshape));
  const n = others.reduce((p: number, i) => p * (typeof x.shape[i] === 'number' ? (x.shape[i] as number) : NaN), 1);
  const meanC = b.reshape(mean, [x.shape[ax]!]);
  const varC = b.reshape(variance, [x.shape[ax]!]);
  let unbiased: Value;
  if (Number.isFinite(n)) unbiased = n > 1 ? b.mul(varC, n / (n - 1)) : varC;
  else {
    const count = b.cast(b.reduce('ReduceProd', b.gather(b.shapeOf(x), others), [0], false), x.dtype);
    unbiased = b.div(b.mul(varC, count), b.sub(count, 1));
  }
  return { y, mean: meanC, variance: varC, unbiasedVariance: unbiased };
}

/**
 * PyTorch's running-statistic update, (1 − momentum)·running + momentum·batch, for the
 * graph outputs that carry BatchNorm running mean/var from step to step.
 */
export function updateRunningStat(b: GraphBuilder, running: Value, batch: Value, momentum = 0.1): Value {
  return b.add(b.mul(running, 1 - momentum), b.mul(batch, momentum));
}

/** Exact GELU, 0.5·x·(1 + erf(x/√2)), as torch.nn.GELU() (no float64 kernel for Erf in ORT 1.30). */
export function gelu(b: GraphBuilder, x: Value): Value {
  return b.mul(b.mul(x, 0.5), b.add(b.erf(b.mul(x, Math.SQRT1_2)), 1));
}

/** tanh-approximated GELU (torch approximate='tanh'); float64-capable. */
export function geluTanh(b: GraphBuilder, x: Value): Value {
  const inner = b.mul(b.add(x, b.mul(b.mul(b.mul(x, x), x), 0.044715)), Math.sqrt(2 / Math.PI));
  return b.mul(b.mul(x, 0.5), b.add(b.tanh(inner), 1));
}

/** TTM gated attention: x ⊙ softmax(Linear(x)) over the last axis. */
export function gatedAttention(b: GraphBuilder, x: Value, weight: Value, bias?: Value | null): Value {
  return b.mul(x, b.softmax(linear(b, x, weight, bias), -1));
}

/**
 * Inverted dropout with an explicit 0/1 keep-mask input (see rng.dropoutMask): x·mask/(1 − p).
 * p = 0 returns x untouched (no mask needed).
 */
export function dropout(b: GraphBuilder, x: Value, mask: Value | null, p: number): Value {
  if (!(p >= 0 && p < 1)) throw new StudioError('GRAPH', `dropout: probability ${p} must be in [0, 1).`);
  if (p === 0) return x;
  if (!mask) throw new StudioError('GRAPH', `dropout: p = ${p} needs a mask input (generate it with dropoutMask and feed it).`);
  const m = mask.dtype === x.dtype ? mask : b.cast(mask, x.dtype);
  return b.mul(x, b.mul(m, 1 / (1 - p)));
}
