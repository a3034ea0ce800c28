/**
 * Ridge regression on lags, one linear model per horizon step (direct multi-output: all steps
 * share the features, each has its own weights), fitted in closed form.
 *
 * Features of a window with last context value c[t] ("current level"):
 *   x = [ c[t],  c[t−1] − c[t],  …,  c[t−k+1] − c[t] ]      (k features: the level and k−1 lag
 *                                                             differences, spanning the last k values)
 * Target of step h: y[t+h] − c[t]. Features are standardised with training means and SDs; an
 * intercept is fitted and not penalised. So a large λ shrinks the model toward "persistence
 * plus the mean change", the baseline it should beat. Objective per step h, over training
 * windows whose target at h was observed (n_h of them):
 *   (1/n_h)·Σ (Δ − b − w·z)² + λ·‖w‖²
 * Normal equations (Σ x̃x̃ᵀ + n_h·λ·diag(0,1,…,1)) [b; w] = Σ x̃·Δ, x̃ = [1; z], solved by
 * Cholesky in Float64. λ is fixed (default 1e-3) or chosen on validation windows by
 * `fitRidgeSelectLambda` (lowest mean validation MSE over steps).
 *
 * Context values are used as given (imputed ones included, as the model would see them);
 * imputed targets never enter a fit. The fitted model is plain JSON (`RidgeModelSchema`).
 */
import { z } from 'zod';
import { StudioError } from '../../errors.js';
import { formatZodIssues, withRenamedKey } from '../../util/json.js';
import type { FloatArray, Mask } from '../../metrics/types.js';
import { cholesky, choleskySolve } from './cholesky.js';
import { checkForecastLength, type ContextBatch, nonFiniteContext, validateContextBatch } from './types.js';

export const DEFAULT_RIDGE_LAGS = 12;
export const DEFAULT_RIDGE_LAMBDA = 1e-3;
export const DEFAULT_LAMBDA_GRID = [1e-4, 1e-3, 1e-2, 1e-1, 1, 10] as const;

export const RidgeModelSchema = z
  .object({
    kind: z.literal('ridge-lags'),
    version: z.literal(1),
    unit: z.literal('mmol/L'),
    lags: z.number().int().min(1),
    forecastLength: z.number().int().min(1),
    lambda: z.number().nonnegative(),
    featureMean: z.array(z.number()),
    featureScale: z.array(z.number().positive()),
    /** Per step: intercept of the change from the current level. */
    intercepts: z.array(z.number()),
    /** [forecastLength][lags] weights on standardised features. */
    weights: z.array(z.array(z.number())),
    /** Training windows per step (observed targets). */
    trainCounts: z.array(z.number().int().nonnegative()),
  })
  .superRefine((m, ctx) => {
    const bad = (msg: string) => ctx.addIssue({ code: 'custom', message: msg });
    if (m.featureMean.length !== m.lags || m.featureScale.length !== m.lags) bad('featureMean/featureScale must have `lags` entries');
    if (m.intercepts.length !== m.forecastLength || m.weights.length !== m.forecastLength || m.trainCounts.length !== m.forecastLength)
      bad('per-step arrays must have `forecastLength` entries');
    if (m.weights.some((w) => w.length !== m.lags)) bad('each weight row must have `lags` entries');
  });
export type RidgeModel = z.infer<typeof RidgeModelSchema>;

export interface TargetBatch {
  windows: number;
  forecastLength: number;
  /** [windows, forecastLength], mmol/L. */
  target: FloatArray;
  /** [windows, forecastLength]; 0 = imputed, never fitted on. */
  targetMask?: Mask;
}

export interface RidgeOptions {
  lags?: number;
  lambda?: number;
}

/** Raw (unstandardised) features of every window: [windows, lags]. */
function rawFeatures(batch: ContextBatch, lags: number): Float64Array {
  validateContextBatch(batch);
  const { windows, contextLength: L, context } = batch;
  if (L < lags) throw new StudioError('INVALID_INPUT', `Ridge on ${lags} lags needs a context of at least ${lags} steps; got ${L}.`);
  const x = new Float64Array(windows * lags);
  for (let w = 0; w < windows; w++) {
    const row = w * L;
    const level = context[row + L - 1]!;
    if (!Number.isFinite(level)) throw nonFiniteContext(w, L - 1, level);
    x[w * lags] = level;
    for (let j = 1; j < lags; j++) {
      const v = context[row + L - 1 - j]!;
      if (!Number.isFinite(v)) throw nonFiniteContext(w, L - 1 - j, v);
      x[w * lags + j] = v - level;
    }
  }
  return x;
}

