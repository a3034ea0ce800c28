/**
 * The seed-named API in process: TTMForecaster (zero-shot and fine-tune with a frozen
 * backbone), save/load round trip, and the same predictions after loading; input as a map
 * patient → rows.
 */
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { TTMForecaster, type SeriesRow } from '../../../src-main/engine/index.js';
import { Rng } from '../../../src-main/engine/onnx/index.js';
import { SHARED_FIXTURES, tempDir } from '../../helpers/tmp.js';

const T0 = Date.parse('2024-05-01T00:00:00Z');

function patient(seed: number, n: number): SeriesRow[] {
  const rng = new Rng(seed);
  let x = 0;
  return Array.from({ length: n }, (_, i) => {
    x = 0.95 * x + 0.3 * rng.normal();
    return { datetime: new Date(T0 + i * 300_000).toISOString(), bg_mM: 7 + 2 * Math.sin((2 * Math.PI * i) / 288) + x };
  });
}

describe('TTMForecaster', () => {
  const tmp = tempDir();
  afterAll(() => tmp.cleanup());
  const data = { a: patient(1, 1500), b: patient(2, 1500) };
  const base = { modelPath: join(SHARED_FIXTURES, 'ttm', 'tiny'), batchSize: 32, threads: 1, seed: 3, earlyStoppingPatience: 0 };
  const prepare = { splitSpec: { kind: 'temporal' as const, testFraction: 0.2, valFraction: 0.2 } };

  it('zero-shot predicts without training; fine-tuning lowers the validation loss; save/load round-trips', async () => {
    const zs = new TTMForecaster({ ...base, trainingMode: 'zero_shot', numEpochs: 0 }, { prepare });
    const z = await zs.predictZeroShot(data, { every: 16 });
    expect(z.forecastLength).toBe(16);
    expect(z.forecast.every(Number.isFinite)).toBe(true);

    const ft = new TTMForecaster({ ...base, trainingMode: 'fine_tune', numEpochs: 2, learningRate: 3e-3, freezeBackbone: true }, { prepare });
    const progress: number[] = [];
    const fit = await ft.fit(data, {
      outputDir: join(tmp.dir, 'ft'),
      onProgress: (p) => progress.push(p.step),
      train: { trainStride: 4, validateEverySteps: 10 },
    });
    expect(fit.train?.status).toBe('completed');
    expect(progress.length).toBeGreaterThan(0);
    expect(fit.train!.bestValidLoss!).toBeLessThan(fit.train!.initialValidLoss!);

    const report = await ft.evaluate(data, { stride: 8 });
    expect(report.groups[0]!.models.map((m) => m.model)).toEqual(['ttm', 'persistence', 'ridge', 'ar2']);
    const before = await ft.predict(data, { every: 16 });
    await ft.save(join(tmp.dir, 'saved'));
    const loaded = new TTMForecaster({ ...base, trainingMode: 'fine_tune', numEpochs: 1 }, { prepare });
    await loaded.load(join(tmp.dir, 'saved'));
    const after = await loaded.predict(data, { every: 16 });
    expect(Array.from(after.forecast)).toEqual(Array.from(before.forecast));
  });
});
