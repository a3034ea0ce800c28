import { describe, expect, it } from 'vitest';
import {
  GraphBuilder,
  Rng,
  Trainer,
  buildInferenceGraph,
  buildTrainingGraph,
  createSession,
  linear,
  mseLoss,
  type ParamSpec,
} from '../../../src-main/engine/onnx/index.js';

const HIDDEN = 32;
const N = 128;

function mlpSpec(): ParamSpec[] {
  return [
    { name: 'fc1.weight', shape: [HIDDEN, 1] },
    { name: 'fc1.bias', shape: [HIDDEN] },
    { name: 'fc2.weight', shape: [1, HIDDEN] },
    { name: 'fc2.bias', shape: [1] },
  ];
}

function grid(): { x: Float32Array; y: Float32Array } {
  const x = new Float32Array(N);
  const y = new Float32Array(N);
  for (let i = 0; i < N; i++) {
    x[i] = -Math.PI + (2 * Math.PI * i) / (N - 1);
    y[i] = Math.sin(x[i]!);
  }
  return { x, y };
}

async function train(seed: number, steps: number): Promise<{ losses: number[]; trainer: Trainer }> {
  const graph = buildTrainingGraph({
    params: mlpSpec(),
    optimizer: { weightDecay: 0, maxGradNorm: 10 },
    forward: (b, p) => {
      const x = b.input('x', 'float32', ['batch', 1]);
      const y = b.input('y', 'float32', ['batch', 1]);
      const h = b.tanh(linear(b, x, p['fc1.weight']!, p['fc1.bias']));
      const pred = linear(b, h, p['fc2.weight']!, p['fc2.bias']);
      return { loss: mseLoss(b, pred, y), outputs: { pred } };
    },
  });
  const rng = new Rng(seed);
  const init = new Float32Array(graph.layout.total);
  for (const e of graph.layout.entries) {
    const fanIn = e.shape.length === 2 ? e.shape[1]! : e.name.startsWith('fc1') ? 1 : HIDDEN;
    const bound = 1 / Math.sqrt(fanIn);
    for (let i = 0; i < e.size; i++) init[e.offset + i] = rng.uniform(-bound, bound);
  }
  const trainer = await Trainer.create(graph, init, { threads: 1 });
  const { x, y } = grid();
  const losses: number[] = [];
  for (let s = 0; s < 400; s++) {
    if (s >= steps) break;
    const r = await trainer.step({ x: { data: x, dims: [N, 1] }, y: { data: y, dims: [N, 1] } }, { lr: 0.02 });
    losses.push(r.loss);
  }
  return { losses, trainer };
}

describe('end-to-end MLP training (y = sin x)', () => {
  it('lowers the training loss by at least 100x and is bit-for-bit reproducible', async () => {
    const a = await train(7, 400);
    const b = await train(7, 400);
    const first = a.losses[0]!;
    const last = a.losses[a.losses.length - 1]!;
    expect(first / last).toBeGreaterThan(100);
    expect(b.losses).toEqual(a.losses);
    expect(Array.from(b.trainer.params)).toEqual(Array.from(a.trainer.params));
    await a.trainer.release();
    await b.trainer.release();
  });

  it('exports the trained weights as an inference-only model that reproduces the predictions', async () => {
    const { trainer } = await train(3, 50);
    const b = new GraphBuilder('mlp');
    const p = trainer.graph.layout.asConstants(b, trainer.params as Float32Array);
    const x = b.input('x', 'float32', ['batch', 1]);
    b.output(linear(b, b.tanh(linear(b, x, p['fc1.weight']!, p['fc1.bias'])), p['fc2.weight']!, p['fc2.bias']), 'y');
    const s = await createSession(b.toModel(), { threads: 1 });
    const xs = new Float32Array([0.5, -1]);
    const out = await s.run({ x: { data: xs, dims: [2, 1] } });
    const w1 = trainer.param('fc1.weight');
    const b1 = trainer.param('fc1.bias');
    const w2 = trainer.param('fc2.weight');
    const b2 = trainer.param('fc2.bias');
    xs.forEach((xv, i) => {
      let acc = b2[0]!;
      for (let h = 0; h < HIDDEN; h++) acc += w2[h]! * Math.tanh(w1[h]! * xv + b1[h]!);
      expect(out.y!.data[i]).toBeCloseTo(acc, 5);
    });
    await s.release();
    await trainer.release();
  });

  it('builds the inference graph from the same forward function (parameters as constants)', async () => {
    const { trainer } = await train(4, 30);
    const inf = buildInferenceGraph({
      params: trainer.graph.layout,
      values: trainer.params,
      forward: (b, p) => {
        const x = b.input('x', 'float32', ['batch', 1]);
        return { y: linear(b, b.tanh(linear(b, x, p['fc1.weight']!, p['fc1.bias'])), p['fc2.weight']!, p['fc2.bias']) };
      },
    });
    expect(inf.builder.graphInputs.map((v) => v.name)).toEqual(['x']);
    const s = await createSession(inf.model, { threads: 1 });
    const { x } = grid();
    const out = await s.run({ x: { data: x, dims: [N, 1] } });
    // The training graph's own prediction for the same parameters (equal up to float32
    // rounding: with constant weights onnxruntime folds and fuses differently).
    const check = await trainer.step({ x: { data: x, dims: [N, 1] }, y: { data: grid().y, dims: [N, 1] } }, { lr: 0 });
    const pred = check.outputs.pred!.data as Float32Array;
    const y = out.y!.data as Float32Array;
    expect(y.length).toBe(N);
    for (let i = 0; i < N; i++) expect(Math.abs(y[i]! - pred[i]!)).toBeLessThan(1e-6);
    await s.release();
    await trainer.release();
  });
});