/** Sufficient statistics of a training set: everything λ-dependent solving needs. */
interface RidgeStats {
  lags: number;
  forecastLength: number;
  mean: Float64Array;
  scale: Float64Array;
  /** Per step: (p+1)² Gram of x̃ over included rows. */
  gram: Float64Array[];
  /** Per step: (p+1) right-hand side. */
  rhs: Float64Array[];
  counts: number[];
}

function accumulate(train: ContextBatch, targets: TargetBatch, lags: number): RidgeStats {
  checkForecastLength(targets.forecastLength);
  if (targets.windows !== train.windows)
    throw new StudioError('INVALID_INPUT', `Ridge: ${train.windows} context windows but ${targets.windows} target windows.`);
  const H = targets.forecastLength;
  const W = train.windows;
  if (targets.target.length !== W * H)
    throw new StudioError('INVALID_INPUT', `Ridge: targets have ${targets.target.length} values; [${W}, ${H}] needs ${W * H}.`);
  if (targets.targetMask !== undefined && targets.targetMask.length !== W * H)
    throw new StudioError('INVALID_INPUT', 'Ridge: target mask shape differs from targets.');
  const x = rawFeatures(train, lags);
  const p = lags;
  const q = p + 1;
  // Standardisation over all training windows (features depend on the context only).
  const mean = new Float64Array(p);
  const scale = new Float64Array(p);
  for (let w = 0; w < W; w++) for (let j = 0; j < p; j++) mean[j]! += x[w * p + j]!;
  for (let j = 0; j < p; j++) mean[j] = W === 0 ? 0 : mean[j]! / W;
  for (let w = 0; w < W; w++) for (let j = 0; j < p; j++) scale[j]! += (x[w * p + j]! - mean[j]!) ** 2;
  // A constant feature would divide by ~0: give it scale 1 (its weight is then shrunk to 0).
  for (let j = 0; j < p; j++) scale[j] = W === 0 ? 1 : Math.sqrt(scale[j]! / W) > 1e-12 ? Math.sqrt(scale[j]! / W) : 1;

  // Gram over all rows once, then per step remove the rows whose target is imputed: far
  // cheaper than H separate passes when few targets are masked.
  const full = new Float64Array(q * q);
  const gram: Float64Array[] = [];
  const rhs: Float64Array[] = Array.from({ length: H }, () => new Float64Array(q));
  const counts = new Array<number>(H).fill(0);
  const z = new Float64Array(q);
  const excluded: number[][] = Array.from({ length: H }, () => []);
  const mask = targets.targetMask;
  for (let w = 0; w < W; w++) {
    z[0] = 1;
    for (let j = 0; j < p; j++) z[j + 1] = (x[w * p + j]! - mean[j]!) / scale[j]!;
    for (let a = 0; a < q; a++) for (let b = 0; b <= a; b++) full[a * q + b]! += z[a]! * z[b]!;
    const level = x[w * p]!;
    for (let h = 0; h < H; h++) {
      const i = w * H + h;
      if (mask !== undefined && mask[i] === 0) {
        excluded[h]!.push(w);
        continue;
      }
      const y = targets.target[i]!;
      if (!Number.isFinite(y)) throw new StudioError('INVALID_INPUT', `Ridge: non-finite observed target at window ${w}, step ${h + 1}.`);
      const d = y - level;
      const r = rhs[h]!;
      for (let a = 0; a < q; a++) r[a]! += z[a]! * d;
      counts[h]! += 1;
    }
  }
  for (let h = 0; h < H; h++) {
    const g = full.slice();
    for (const w of excluded[h]!) {
      z[0] = 1;
      for (let j = 0; j < p; j++) z[j + 1] = (x[w * p + j]! - mean[j]!) / scale[j]!;
      for (let a = 0; a < q; a++) for (let b = 0; b <= a; b++) g[a * q + b]! -= z[a]! * z[b]!;
    }
    for (let a = 0; a < q; a++) for (let b = 0; b < a; b++) g[b * q + a] = g[a * q + b]!;
    gram.push(g);
  }
  return { lags, forecastLength: H, mean, scale, gram, rhs, counts };
}

function solve(stats: RidgeStats, lambda: number): RidgeModel {
  if (!(lambda >= 0) || !Number.isFinite(lambda)) throw new StudioError('INVALID_INPUT', `Ridge λ must be a finite number ≥ 0, got ${lambda}.`);
  const q = stats.lags + 1;
  const intercepts: number[] = [];
  const weights: number[][] = [];
  for (let h = 0; h < stats.forecastLength; h++) {
    const n = stats.counts[h]!;
    if (n === 0) throw new StudioError('INVALID_INPUT', `Ridge: no observed training target at horizon step ${h + 1}; cannot fit that step.`);
    const a = stats.gram[h]!.slice();
    for (let j = 1; j < q; j++) a[j * q + j]! += n * lambda;
    const theta = choleskySolve(cholesky(a, q), q, stats.rhs[h]!);
    intercepts.push(theta[0]!);
    weights.push(Array.from(theta.subarray(1)));
  }
  return {
    kind: 'ridge-lags',
    version: 1,
    unit: 'mmol/L',
    lags: stats.lags,
    forecastLength: stats.forecastLength,
    lambda,
    featureMean: Array.from(stats.mean),
    featureScale: Array.from(stats.scale),
    intercepts,
    weights,
    trainCounts: [...stats.counts],
  };
}

