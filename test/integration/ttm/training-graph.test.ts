/**
 * The TTM training step against IBM's reference: loss, d loss / d param for every parameter
 * (grads.safetensors) and one AdamW step (adamw_step.safetensors), tolerances from the
 * fixture README; plus frozen-backbone training and dropout-mask inputs.
 */
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { DataParallelTrainer, Rng, Trainer, dropoutMask, type TensorData } from '../../../src-main/engine/onnx/index.js';
import { loadCheckpoint, saveCheckpoint } from '../../../src-main/engine/ttm/checkpoint.js';
import {
  buildTtmShardedTrainingGraphs,
  buildTtmTrainingGraph,
  createTtmTrainer,
  optimizerStateFromCheckpoint,
  trainingStateFromOptimizer,
  weightsFromFlat,
} from '../../../src-main/engine/ttm/graph/training.js';
import { countParameters } from '../../../src-main/engine/ttm/parameter-shapes.js';
import { parseSafetensors, type SafetensorsFile } from '../../../src-main/engine/ttm/safetensors.js';
import { FIXTURE_CASES, fixtureBytes, fixturePath, type FixtureCase } from '../../unit/ttm/fixtures.js';

function dataFeeds(io: SafetensorsFile, names: readonly string[]): Record<string, TensorData> {
  const out: Record<string, TensorData> = {};
  for (const n of names) {
    const t = io.get(n);
    out[n] = { data: n === 'freq_token' ? (t.data() as BigInt64Array) : t.toFloat32(), dims: [...t.shape] };
  }
  return out;
}

async function setup(c: FixtureCase, freezeBackbone: boolean) {
  const ckpt = await loadCheckpoint(fixturePath(c, ''));
  const io = parseSafetensors(fixtureBytes(c, 'io.safetensors'));
  const built = buildTtmTrainingGraph(ckpt.config, ckpt.weights, { freezeBackbone, outputGradients: true, optimizer: { weightDecay: 0.01 } });
  const trainer = await Trainer.create(built.graph, Float32Array.from(built.initialParams), { threads: 2 });
  return { ckpt, io, built, trainer };
}

/** The same step split over two worker threads (DataParallelTrainer), each differentiating half the batch. */
async function setupDataParallel(c: FixtureCase) {
  const ckpt = await loadCheckpoint(fixturePath(c, ''));
  const io = parseSafetensors(fixtureBytes(c, 'io.safetensors'));
  const built = buildTtmShardedTrainingGraphs(ckpt.config, ckpt.weights, { freezeBackbone: false, outputGradients: true, optimizer: { weightDecay: 0.01 } }, 2);
  const trainer = await DataParallelTrainer.create(built.graphs, Float32Array.from(built.initialParams));
  return { ckpt, io, built: { graph: built.graphs }, trainer };
}

