/**
 * Training losses with an optional observed-mask: masked-out targets contribute nothing
 * and the mean runs over observed elements only (sum(l·m) / max(sum(m), 1), so an
 * all-masked batch gives 0 rather than NaN). Targets with NaN must be imputed before:
 * NaN·0 is NaN.
 */
import { StudioError } from '../errors.js';
import type { GraphBuilder, Value } from './builder.js';
import { shapeEq } from './shape.js';

export interface LossOptions {
  /** 1 = observed, 0 = missing; broadcastable to the target; float or bool. */
  mask?: Value | null;
}

/**
 * The two halves of a masked mean: the sum of the observed elements' losses and their
 * count. Data-parallel training differentiates the sums of each shard and divides once by the
 * total count, which equals the gradient of the whole batch's mean.
 */
export interface LossParts {
  sum: Value;
  count: Value;
}

function observedMask(b: GraphBuilder, l: Value, mask: Value): Value {
  const m = mask.dtype === l.dtype ? mask : b.cast(mask, l.dtype);
  return shapeEq(m.shape, l.shape) ? m : b.expandLike(m, l);
}

function maskedMean(b: GraphBuilder, l: Value, mask: Value | null | undefined): Value {
  if (!mask) return b.reduceMean(l);
  const m = observedMask(b, l, mask);
  const num = b.reduceSum(b.mul(l, m));
  const den = b.max(b.reduceSum(m), 1);
  return b.div(num, den);
}

function maskedParts(b: GraphBuilder, l: Value, mask: Value | null | undefined): LossParts {
  if (mask) {
    const m = observedMask(b, l, mask);
    return { sum: b.reduceSum(b.mul(l, m)), count: b.reduceSum(m) };
  }
  const n = l.shape.reduce<number>((p, d) => p * (typeof d === 'number' ? d : NaN), 1);
  const count = Number.isFinite(n) ? b.scalar(n, l.dtype) : b.cast(b.reduce('ReduceProd', b.shapeOf(l), [0], false), l.dtype);
  return { sum: b.reduceSum(l), count };
}

function diff(b: GraphBuilder, pred: Value, target: Value, what: string): Value {
  if (pred.dtype !== target.dtype)
    throw new StudioError('GRAPH', `${what}: prediction ${pred.toString()} and target ${target.toString()} have different dtypes.`);
  if (!shapeEq(pred.shape, target.shape))
    throw new StudioError('GRAPH', `${what}: prediction ${pred.toString()} and target ${target.toString()} must have the same shape.`);
  return b.sub(pred, target);
}

/** Mean squared error (torch MSELoss, reduction 'mean'). */
export function mseLoss(b: GraphBuilder, pred: Value, target: Value, options: LossOptions = {}): Value {
  return maskedMean(b, mseElements(b, pred, target), options.mask);
}

function mseElements(b: GraphBuilder, pred: Value, target: Value): Value {
  const d = diff(b, pred, target, 'mse');
  return b.mul(d, d);
}

/** Mean absolute error (torch L1Loss). */
export function maeLoss(b: GraphBuilder, pred: Value, target: Value, options: LossOptions = {}): Value {
  return maskedMean(b, maeElements(b, pred, target), options.mask);
}

function maeElements(b: GraphBuilder, pred: Value, target: Value): Value {
  return b.abs(diff(b, pred, target, 'mae'));
}

/** Huber loss (torch HuberLoss): ½d² for |d| ≤ δ, δ(|d| − ½δ) beyond. */
export function huberLoss(b: GraphBuilder, pred: Value, target: Value, delta = 1, options: LossOptions = {}): Value {
  return maskedMean(b, huberElements(b, pred, target, delta), options.mask);
}

function huberElements(b: GraphBuilder, pred: Value, target: Value, delta: number): Value {
  if (!(delta > 0)) throw new StudioError('GRAPH', `huber: delta must be > 0, got ${delta}.`);
  const a = b.abs(diff(b, pred, target, 'huber'));
  // With q = min(|d|, δ): ½q² + δ(|d| − q) equals both branches and stays smooth at |d| = δ.
  const q = b.min(a, delta);
  return b.add(b.mul(b.mul(q, q), 0.5), b.mul(b.sub(a, q), delta));
}