function lagsOf(options: RidgeOptions): number {
  const lags = options.lags ?? DEFAULT_RIDGE_LAGS;
  if (!Number.isInteger(lags) || lags < 1) throw new StudioError('INVALID_INPUT', `Ridge lags must be an integer ≥ 1, got ${lags}.`);
  return lags;
}

/** Fits with a fixed λ (default 1e-3). */
export function fitRidge(train: ContextBatch, targets: TargetBatch, options: RidgeOptions = {}): RidgeModel {
  return solve(accumulate(train, targets, lagsOf(options)), options.lambda ?? DEFAULT_RIDGE_LAMBDA);
}

export interface LambdaSelection {
  model: RidgeModel;
  /** Mean over steps of validation MSE (mmol/L²) per candidate λ, in grid order. */
  scores: { lambda: number; validationMse: number }[];
}

/** Fits once per λ of `grid` and keeps the one with the lowest validation MSE. */
export function fitRidgeSelectLambda(
  train: ContextBatch,
  targets: TargetBatch,
  validation: ContextBatch,
  validationTargets: TargetBatch,
  options: { lags?: number; grid?: readonly number[] } = {},
): LambdaSelection {
  const stats = accumulate(train, targets, lagsOf(options));
  const grid = options.grid ?? DEFAULT_LAMBDA_GRID;
  if (grid.length === 0) throw new StudioError('INVALID_INPUT', 'Ridge: the λ grid is empty.');
  const H = stats.forecastLength;
  if (validationTargets.forecastLength !== H || validationTargets.windows !== validation.windows) {
    throw new StudioError('INVALID_INPUT', 'Ridge: validation targets must match the validation windows and the training forecast length.');
  }
  let best: RidgeModel | null = null;
  let bestScore = Infinity;
  const scores: LambdaSelection['scores'] = [];
  for (const lambda of grid) {
    const model = solve(stats, lambda);
    const f = ridgeForecast(model, validation);
    const sq = new Float64Array(H);
    const n = new Float64Array(H);
    for (let i = 0; i < f.length; i++) {
      if (validationTargets.targetMask !== undefined && validationTargets.targetMask[i] === 0) continue;
      const e = f[i]! - validationTargets.target[i]!;
      sq[i % H]! += e * e;
      n[i % H]! += 1;
    }
    let score = 0;
    let steps = 0;
    for (let h = 0; h < H; h++) {
      if (n[h] === 0) continue;
      score += sq[h]! / n[h]!;
      steps++;
    }
    if (steps === 0) throw new StudioError('INVALID_INPUT', 'Ridge: the validation set has no observed target to choose λ on.');
    score /= steps;
    scores.push({ lambda, validationMse: score });
    if (score < bestScore) {
      bestScore = score;
      best = model;
    }
  }
  return { model: best!, scores };
}

/** Forecasts [windows, forecastLength] in mmol/L. */
export function ridgeForecast(model: RidgeModel, batch: ContextBatch): Float64Array {
  const p = model.lags;
  const H = model.forecastLength;
  const x = rawFeatures(batch, p);
  const z = new Float64Array(p);
  const out = new Float64Array(batch.windows * H);
  for (let w = 0; w < batch.windows; w++) {
    for (let j = 0; j < p; j++) z[j] = (x[w * p + j]! - model.featureMean[j]!) / model.featureScale[j]!;
    const level = x[w * p]!;
    for (let h = 0; h < H; h++) {
      const wt = model.weights[h]!;
      let d = model.intercepts[h]!;
      for (let j = 0; j < p; j++) d += wt[j]! * z[j]!;
      out[w * H + h] = level + d;
    }
  }
  return out;
}

export function ridgeModelToJson(model: RidgeModel): string {
  return JSON.stringify(model);
}

/** Parses and validates a saved model; throws PARSE with the reasons when it does not fit the schema. */
export function ridgeModelFromJson(text: string): RidgeModel {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (e) {
    throw new StudioError('PARSE', `Ridge model file is not JSON: ${(e as Error).message}.`, undefined, { cause: e });
  }
  // ridge.json files written before the rename name the forecast length `horizon`.
  const r = RidgeModelSchema.safeParse(withRenamedKey(raw, 'horizon', 'forecastLength'));
  if (!r.success) throw new StudioError('PARSE', `Ridge model file is invalid: ${formatZodIssues(r.error)}.`);
  return r.data;
}
