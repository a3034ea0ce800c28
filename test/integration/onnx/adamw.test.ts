/**
 * The in-graph AdamW against a hand-written TypeScript AdamW (torch.optim.AdamW semantics,
 * float64), for one and ten steps, with a schedule on lr and beta1, per-parameter weight
 * decay, and global-norm gradient clipping (torch.nn.utils.clip_grad_norm_).
 */
import { describe, expect, it } from 'vitest';
import { Rng, Trainer, buildTrainingGraph, linear, mseLoss, type FloatDType, type ParamSpec } from '../../../src-main/engine/onnx/index.js';
import { expectClose } from './harness.js';

interface Hyper {
  lr: number;
  beta1: number;
  beta2: number;
  eps: number;
}

/** torch.optim.AdamW single-tensor step, in float64. `wd` per element. */
function adamwRef(p: Float64Array, g: ArrayLike<number>, m: Float64Array, v: Float64Array, t: number, h: Hyper, wd: (i: number) => number): void {
  const bc1 = 1 - h.beta1 ** t;
  const bc2 = 1 - h.beta2 ** t;
  for (let i = 0; i < p.length; i++) {
    p[i] = p[i]! * (1 - h.lr * wd(i));
    m[i] = h.beta1 * m[i]! + (1 - h.beta1) * g[i]!;
    v[i] = h.beta2 * v[i]! + (1 - h.beta2) * g[i]! * g[i]!;
    const denom = Math.sqrt(v[i]!) / Math.sqrt(bc2) + h.eps;
    p[i] = p[i]! - (h.lr / bc1) * (m[i]! / denom);
  }
}

function clipRef(g: ArrayLike<number>, maxNorm: number): { g: Float64Array; norm: number } {
  let ss = 0;
  for (let i = 0; i < g.length; i++) ss += g[i]! * g[i]!;
  const norm = Math.sqrt(ss);
  const coef = Math.min(maxNorm / (norm + 1e-6), 1);
  return { g: Float64Array.from(g, (x) => x * coef), norm };
}

const specs: ParamSpec[] = [
  { name: 'w', shape: [3, 4] },
  { name: 'b', shape: [3], weightDecay: 0 },
];

function initParams(dtype: FloatDType, seed: number): Float32Array | Float64Array {
  const rng = new Rng(seed);
  const n = 15;
  const a = dtype === 'float32' ? new Float32Array(n) : new Float64Array(n);
  for (let i = 0; i < n; i++) a[i] = (rng.next() < 0.5 ? -1 : 1) * rng.uniform(0.5, 1.5);
  return a;
}

/** A small regression problem: loss = mse(x Wᵀ + b, y); grads come back from the graph. */
function regressionGraph(dtype: FloatDType, maxGradNorm?: number) {
  return buildTrainingGraph({
    params: specs,
    dtype,
    optimizer: { weightDecay: 0.05, beta1Input: true, maxGradNorm },
    outputGradients: true,
    outputGradNorm: true,
    forward: (b, p) => {
      const x = b.input('x', dtype, ['batch', 4]);
      const y = b.input('y', dtype, ['batch', 3]);
      return { loss: mseLoss(b, linear(b, x, p.w!, p.b), y) };
    },
  });
}

function batch(dtype: FloatDType, seed: number) {
  const rng = new Rng(seed);
  const mk = (n: number) => (dtype === 'float32' ? new Float32Array(n) : new Float64Array(n));
  const x = rng.fillUniform(mk(8 * 4));
  const y = rng.fillUniform(mk(8 * 3));
  return { x: { data: x, dims: [8, 4] }, y: { data: y, dims: [8, 3] } };
}

const schedule = (t: number): Hyper => ({ lr: 0.01 * (1 + 0.3 * Math.sin(t)), beta1: 0.95 - 0.01 * t, beta2: 0.999, eps: 1e-8 });