/**
 * Pinball (quantile) loss, mean of max(q·(y − ŷ), (q − 1)·(y − ŷ)).
 * One quantile: `pred` has the target's shape. Several: `pred` has an extra trailing axis
 * with one entry per quantile (in the given order); the mean runs over observed × quantiles.
 */
export function pinballLoss(b: GraphBuilder, pred: Value, target: Value, quantiles: number | readonly number[], options: LossOptions = {}): Value {
  const { l, mask } = pinballElements(b, pred, target, quantiles, options.mask ?? null);
  return maskedMean(b, l, mask);
}

function pinballElements(
  b: GraphBuilder,
  pred: Value,
  target: Value,
  quantiles: number | readonly number[],
  mask: Value | null,
): { l: Value; mask: Value | null } {
  const qs = typeof quantiles === 'number' ? [quantiles] : [...quantiles];
  if (qs.length === 0 || qs.some((q) => !(q > 0 && q < 1))) throw new StudioError('GRAPH', `pinball: quantiles must be in (0, 1), got [${qs.join(', ')}].`);
  const several = typeof quantiles !== 'number';
  let y = target;
  if (several) {
    const q = pred.shape[pred.rank - 1];
    if (pred.rank !== target.rank + 1 || q !== qs.length) {
      throw new StudioError(
        'GRAPH',
        `pinball: with ${qs.length} quantiles the prediction must be the target's shape plus a trailing axis of ${qs.length}; got prediction ${pred.toString()} and target ${target.toString()}.`,
      );
    }
    y = b.unsqueeze(target, [-1]);
    if (mask) mask = b.unsqueeze(mask, [-1]);
  }
  const pb = several ? b.expandLike(y, pred) : y;
  const d = b.neg(diff(b, pred, pb, 'pinball')); // y − ŷ
  const qv = several ? b.constant(pred.dtype, [qs.length], qs) : b.scalar(qs[0]!, pred.dtype);
  return { l: b.max(b.mul(d, qv), b.mul(d, b.sub(qv, 1))), mask };
}

export type LossKind = 'mse' | 'mae' | 'huber' | 'pinball';

export interface LossSpec {
  kind: LossKind;
  /** Huber threshold (default 1). */
  delta?: number;
  /** Pinball quantile(s) (default 0.5). */
  quantiles?: number | readonly number[];
}

/** Per-element losses of a spec, with the mask to weigh them by (reshaped for several quantiles). */
function elements(b: GraphBuilder, spec: LossSpec, pred: Value, target: Value, mask: Value | null): { l: Value; mask: Value | null } {
  switch (spec.kind) {
    case 'mse':
      return { l: mseElements(b, pred, target), mask };
    case 'mae':
      return { l: maeElements(b, pred, target), mask };
    case 'huber':
      return { l: huberElements(b, pred, target, spec.delta ?? 1), mask };
    case 'pinball':
      return pinballElements(b, pred, target, spec.quantiles ?? 0.5, mask);
    default:
      throw new StudioError('GRAPH', `Unknown loss '${String((spec as { kind: unknown }).kind)}': use mse, mae, huber or pinball.`);
  }
}

/** Dispatches on a loss spec (as stored in run configs). */
export function loss(b: GraphBuilder, spec: LossSpec, pred: Value, target: Value, options: LossOptions = {}): Value {
  const e = elements(b, spec, pred, target, options.mask ?? null);
  return maskedMean(b, e.l, e.mask);
}

/** The loss as sum and count of the observed elements (loss = sum / max(count, 1)). */
export function lossParts(b: GraphBuilder, spec: LossSpec, pred: Value, target: Value, options: LossOptions = {}): LossParts {
  const e = elements(b, spec, pred, target, options.mask ?? null);
  return maskedParts(b, e.l, e.mask);
}
