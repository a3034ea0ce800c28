import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadCheckpoint } from '../../../src-main/engine/ttm/checkpoint.js';
import { TTM_IO } from '../../../src-main/engine/ttm/graph/inference.js';
import { TtmPredictor } from '../../../src-main/engine/ttm/graph/predictor.js';
import { parseSafetensors } from '../../../src-main/engine/ttm/safetensors.js';
import { fixtureBytes, fixturePath } from '../../unit/ttm/fixtures.js';

describe('TtmPredictor data parallelism (worker sessions)', () => {
  let single: TtmPredictor;
  let pooled: TtmPredictor;
  const io = parseSafetensors(fixtureBytes('tiny', 'io.safetensors'));
  const [B0, L, C] = io.get('past_values').shape;
  const past0 = io.get('past_values').toFloat32();
  // 37 windows (an uneven split over 3 workers), each a fixture window scaled differently.
  const B = 37;
  const past = new Float32Array(B * L * C);
  for (let b = 0; b < B; b++) {
    const src = past0.subarray((b % B0) * L * C, ((b % B0) + 1) * L * C);
    for (let i = 0; i < src.length; i++) past[b * L * C + i] = src[i]! * (1 + b / 10) + b;
  }
  beforeAll(async () => {
    const model = await loadCheckpoint(fixturePath('tiny', ''));
    single = await TtmPredictor.create(model, { threads: 1, workers: 0 });
    pooled = await TtmPredictor.create(model, { threads: 2, workers: 3, minWorkerBatch: 4 });
  });
  afterAll(async () => {
    await single.release();
    await pooled.release();
  });

  it('uses workers only when asked and on the CPU', () => {
    expect(single.pool).toBeUndefined();
    expect(pooled.pool?.size).toBe(3);
  });

  it('gives the results of one session, in batch order', async () => {
    const a = await single.predict({ pastValues: past, batch: B, steps: L });
    const b = await pooled.predict({ pastValues: past, batch: B, steps: L });
    expect(b.dims).toEqual(a.dims);
    expect(b.loc).toEqual(a.loc);
    expect(b.scale).toEqual(a.scale);
    expect(b.predictions).toEqual(a.predictions);
  });

  it('runs a batch in rounds of at most maxPerRun windows per worker, with the same results in order', async () => {
    const a = await single.predict({ pastValues: past, batch: B, steps: L });
    const names = [TTM_IO.predictionOutputs, TTM_IO.loc, TTM_IO.scale];
    // 37 windows, 3 workers, ≤ 4 per run: 4 rounds of 3 slices (sizes 3 or 4).
    const out = await pooled.pool!.run({ [TTM_IO.pastValues]: { data: past, dims: [B, L, C] } }, B, names, 4);
    expect(out[TTM_IO.predictionOutputs]!.dims).toEqual(a.dims);
    expect(out[TTM_IO.predictionOutputs]!.data).toEqual(a.predictions);
    expect(out[TTM_IO.scale]!.data).toEqual(a.scale);
  });

  it('one session runs batches above 128 window-channels in chunks, with the results of small batches', async () => {
    // The tiny model has 2 channels: at most 64 windows per run, so 300 windows take 5 runs.
    const n = 300;
    const big = new Float32Array(n * L * C);
    for (let b = 0; b < n; b++) big.set(past.subarray((b % B) * L * C, ((b % B) + 1) * L * C), b * L * C);
    const whole = await single.predict({ pastValues: big, batch: n, steps: L });
    expect(whole.dims[0]).toBe(n);
    const per = whole.predictions.length / n;
    for (let lo = 0; lo < n; lo += 7) {
      const hi = Math.min(n, lo + 7);
      const part = await single.predict({ pastValues: big.subarray(lo * L * C, hi * L * C), batch: hi - lo, steps: L });
      expect(part.predictions).toEqual(whole.predictions.subarray(lo * per, hi * per));
    }
  });

  it('runs batches below 2 × minWorkerBatch on the main session', async () => {
    const n = 7;
    const a = await single.predict({ pastValues: past.subarray(0, n * L * C), batch: n, steps: L });
    const b = await pooled.predict({ pastValues: past.subarray(0, n * L * C), batch: n, steps: L });
    expect(b.predictions).toEqual(a.predictions);
  });
});
