/** The example from docs/engine.md: linear + layer norm + masked loss + AdamW, one step. */
import { expect, it } from 'vitest';
import { Rng, Trainer, buildTrainingGraph, layerNorm, linear, mseLoss } from '../../../src-main/engine/onnx/index.js';

it('runs the documented training example', async () => {
  const graph = buildTrainingGraph({
    params: [
      { name: 'norm.weight', shape: [64] },
      { name: 'norm.bias', shape: [64], weightDecay: 0 },
      { name: 'head.weight', shape: [96, 64] },
      { name: 'head.bias', shape: [96] },
    ],
    optimizer: { beta1: 0.9, beta2: 0.999, eps: 1e-8, weightDecay: 0.01, maxGradNorm: 1, beta1Input: true },
    forward: (b, p) => {
      const x = b.input('x', 'float32', ['batch', 64]);
      const y = b.input('y', 'float32', ['batch', 96]);
      const mask = b.input('mask', 'float32', ['batch', 96]);
      const pred = linear(b, layerNorm(b, x, p['norm.weight']!, p['norm.bias']!), p['head.weight']!, p['head.bias']);
      return { loss: mseLoss(b, pred, y, { mask }), outputs: { pred } };
    },
  });
  const rng = new Rng(1);
  const init = graph.layout.pack({
    'norm.weight': new Float32Array(64).fill(1),
    'norm.bias': new Float32Array(64),
    'head.weight': rng.fillUniform(new Float32Array(96 * 64), -0.125, 0.125),
    'head.bias': new Float32Array(96),
  });
  const trainer = await Trainer.create(graph, init, { threads: 2 });
  const x = { data: rng.fillUniform(new Float32Array(4 * 64)), dims: [4, 64] };
  const y = { data: rng.fillUniform(new Float32Array(4 * 96)), dims: [4, 96] };
  const mask = { data: new Float32Array(4 * 96).fill(1), dims: [4, 96] };
  const first = await trainer.step({ x, y, mask }, { lr: 1e-3, beta1: 0.95 });
  expect(first.gradNorm).toBeGreaterThan(0);
  expect(first.outputs.pred!.dims).toEqual([4, 96]);
  expect(trainer.param('head.weight').length).toBe(96 * 64);
  const second = await trainer.step({ x, y, mask }, { lr: 1e-3, beta1: 0.95 });
  expect(second.loss).toBeLessThan(first.loss);
  expect(trainer.stepCount).toBe(2);
  await trainer.release();
});