async function compare(dtype: FloatDType, steps: number, maxGradNorm: number | undefined, rtol: number) {
  const graph = regressionGraph(dtype, maxGradNorm);
  const init = initParams(dtype, 5);
  const p = Float64Array.from(init);
  const m = new Float64Array(p.length);
  const v = new Float64Array(p.length);
  const trainer = await Trainer.create(graph, init, { threads: 1 });
  const wd = (i: number) => (i < 12 ? 0.05 : 0);
  for (let t = 1; t <= steps; t++) {
    const h = schedule(t);
    const r = await trainer.step(batch(dtype, 100 + t), { lr: h.lr, beta1: h.beta1 });
    // The reference consumes the graph's raw gradient (taken at the graph's parameters).
    const raw = r.grads!;
    let g: ArrayLike<number> = raw;
    const { norm, g: clipped } = clipRef(raw, maxGradNorm ?? Infinity);
    expect(Math.abs(r.gradNorm! - norm)).toBeLessThanOrEqual(rtol * norm);
    if (maxGradNorm !== undefined) g = clipped;
    adamwRef(p, g, m, v, t, h, wd);
    const st = trainer.getState();
    const tol = (ref: Float64Array) => rtol * Math.max(...Array.from(ref, Math.abs));
    expectClose(st.m, m, tol(m) * 0.01, rtol, `m after step ${t}`);
    expectClose(st.v, v, tol(v) * 0.01, rtol, `v after step ${t}`);
    expectClose(st.params, p, 0, rtol, `params after step ${t}`);
  }
  expect(trainer.stepCount).toBe(steps);
  await trainer.release();
}

describe('AdamW in the graph matches torch.optim.AdamW semantics', () => {
  it('one step, float32, to 1e-6 relative', () => compare('float32', 1, undefined, 1e-6));
  it('ten steps with lr and beta1 schedules, float32, to 1e-6 relative', () => compare('float32', 10, undefined, 1e-6));
  it('ten steps in float64 agree to 1e-12 relative (same formula, no float32 rounding)', () => compare('float64', 10, undefined, 1e-12));
  it('clipping by global norm: active clip, ten steps', () => compare('float32', 10, 0.05, 1e-6));
  it('clipping by global norm: inactive clip (coefficient 1)', () => compare('float32', 3, 1e6, 1e-6));
  it('clipping in float64 matches the definition to 1e-12', () => compare('float64', 4, 0.05, 1e-12));

  it('reports the exact raw gradient of each parameter', async () => {
    const graph = regressionGraph('float64');
    const init = initParams('float64', 9) as Float64Array;
    const w = Float64Array.from(init.subarray(0, 12));
    const bias = Float64Array.from(init.subarray(12));
    const trainer = await Trainer.create(graph, Float64Array.from(init), { threads: 1 });
    const data = batch('float64', 3);
    const r = await trainer.step(data, { lr: 0, beta1: 0.9 });
    const x = data.x.data;
    const y = data.y.data;
    const gw = new Float64Array(12);
    const gb = new Float64Array(3);
    let loss = 0;
    for (let n = 0; n < 8; n++) {
      for (let o = 0; o < 3; o++) {
        let pred = bias[o]!;
        for (let i = 0; i < 4; i++) pred += w[o * 4 + i]! * x[n * 4 + i]!;
        const d = pred - y[n * 3 + o]!;
        loss += (d * d) / 24;
        gb[o] = gb[o]! + (2 * d) / 24;
        for (let i = 0; i < 4; i++) gw[o * 4 + i] = gw[o * 4 + i]! + ((2 * d) / 24) * x[n * 4 + i]!;
      }
    }
    expect(r.loss).toBeCloseTo(loss, 12);
    expectClose(graph.layout.view(r.grads as Float64Array, 'w'), gw, 1e-14, 1e-12, 'dL/dw');
    expectClose(graph.layout.view(r.grads as Float64Array, 'b'), gb, 1e-14, 1e-12, 'dL/db');
    // lr = 0: parameters unchanged, moments updated.
    expectClose(trainer.params, init, 0, 0, 'params with lr 0');
    await trainer.release();
  });

  it('refuses a missing beta1 when the graph takes it as an input', async () => {
    const trainer = await Trainer.create(regressionGraph('float32'), initParams('float32', 1), { threads: 1 });
    await expect(trainer.step(batch('float32', 1), { lr: 0.1 })).rejects.toThrow(/beta1/);
    await trainer.release();
  });
});
