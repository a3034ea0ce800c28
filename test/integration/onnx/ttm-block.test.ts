/**
 * A TTM-shaped block built only from the public API, with a symbolic batch: std scaling,
 * patch mixer (LayerNorm → transpose → MLP → gated attention → transpose back, residual),
 * feature mixer, flatten head, masked loss. Gradients are checked against finite
 * differences in float64 (tanh-GELU: exact GELU has no float64 kernel), and the float32
 * training step with fed dropout masks is reproducible and learns.
 */
import { describe, expect, it } from 'vitest';
import {
  type GraphBuilder,
  Rng,
  Trainer,
  buildTrainingGraph,
  dropout,
  dropoutMask,
  gatedAttention,
  gelu,
  geluTanh,
  layerNorm,
  linear,
  mseLoss,
  type ParamSpec,
  type Value,
} from '../../../src-main/engine/onnx/index.js';
import { gradCheck } from './harness.js';

const C = 2;
const N = 4; // patches
const D = 6; // features
const L = N * D; // context
const H = 3; // horizon

const SPECS: ParamSpec[] = [
  { name: 'patcher.weight', shape: [D, D] },
  { name: 'patcher.bias', shape: [D] },
  { name: 'pm.norm.weight', shape: [D] },
  { name: 'pm.norm.bias', shape: [D] },
  { name: 'pm.fc1.weight', shape: [2 * N, N] },
  { name: 'pm.fc1.bias', shape: [2 * N] },
  { name: 'pm.fc2.weight', shape: [N, 2 * N] },
  { name: 'pm.fc2.bias', shape: [N] },
  { name: 'pm.gate.weight', shape: [N, N] },
  { name: 'pm.gate.bias', shape: [N] },
  { name: 'fm.norm.weight', shape: [D] },
  { name: 'fm.norm.bias', shape: [D] },
  { name: 'fm.fc1.weight', shape: [2 * D, D] },
  { name: 'fm.fc1.bias', shape: [2 * D] },
  { name: 'fm.fc2.weight', shape: [D, 2 * D] },
  { name: 'fm.fc2.bias', shape: [D] },
  { name: 'head.weight', shape: [H, N * D] },
  { name: 'head.bias', shape: [H] },
];

type Act = (b: GraphBuilder, x: Value) => Value;

interface Masks {
  pm: Value | null;
  fm: Value | null;
}

/** past [batch, L, C] → forecast [batch, H, C], in data units (std scaler inside). */
function ttmBlock(b: GraphBuilder, p: Record<string, Value>, past: Value, act: Act, masks: Masks, pDrop: number): Value {
  const loc = b.reduceMean(past, [1], true);
  const xc = b.sub(past, loc);
  const scale = b.sqrt(b.add(b.reduceMean(b.mul(xc, xc), [1], true), 1e-5));
  const z = b.div(xc, scale);
  const patches = b.reshape(b.transpose(z, [0, 2, 1]), [0, 0, N, D]); // [B, C, N, D]
  let h = linear(b, patches, p['patcher.weight']!, p['patcher.bias']);
  // patch mixer: norm over features, mix over patches
  const n1 = layerNorm(b, h, p['pm.norm.weight']!, p['pm.norm.bias']!);
  let t = b.transpose(n1, [0, 1, 3, 2]); // [B, C, D, N]
  t = dropout(b, act(b, linear(b, t, p['pm.fc1.weight']!, p['pm.fc1.bias'])), masks.pm, pDrop);
  t = linear(b, t, p['pm.fc2.weight']!, p['pm.fc2.bias']);
  t = gatedAttention(b, t, p['pm.gate.weight']!, p['pm.gate.bias']);
  h = b.add(h, b.transpose(t, [0, 1, 3, 2]));
  // feature mixer
  const n2 = layerNorm(b, h, p['fm.norm.weight']!, p['fm.norm.bias']!);
  let f = dropout(b, act(b, linear(b, n2, p['fm.fc1.weight']!, p['fm.fc1.bias'])), masks.fm, pDrop);
  f = linear(b, f, p['fm.fc2.weight']!, p['fm.fc2.bias']);
  h = b.add(h, f);
  // head: flatten patches × features → horizon, then [B, H, C] and un-scale
  const flat = b.reshape(h, [0, 0, N * D]);
  const y = b.transpose(linear(b, flat, p['head.weight']!, p['head.bias']), [0, 2, 1]);
  return b.add(b.mul(y, scale), loc);
}

function initParams(seed: number): Float64Array {
  const rng = new Rng(seed);
  const out: number[] = [];
  for (const s of SPECS) {
    const n = s.shape.reduce((a, c) => a * c, 1);
    const isNormWeight = s.name.endsWith('norm.weight');
    const bound = s.shape.length === 2 ? 1 / Math.sqrt(s.shape[1]!) : 0.3;
    for (let i = 0; i < n; i++) out.push(isNormWeight ? 1 + rng.uniform(-0.2, 0.2) : rng.uniform(-bound, bound));
  }
  return Float64Array.from(out);
}

