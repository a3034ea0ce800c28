/**
 * DataParallelTrainer against the one-session Trainer on the same problem: the summed shard
 * gradients scaled by 1 / total count must equal the whole batch's gradient (float64 to
 * 1e-12, all four losses, masks that empty whole shards), uneven and tiny batches, extra
 * outputs in batch order, schedules over several steps, state round trips and bad input.
 */
import { describe, expect, it } from 'vitest';
import {
  DataParallelTrainer,
  Rng,
  Trainer,
  buildShardedTrainingGraphs,
  buildTrainingGraph,
  geluTanh,
  linear,
  loss,
  lossParts,
  type FloatDType,
  type LossSpec,
  type TensorData,
  type TrainingGraphSpec,
} from '../../../src-main/engine/onnx/index.js';
import { expectClose } from './harness.js';

const IN = 5;
const HID = 7;
const OUT = 3;

/** A 2-layer MLP (tanh GELU: Erf has no float64 kernel) regression with a target mask and a prediction output. */
function spec(dtype: FloatDType, lossSpec: LossSpec, options: { beta1Input?: boolean; maxGradNorm?: number; masked?: boolean } = {}): TrainingGraphSpec {
  const { masked = true, ...optimizer } = options;
  return {
    params: [
      { name: 'w1', shape: [HID, IN] },
      { name: 'b1', shape: [HID], weightDecay: 0 },
      { name: 'w2', shape: [OUT, HID] },
      { name: 'b2', shape: [OUT], weightDecay: 0 },
    ],
    dtype,
    optimizer: { weightDecay: 0.05, ...optimizer },
    outputGradients: true,
    outputGradNorm: true,
    forward: (b, p) => {
      const x = b.input('x', dtype, ['batch', IN]);
      const y = b.input('y', dtype, ['batch', OUT]);
      const mask = masked ? b.input('mask', dtype, ['batch', OUT]) : null;
      const pred = linear(b, geluTanh(b, linear(b, x, p.w1!, p.b1)), p.w2!, p.b2);
      return { loss: loss(b, lossSpec, pred, y, { mask }), lossParts: lossParts(b, lossSpec, pred, y, { mask }), outputs: { pred } };
    },
  };
}

function initial(dtype: FloatDType, seed: number): Float32Array | Float64Array {
  const rng = new Rng(seed);
  const n = HID * IN + HID + OUT * HID + OUT;
  const a = dtype === 'float32' ? new Float32Array(n) : new Float64Array(n);
  for (let i = 0; i < n; i++) a[i] = rng.uniform(-0.8, 0.8);
  return a;
}

function batch(dtype: FloatDType, B: number, seed: number, maskOf: (row: number, col: number) => number = () => 1): Record<string, TensorData> {
  const rng = new Rng(seed);
  const mk = (n: number) => (dtype === 'float32' ? new Float32Array(n) : new Float64Array(n));
  const mask = mk(B * OUT);
  for (let r = 0; r < B; r++) for (let c = 0; c < OUT; c++) mask[r * OUT + c] = maskOf(r, c);
  return {
    x: { data: rng.fillUniform(mk(B * IN)), dims: [B, IN] },
    y: { data: rng.fillUniform(mk(B * OUT)), dims: [B, OUT] },
    mask: { data: mask, dims: [B, OUT] },
  };
}

async function pair(dtype: FloatDType, lossSpec: LossSpec, shards: number, options: { beta1Input?: boolean; maxGradNorm?: number } = {}) {
  const s = spec(dtype, lossSpec, options);
  const one = await Trainer.create(buildTrainingGraph(s), initial(dtype, 11), { threads: 1 });
  const many = await DataParallelTrainer.create(buildShardedTrainingGraphs(s, shards), initial(dtype, 11));
  return { one, many, release: () => Promise.all([one.release(), many.release()]) };
}

const LOSSES: LossSpec[] = [{ kind: 'mse' }, { kind: 'mae' }, { kind: 'huber', delta: 0.3 }, { kind: 'pinball', quantiles: 0.7 }];

