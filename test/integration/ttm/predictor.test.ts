import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createSession } from '../../../src-main/engine/onnx/index.js';
import { exportTtmOnnx } from '../../../src-main/engine/ttm/graph/inference.js';
import { loadCheckpoint } from '../../../src-main/engine/ttm/checkpoint.js';
import { TtmPredictor } from '../../../src-main/engine/ttm/graph/predictor.js';
import { parseSafetensors } from '../../../src-main/engine/ttm/safetensors.js';
import { fixtureBytes, fixturePath } from '../../unit/ttm/fixtures.js';
import { rejection } from '../../helpers/rejection.js';

function maxAbsDiff(a: Float32Array, b: Float32Array): number {
  expect(a.length).toBe(b.length);
  return a.reduce((m, x, i) => Math.max(m, Math.abs(x - b[i])), 0);
}

describe('TtmPredictor', () => {
  let tiny: TtmPredictor;
  const io = parseSafetensors(fixtureBytes('tiny', 'io.safetensors'));
  const [B, L, C] = io.get('past_values').shape;
  const past = io.get('past_values').toFloat32();
  beforeAll(async () => {
    tiny = await TtmPredictor.create(await loadCheckpoint(fixturePath('tiny', '')), { threads: 1 });
  });
  afterAll(async () => {
    await tiny.release();
  });

  it('uses the last context_length steps of longer input', async () => {
    const extra = 5;
    const longer = new Float32Array(B * (L + extra) * C).fill(999);
    for (let b = 0; b < B; b++) longer.set(past.subarray(b * L * C, (b + 1) * L * C), (b * (L + extra) + extra) * C);
    const r = await tiny.predict({ pastValues: longer, batch: B, steps: L + extra });
    expect(r.dims).toEqual([B, 16, C]);
    expect(maxAbsDiff(r.predictions, io.get('prediction_outputs').toFloat32())).toBeLessThan(1e-3);
    expect(maxAbsDiff(r.loc, io.get('loc').toFloat32())).toBeLessThan(1e-4);
  });

  it('refuses short, non-finite or mis-sized input with actionable messages', async () => {
    expect((await rejection(tiny.predict({ pastValues: past.subarray(0, B * (L - 1) * C), batch: B, steps: L - 1 }))).message).toMatch(
      /needs 64 past steps per window but got 63.*never zero-padded/,
    );
    const withNaN = past.slice();
    withNaN[(1 * L + 10) * C + 1] = NaN;
    expect((await rejection(tiny.predict({ pastValues: withNaN, batch: B, steps: L }))).message).toMatch(
      /sample 1 contains NaN at step 10, channel 1: impute gaps/,
    );
    expect((await rejection(tiny.predict({ pastValues: past, batch: B + 1, steps: L }))).message).toMatch(/needs/);
    expect((await rejection(tiny.predict({ pastValues: past, batch: B, steps: L, pastObservedMask: new Float32Array(past.length) }))).message).toMatch(
      /without observedMask/,
    );
  });

  it('needs future values for exogenous models and valid frequency tokens for prefix-tuned ones', async () => {
    const exog = await TtmPredictor.create(await loadCheckpoint(fixturePath('r2_mixchannel_exog', '')), { threads: 1 });
    const eio = parseSafetensors(fixtureBytes('r2_mixchannel_exog', 'io.safetensors'));
    try {
      expect((await rejection(exog.predict({ pastValues: eio.get('past_values').toFloat32(), batch: 4, steps: 512 }))).message).toMatch(
        /known future values of channels 1, 2/,
      );
      const r = await exog.predict({
        pastValues: eio.get('past_values').toFloat32(),
        futureValues: eio.get('future_values').toFloat32(),
        batch: 4,
        steps: 512,
      });
      expect(maxAbsDiff(r.predictions, eio.get('prediction_outputs').toFloat32())).toBeLessThan(1e-3 + 1e-5 * 400);
    } finally {
      await exog.release();
    }
    const freq = await TtmPredictor.create(await loadCheckpoint(fixturePath('r2_freq_token', '')), { threads: 1 });
    const fio = parseSafetensors(fixtureBytes('r2_freq_token', 'io.safetensors'));
    try {
      const args = { pastValues: fio.get('past_values').toFloat32(), batch: 2, steps: 512 };
      expect((await rejection(freq.predict(args))).message).toMatch(/token 3/);
      expect((await rejection(freq.predict({ ...args, freqToken: 7 }))).message).toMatch(/outside this model's vocabulary/);
      const r = await freq.predict({ ...args, freqToken: [3, 1] });
      expect(maxAbsDiff(r.predictions, fio.get('prediction_outputs').toFloat32())).toBeLessThan(1e-3 + 1e-5 * 400);
    } finally {
      await freq.release();
    }
  });

  it('exports a standalone .onnx file that forecasts like the in-memory model', async () => {
    const tmp = await mkdtemp(join(tmpdir(), 'ttm-onnx-'));
    try {
      const { config, weights } = await loadCheckpoint(fixturePath('tiny', ''));
      const path = join(tmp, 'model.onnx');
      const size = await exportTtmOnnx(path, config, weights);
      const bytes = await readFile(path);
      expect(bytes.length).toBe(size);
      expect(bytes.includes(Buffer.from('ttm.context_length'))).toBe(true);
      const s = await createSession(new Uint8Array(bytes), { threads: 1 });
      try {
        expect([...s.inputNames]).toEqual(['past_values']);
        const r = await s.run({ past_values: { data: past, dims: [B, L, C] } }, ['prediction_outputs']);
        expect(maxAbsDiff(r.prediction_outputs.data as Float32Array, io.get('prediction_outputs').toFloat32())).toBeLessThan(1e-3);
      } finally {
        await s.release();
      }
    } finally {
      await rm(tmp, { recursive: true, force: true });
    }
  });
});