describe('TTM training graph vs granite-tsfm', () => {
  for (const c of FIXTURE_CASES)
    for (const parallel of [false, true]) {
      it(`${c}: loss, every gradient and one AdamW step${parallel ? ', data parallel over 2 workers' : ''}`, async () => {
        const { io, built, trainer } = parallel ? await setupDataParallel(c) : await setup(c, false);
        try {
          const res = await trainer.step(dataFeeds(io, built.graph.dataInputs), { lr: 1e-3 });
          const refLoss = io.get('loss').toFloat32()[0];
          expect(Math.abs(res.loss - refLoss) / refLoss).toBeLessThan(1e-5);
          const grads = parseSafetensors(fixtureBytes(c, 'grads.safetensors'));
          const hasStep = existsSync(fixturePath(c, 'adamw_step.safetensors'));
          const stepped = hasStep ? parseSafetensors(fixtureBytes(c, 'adamw_step.safetensors')) : null;
          const flatG = res.grads as Float32Array;
          let checked = 0;
          for (const e of built.graph.layout.entries) {
            const ref = grads.get(e.name).toFloat32();
            const ours = flatG.subarray(e.offset, e.offset + e.size);
            const gmax = ref.reduce((m, g) => Math.max(m, Math.abs(g)), 0);
            for (let i = 0; i < e.size; i++) {
              if (!(Math.abs(ours[i] - ref[i]) <= 1e-4 * gmax + 1e-6))
                expect.fail(`${c} grad ${e.name}[${i}] = ${ours[i]}, reference ${ref[i]} (max |g| ${gmax})`);
            }
            if (stepped) {
              const p1 = stepped.get(e.name).toFloat32();
              const ours1 = trainer.param(e.name);
              for (let i = 0; i < e.size; i++) {
                // Where |g| is tiny, g/(|g|+eps) is ill-conditioned (README): skip those elements.
                if (Math.abs(ref[i]) < 1e-5 * gmax) continue;
                checked++;
                if (!(Math.abs(ours1[i] - p1[i]) <= 1e-6)) expect.fail(`${c} AdamW ${e.name}[${i}] = ${ours1[i]}, reference ${p1[i]}`);
              }
            }
          }
          if (stepped) expect(checked).toBeGreaterThan(0.99 * built.graph.layout.total);
        } finally {
          await trainer.release();
        }
      });
    }

  it('frozen backbone: only decoder and head train (289,696 values for r2 512-96) and their gradients match', async () => {
    const { ckpt, io, built, trainer } = await setup('r2_512_96', true);
    try {
      expect(built.graph.layout.total).toBe(countParameters(ckpt.config, { freezeBackbone: true }).trainable);
      expect(built.graph.layout.total).toBe(289_696);
      expect(built.trainable.every((s) => !s.name.startsWith('backbone.'))).toBe(true);
      const res = await trainer.step(dataFeeds(io, built.graph.dataInputs), { lr: 1e-3 });
      const grads = parseSafetensors(fixtureBytes('r2_512_96', 'grads.safetensors'));
      for (const e of built.graph.layout.entries) {
        const ref = grads.get(e.name).toFloat32();
        const gmax = ref.reduce((m, g) => Math.max(m, Math.abs(g)), 0);
        const ours = (res.grads as Float32Array).subarray(e.offset, e.offset + e.size);
        for (let i = 0; i < e.size; i++) expect(Math.abs(ours[i] - ref[i])).toBeLessThanOrEqual(1e-4 * gmax + 1e-6);
      }
      const updated = weightsFromFlat(ckpt.weights, built.graph, trainer.params as Float32Array);
      expect(updated.get('backbone.encoder.patcher.weight')).toBe(ckpt.weights.get('backbone.encoder.patcher.weight'));
      expect(updated.get('head.base_forecast_block.bias')?.data).not.toEqual(ckpt.weights.get('head.base_forecast_block.bias')?.data);
    } finally {
      await trainer.release();
    }
  });

  it('dropout masks are graph inputs: all-ones masks reproduce the dropout-free loss, random masks change it', async () => {
    const ckpt = await loadCheckpoint(fixturePath('tiny', ''));
    const cfg = { ...ckpt.config, dropout: 0.2, head_dropout: 0.3 };
    const io = parseSafetensors(fixtureBytes('tiny', 'io.safetensors'));
    const built = buildTtmTrainingGraph(cfg, ckpt.weights, { freezeBackbone: false, dropout: true });
    expect(built.dropoutInputs.length).toBeGreaterThan(10);
    expect(new Set(built.dropoutInputs.map((d) => d.p))).toEqual(new Set([0.2, 0.3]));
    const B = io.get('past_values').shape[0];
    const sizeOf = (shape: readonly (number | string)[]) => shape.reduce<number>((a, d) => a * (d === 'batch' ? B : (d as number)), 1);
    const dims = (shape: readonly (number | string)[]) => shape.map((d) => (d === 'batch' ? B : (d as number)));
    const run = async (mask: (n: number, p: number) => Float32Array) => {
      const trainer = await Trainer.create(built.graph, Float32Array.from(built.initialParams), { threads: 2 });
      try {
        const feeds = dataFeeds(
          io,
          built.graph.dataInputs.filter((n) => !n.endsWith('_mask')),
        );
        for (const d of built.dropoutInputs) feeds[d.name] = { data: mask(sizeOf(d.shape), d.p), dims: dims(d.shape) };
        return (await trainer.step(feeds, { lr: 1e-3 })).loss;
      } finally {
        await trainer.release();
      }
    };
    const keepAll = await run((n, p) => new Float32Array(n).fill(1 - p)); // mask·1/(1−p) = 1
    expect(Math.abs(keepAll - io.get('loss').toFloat32()[0]) / keepAll).toBeLessThan(1e-5);
    const rng = new Rng(5);
    const random = await run((n, p) => dropoutMask(rng, n, p));
    expect(Math.abs(random - keepAll)).toBeGreaterThan(1e-3);
  });

  it('future_observed_mask: the loss is the MSE over observed forecast elements only', async () => {
    const ckpt = await loadCheckpoint(fixturePath('tiny', ''));
    const io = parseSafetensors(fixtureBytes('tiny', 'io.safetensors'));
    const built = buildTtmTrainingGraph(ckpt.config, ckpt.weights, { freezeBackbone: true, futureObservedMask: true, outputPredictions: true });
    const fut = io.get('future_values');
    const mask = new Float32Array(fut.size).map((_, i) => (i % 3 === 0 ? 0 : 1));
    const trainer = await Trainer.create(built.graph, Float32Array.from(built.initialParams), { threads: 2 });
    try {
      const feeds = dataFeeds(
        io,
        built.graph.dataInputs.filter((n) => n !== 'future_observed_mask'),
      );
      feeds.future_observed_mask = { data: mask, dims: [...fut.shape] };
      const res = await trainer.step(feeds, { lr: 1e-3 });
      const pred = res.outputs.predictions.data as Float32Array;
      const y = fut.toFloat32();
      let se = 0;
      let n = 0;
      for (let i = 0; i < y.length; i++) {
        if (mask[i] === 0) continue;
        se += (pred[i] - y[i]) ** 2;
        n++;
      }
      expect(Math.abs(res.loss - se / n) / res.loss).toBeLessThan(1e-5);
    } finally {
      await trainer.release();
    }
  });

  it('resuming from a saved checkpoint continues exactly like uninterrupted training', async () => {
    const tmp = await mkdtemp(join(tmpdir(), 'ttm-resume-'));
    try {
      const ckpt = await loadCheckpoint(fixturePath('tiny', ''));
      const io = parseSafetensors(fixtureBytes('tiny', 'io.safetensors'));
      const built = buildTtmTrainingGraph(ckpt.config, ckpt.weights, { freezeBackbone: true });
      const feeds = dataFeeds(io, built.graph.dataInputs);
      const straight = await Trainer.create(built.graph, Float32Array.from(built.initialParams), { threads: 1 });
      const first = await Trainer.create(built.graph, Float32Array.from(built.initialParams), { threads: 1 });
      const resumed = await Trainer.create(built.graph, Float32Array.from(built.initialParams), { threads: 1 });
      try {
        for (let i = 0; i < 3; i++) await straight.step(feeds, { lr: 1e-3 });
        for (let i = 0; i < 2; i++) await first.step(feeds, { lr: 1e-3 });
        const dir = join(tmp, 'ckpt');
        const weights = weightsFromFlat(ckpt.weights, built.graph, first.params as Float32Array);
        await saveCheckpoint(dir, { config: ckpt.config, weights, trainingState: trainingStateFromOptimizer(built.graph, first.getState()) });
        const back = await loadCheckpoint(dir);
        if (back.trainingState === null) throw new Error('training state was not saved');
        expect(back.trainingState.step).toBe(2);
        resumed.setState(optimizerStateFromCheckpoint(built.graph, back.weights, back.trainingState));
        await resumed.step(feeds, { lr: 1e-3 });
        expect(resumed.stepCount).toBe(3);
        const bytes = (a: Float32Array | Float64Array) => Buffer.from(a.buffer, a.byteOffset, a.byteLength);
        expect(bytes(resumed.params).equals(bytes(straight.params))).toBe(true);
        const full = buildTtmTrainingGraph(ckpt.config, ckpt.weights, { freezeBackbone: false });
        expect(() => optimizerStateFromCheckpoint(full.graph, back.weights, back.trainingState as never)).toThrow(/different freeze_backbone/);
      } finally {
        await Promise.all([straight.release(), first.release(), resumed.release()]);
      }
    } finally {
      await rm(tmp, { recursive: true, force: true });
    }
  });

  it('createTtmTrainer: data parallel on the CPU with >= 2 threads and a batch of >= 32, one session otherwise', async () => {
    const ckpt = await loadCheckpoint(fixturePath('tiny', ''));
    const make = (threads: number, batchSize: number, device: 'cpu' | 'cuda' = 'cpu') =>
      createTtmTrainer(ckpt.config, ckpt.weights, { freezeBackbone: true }, { threads, device, batchSize });
    for (const [threads, batchSize, device, workers] of [
      [2, 32, 'cpu', 2],
      [4, 48, 'cpu', 3],
      [1, 64, 'cpu', 0],
      [2, 16, 'cpu', 0],
      [2, 64, 'cuda', 0],
    ] as const) {
      const t = await make(threads, batchSize, device);
      try {
        expect(t.workers, `${threads} threads, batch ${batchSize}, ${device}`).toBe(workers);
        expect(t.trainer instanceof DataParallelTrainer).toBe(workers > 0);
        expect(t.graph.layout.total).toBe(countParameters(ckpt.config, { freezeBackbone: true }).trainable);
      } finally {
        await t.trainer.release();
      }
    }
  });
});