describe('DataParallelTrainer equals the one-session Trainer', () => {
  for (const l of LOSSES) {
    it(`${l.kind}, float64, 3 shards, masked targets: loss, gradient and AdamW step to 1e-12`, async () => {
      const { one, many, release } = await pair('float64', l, 3);
      try {
        // Rows 0–2 (the whole first shard) are unobserved: that shard contributes nothing.
        const data = batch('float64', 9, 4, (r, c) => (r < 3 || (r + c) % 4 === 0 ? 0 : 1));
        const a = await one.step(data, { lr: 0.01 });
        const b = await many.step(data, { lr: 0.01 });
        expect(Math.abs(b.loss - a.loss)).toBeLessThanOrEqual(1e-12 * Math.abs(a.loss));
        expectClose(b.grads!, a.grads!, 1e-14, 1e-11, 'gradient');
        expect(Math.abs(b.gradNorm! - a.gradNorm!)).toBeLessThanOrEqual(1e-12 * a.gradNorm!);
        expectClose(many.params, one.params, 1e-14, 1e-11, 'parameters after one step');
        expectClose(b.outputs.pred!.data as Float64Array, a.outputs.pred!.data as Float64Array, 1e-15, 1e-13, 'predictions in batch order');
        expect(b.outputs.pred!.dims).toEqual([9, OUT]);
      } finally {
        await release();
      }
    });
  }

  it('float32, 2 shards, ten steps with an lr and beta1 schedule and active clipping: within float32 rounding', async () => {
    const { one, many, release } = await pair('float32', { kind: 'mse' }, 2, { beta1Input: true, maxGradNorm: 0.05 });
    try {
      for (let t = 1; t <= 10; t++) {
        const data = batch('float32', 16, 100 + t);
        const opts = { lr: 0.01 * (1 + 0.3 * Math.sin(t)), beta1: 0.95 - 0.01 * t };
        const a = await one.step(data, opts);
        const b = await many.step(data, opts);
        expect(Math.abs(b.loss - a.loss)).toBeLessThanOrEqual(1e-5 * a.loss);
        expect(b.gradNorm!).toBeGreaterThan(0.05); // the clip is active
      }
      expect(many.stepCount).toBe(10);
      expectClose(many.params, one.params, 1e-5, 1e-4, 'parameters after ten steps');
      expectClose(many.getState().v, one.getState().v, 1e-9, 1e-3, 'second moments after ten steps');
    } finally {
      await release();
    }
  });

  it('uneven and tiny batches: 7 rows over 3 shards, and 1 row with idle workers', async () => {
    const { one, many, release } = await pair('float64', { kind: 'mse' }, 3);
    try {
      for (const B of [7, 1, 2]) {
        const data = batch('float64', B, B);
        const a = await one.step(data, { lr: 0.01 });
        const b = await many.step(data, { lr: 0.01 });
        expect(Math.abs(b.loss - a.loss)).toBeLessThanOrEqual(1e-12 * a.loss);
        expectClose(b.grads!, a.grads!, 1e-14, 1e-11, `gradient at batch ${B}`);
        expect(b.outputs.pred!.dims).toEqual([B, OUT]);
      }
      expectClose(many.params, one.params, 1e-14, 1e-11, 'parameters after three steps');
    } finally {
      await release();
    }
  });

  it('an all-masked batch gives loss 0 and moves parameters only by weight decay, as the one-session step', async () => {
    const { one, many, release } = await pair('float64', { kind: 'mse' }, 2);
    try {
      const data = batch('float64', 6, 2, () => 0);
      const a = await one.step(data, { lr: 0.01 });
      const b = await many.step(data, { lr: 0.01 });
      expect(a.loss).toBe(0);
      expect(b.loss).toBe(0);
      expectClose(many.params, one.params, 1e-15, 1e-13, 'parameters');
    } finally {
      await release();
    }
  });

  it('getState / setState round-trip: a restored trainer continues exactly', async () => {
    const s = spec('float64', { kind: 'huber', delta: 0.5 });
    const graphs = buildShardedTrainingGraphs(s, 2);
    const a = await DataParallelTrainer.create(graphs, initial('float64', 3));
    const b = await DataParallelTrainer.create(graphs, initial('float64', 99));
    try {
      await a.step(batch('float64', 8, 1), { lr: 0.02 });
      const st = a.getState();
      b.setState({ params: Float64Array.from(st.params), m: Float64Array.from(st.m), v: Float64Array.from(st.v), step: st.step });
      const next = batch('float64', 8, 2);
      const ra = await a.step(next, { lr: 0.02 });
      const rb = await b.step(next, { lr: 0.02 });
      expect(rb.loss).toBe(ra.loss);
      expectClose(b.params, a.params, 0, 0, 'parameters');
      expect(b.stepCount).toBe(2);
    } finally {
      await Promise.all([a.release(), b.release()]);
    }
  });

  it('refuses bad input with clear errors', async () => {
    const s = spec('float32', { kind: 'mse' }, { beta1Input: true });
    expect(() => buildShardedTrainingGraphs(s, 1)).toThrow(/at least 2 shards/);
    expect(() => buildShardedTrainingGraphs({ ...s, forward: (b, p) => ({ loss: s.forward(b, p).loss }) }, 2)).toThrow(/lossParts/);
    const graphs = buildShardedTrainingGraphs(s, 2);
    await expect(DataParallelTrainer.create(graphs, new Float32Array(3))).rejects.toThrow(/Float32Array of \d+ values/);
    const t = await DataParallelTrainer.create(graphs, initial('float32', 1));
    try {
      const data = batch('float32', 4, 1);
      await expect(t.step(data, { lr: 0.1 })).rejects.toThrow(/beta1/);
      await expect(t.step(data, { lr: Number.NaN, beta1: 0.9 })).rejects.toThrow(/Learning rate/);
      await expect(t.step({ x: data.x!, y: data.y! }, { lr: 0.1, beta1: 0.9 })).rejects.toThrow(/Missing training input 'mask'/);
      await expect(t.step({ ...data, y: batch('float32', 5, 1).y! }, { lr: 0.1, beta1: 0.9 })).rejects.toThrow(/first dimension 5, not the batch 4/);
      expect(() => t.setState({ params: new Float32Array(2), m: new Float32Array(2), v: new Float32Array(2), step: 0 })).toThrow(/values per buffer/);
      expect(t.stepCount).toBe(0);
    } finally {
      await t.release();
    }
  });
});