function series(rng: Rng, batch: number, len: number): Float64Array {
  const out = new Float64Array(batch * len * C);
  for (let s = 0; s < batch; s++) {
    const phase = rng.uniform(0, 6);
    for (let t = 0; t < len; t++) for (let c = 0; c < C; c++) out[(s * len + t) * C + c] = 100 + 30 * Math.sin(phase + t / 3 + c) + rng.uniform(-2, 2);
  }
  return out;
}

describe('TTM-shaped block on the public API', () => {
  it('has exact gradients for every parameter (float64, symbolic batch, masked loss)', async () => {
    const rng = new Rng(3);
    const B = 2;
    const all = series(rng, B, L + H);
    const past: number[] = [];
    const fut: number[] = [];
    for (let s = 0; s < B; s++) for (let t = 0; t < L + H; t++) for (let c = 0; c < C; c++) (t < L ? past : fut).push(all[(s * (L + H) + t) * C + c]!);
    const mask = Array.from({ length: B * H * C }, (_, i) => (i % 4 === 3 ? 0 : 1));
    const init = initParams(11);
    let offset = 0;
    const inputs = SPECS.map((s) => {
      const n = s.shape.reduce((a, c) => a * c, 1);
      const values = Array.from(init.subarray(offset, offset + n));
      offset += n;
      return { shape: s.shape, values };
    });
    await gradCheck(
      [
        { shape: [B, L, C], declared: ['batch', L, C], values: past, constant: true },
        { shape: [B, H, C], declared: ['batch', H, C], values: fut, constant: true },
        { shape: [B, H, C], declared: ['batch', H, C], values: mask, constant: true },
        ...inputs,
      ],
      (b, xs) => {
        const p: Record<string, Value> = {};
        SPECS.forEach((s, i) => (p[s.name] = xs[3 + i]!));
        const pred = ttmBlock(b, p, xs[0]!, geluTanh, { pm: null, fm: null }, 0);
        // Scale the loss to O(1) so the absolute FD tolerance is meaningful.
        return b.mul(mseLoss(b, pred, xs[1]!, { mask: xs[2]! }), 1e-3);
      },
      { eps: 1e-5, tol: 1e-6 },
    );
  });

  it('trains in float32 with fed dropout masks: reproducible and learning', async () => {
    const B = 8;
    const pDrop = 0.1;
    const graph = buildTrainingGraph({
      params: SPECS,
      optimizer: { maxGradNorm: 1, beta1Input: true },
      forward: (b, p) => {
        const past = b.input('past', 'float32', ['batch', L, C]);
        const future = b.input('future', 'float32', ['batch', H, C]);
        const pm = b.input('mask_pm', 'float32', ['batch', C, D, 2 * N]);
        const fm = b.input('mask_fm', 'float32', ['batch', C, N, 2 * D]);
        const pred = ttmBlock(b, p, past, gelu, { pm, fm }, pDrop);
        return { loss: mseLoss(b, pred, future), outputs: { prediction: pred } };
      },
    });
    const run = async () => {
      const trainer = await Trainer.create(graph, Float32Array.from(initParams(5)), { threads: 1 });
      const rng = new Rng(99);
      const losses: number[] = [];
      for (let step = 0; step < 60; step++) {
        const all = series(new Rng(1000 + (step % 4)), B, L + H);
        const past = new Float32Array(B * L * C);
        const fut = new Float32Array(B * H * C);
        for (let s = 0; s < B; s++) {
          past.set(all.subarray(s * (L + H) * C, (s * (L + H) + L) * C), s * L * C);
          fut.set(all.subarray((s * (L + H) + L) * C, (s + 1) * (L + H) * C), s * H * C);
        }
        const r = await trainer.step(
          {
            past: { data: past, dims: [B, L, C] },
            future: { data: fut, dims: [B, H, C] },
            mask_pm: { data: dropoutMask(rng, B * C * D * 2 * N, pDrop), dims: [B, C, D, 2 * N] },
            mask_fm: { data: dropoutMask(rng, B * C * N * 2 * D, pDrop), dims: [B, C, N, 2 * D] },
          },
          { lr: 0.01, beta1: 0.9 },
        );
        expect(r.outputs.prediction!.dims).toEqual([B, H, C]);
        losses.push(r.loss);
      }
      await trainer.release();
      return losses;
    };
    const a = await run();
    const b = await run();
    expect(b).toEqual(a);
    const head = a.slice(0, 4).reduce((s, x) => s + x, 0);
    const tail = a.slice(-4).reduce((s, x) => s + x, 0);
    expect(tail).toBeLessThan(head / 2);
  });
});