describe('DataParallelTrainer failures', () => {
  it('an onnxruntime error in the workers fails the step, leaves parameters and moments unchanged, and the next step works', async () => {
    const graphs = buildShardedTrainingGraphs(spec('float32', { kind: 'mse' }), 2);
    const t = await DataParallelTrainer.create(graphs, initial('float32', 1));
    try {
      await t.step(batch('float32', 8, 1), { lr: 0.01 });
      const before = t.getState();
      const good = batch('float32', 8, 2);
      // x with 4 features instead of 5: onnxruntime rejects it inside each worker.
      const bad = { ...good, x: { data: new Float32Array(8 * 4), dims: [8, 4] } };
      await expect(t.step(bad, { lr: 0.01 })).rejects.toThrow(/Training step failed: .*x/);
      const after = t.getState();
      expect(after.step).toBe(1);
      expectClose(after.params, before.params, 0, 0, 'parameters after a failed step');
      expectClose(after.m, before.m, 0, 0, 'first moments after a failed step');
      const r = await t.step(good, { lr: 0.01 });
      expect(Number.isFinite(r.loss)).toBe(true);
      expect(t.stepCount).toBe(2);
    } finally {
      await t.release();
    }
  });

  it('a released trainer refuses to step', async () => {
    const t = await DataParallelTrainer.create(buildShardedTrainingGraphs(spec('float32', { kind: 'mse' }), 2), initial('float32', 1));
    await t.release();
    await expect(t.step(batch('float32', 4, 1), { lr: 0.01 })).rejects.toThrow(/released/);
  });
});

describe('lossParts', () => {
  for (const l of LOSSES) {
    for (const masked of [true, false])
      it(`${l.kind}: sum / max(count, 1) equals the ${masked ? 'masked ' : ''}mean`, async () => {
        const s = spec('float64', l, { masked });
        const graphs = buildShardedTrainingGraphs({ ...s, outputGradients: false }, 2);
        const one = await Trainer.create(buildTrainingGraph(s), initial('float64', 5), { threads: 1 });
        const many = await DataParallelTrainer.create(graphs, initial('float64', 5));
        try {
          const { mask, ...unmasked } = batch('float64', 5, 9, (r, c) => ((r * 3 + c) % 5 === 0 ? 0 : 1));
          const data = masked ? { ...unmasked, mask: mask! } : unmasked;
          const a = (await one.step(data, { lr: 0 })).loss;
          expect(a).toBeGreaterThan(0);
          expect(Math.abs((await many.step(data, { lr: 0 })).loss - a)).toBeLessThan(1e-13 * a);
        } finally {
          await Promise.all([one.release(), many.release()]);
        }
      });
  }
});
