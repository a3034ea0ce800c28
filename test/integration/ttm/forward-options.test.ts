/** Forward-graph options the fixtures don't cover directly: observed mask, filter length, scalers, errors. */
import { describe, expect, it } from 'vitest';
import { GraphBuilder, createSession, type TensorData, type Value } from '../../../src-main/engine/onnx/index.js';
import { StudioError } from '../../../src-main/engine/errors.js';
import { loadCheckpoint } from '../../../src-main/engine/ttm/checkpoint.js';
import { buildTtmForward } from '../../../src-main/engine/ttm/graph/forward.js';
import { buildTtmInferenceModel } from '../../../src-main/engine/ttm/graph/inference.js';
import { withHfConfigOverrides, type HfTtmConfig } from '../../../src-main/engine/ttm/hf-config.js';
import type { ModelWeights } from '../../../src-main/engine/ttm/init.js';
import { parseSafetensors } from '../../../src-main/engine/ttm/safetensors.js';
import { fixtureBytes, fixturePath } from '../../unit/ttm/fixtures.js';

async function run(cfg: HfTtmConfig, weights: ModelWeights, feeds: Record<string, TensorData>, observedMask = false): Promise<Record<string, TensorData>> {
  const built = buildTtmInferenceModel(cfg, weights, { intermediates: true, observedMask });
  const s = await createSession(built.model, { threads: 2 });
  try {
    return await s.run(feeds);
  } finally {
    await s.release();
  }
}

function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  expect(a.length).toBe(b.length);
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m;
}

const tinyIo = () => parseSafetensors(fixtureBytes('tiny', 'io.safetensors'));

describe('TTM forward graph options', () => {
  it('past_observed_mask: statistics over observed values only; an all-ones mask changes nothing', async () => {
    const { config, weights } = await loadCheckpoint(fixturePath('tiny', ''));
    const io = tinyIo();
    const [B, L, C] = io.get('past_values').shape;
    const past = io.get('past_values').toFloat32().slice();
    const mask = new Float32Array(past.length).fill(1);
    // Hide the first 20 steps of channel 0 and put garbage there: loc/scale must ignore it.
    for (let b = 0; b < B; b++)
      for (let t = 0; t < 20; t++) {
        mask[(b * L + t) * C] = 0;
        past[(b * L + t) * C] = 1e4;
      }
    const res = await run(config, weights, { past_values: { data: past, dims: [B, L, C] }, past_observed_mask: { data: mask, dims: [B, L, C] } }, true);
    const loc = res.backbone_loc.data as Float32Array;
    const scale = res.backbone_scale.data as Float32Array;
    for (let b = 0; b < B; b++)
      for (let c = 0; c < C; c++) {
        let n = 0;
        let s = 0;
        for (let t = 0; t < L; t++) {
          if (mask[(b * L + t) * C + c] === 0) continue;
          n++;
          s += past[(b * L + t) * C + c];
        }
        const mu = s / Math.max(n, 1);
        let v = 0;
        for (let t = 0; t < L; t++) if (mask[(b * L + t) * C + c]) v += (past[(b * L + t) * C + c] - mu) ** 2;
        expect(Math.abs(loc[b * C + c] - mu)).toBeLessThan(1e-3);
        expect(Math.abs(scale[b * C + c] - Math.sqrt(v / Math.max(n, 1) + 1e-5))).toBeLessThan(1e-4);
      }
    const ones = await run(
      config,
      weights,
      {
        past_values: { data: io.get('past_values').toFloat32(), dims: [B, L, C] },
        past_observed_mask: { data: new Float32Array(past.length).fill(1), dims: [B, L, C] },
      },
      true,
    );
    expect(maxAbsDiff(ones.prediction_outputs.data as Float32Array, io.get('prediction_outputs').toFloat32())).toBeLessThan(1e-3);
  });

  it('prediction_filter_length returns the first steps of the full forecast', async () => {
    const { config, weights } = await loadCheckpoint(fixturePath('tiny', ''));
    const io = tinyIo();
    const [B, L, C] = io.get('past_values').shape;
    const res = await run(withHfConfigOverrides(config, { prediction_filter_length: 10 }), weights, {
      past_values: { data: io.get('past_values').toFloat32(), dims: [B, L, C] },
    });
    expect(res.prediction_outputs.dims).toEqual([B, 10, C]);
    const full = io.get('prediction_outputs').toFloat32();
    const P = io.get('prediction_outputs').shape[1];
    const firstSteps = new Float32Array(B * 10 * C);
    for (let b = 0; b < B; b++) firstSteps.set(full.subarray(b * P * C, (b * P + 10) * C), b * 10 * C);
    expect(maxAbsDiff(res.prediction_outputs.data as Float32Array, firstSteps)).toBeLessThan(1e-3);
  });

  it('mean scaling: loc 0, scale = mean |x|; no scaling: loc 0, scale 1', async () => {
    const { config, weights } = await loadCheckpoint(fixturePath('tiny', ''));
    const io = tinyIo();
    const [B, L, C] = io.get('past_values').shape;
    const past = io.get('past_values').toFloat32();
    const mean = await run(withHfConfigOverrides(config, { scaling: 'mean' }), weights, { past_values: { data: past, dims: [B, L, C] } });
    for (let b = 0; b < B; b++)
      for (let c = 0; c < C; c++) {
        let s = 0;
        for (let t = 0; t < L; t++) s += Math.abs(past[(b * L + t) * C + c]);
        expect(Math.abs((mean.backbone_scale.data as Float32Array)[b * C + c] - s / L)).toBeLessThan(1e-3);
        expect((mean.backbone_loc.data as Float32Array)[b * C + c]).toBe(0);
      }
    const none = await run(withHfConfigOverrides(config, { scaling: null }), weights, { past_values: { data: past, dims: [B, L, C] } });
    expect([...(none.backbone_scale.data as Float32Array)].every((v) => v === 1)).toBe(true);
    expect([...(none.backbone_loc.data as Float32Array)].every((v) => v === 0)).toBe(true);
  });

  it('BatchNorm mixers use the running statistics', async () => {
    const { config, weights } = await loadCheckpoint(fixturePath('tiny', ''));
    const bnConfig = withHfConfigOverrides(config, { norm_mlp: 'BatchNorm' });
    const bnWeights: ModelWeights = new Map();
    for (const [k, w] of weights) {
      const bn = k.replace(/\.norm\.norm\.(weight|bias)$/, '.norm.norm.batchnorm.$1');
      bnWeights.set(bn, w);
      if (bn !== k && k.endsWith('.weight')) {
        const base = bn.slice(0, -'.weight'.length);
        bnWeights.set(`${base}.running_mean`, { shape: w.shape, data: new Float32Array(w.data.length) });
        bnWeights.set(`${base}.running_var`, { shape: w.shape, data: new Float32Array(w.data.length).fill(1) });
        bnWeights.set(`${base}.num_batches_tracked`, { shape: [], data: new Float32Array(1) });
      }
    }
    const io = tinyIo();
    const [B, L, C] = io.get('past_values').shape;
    const feeds = { past_values: { data: io.get('past_values').toFloat32(), dims: [B, L, C] } };
    const a = await run(bnConfig, bnWeights, feeds);
    const shifted: ModelWeights = new Map(bnWeights);
    const rm = 'backbone.encoder.mlp_mixer_encoder.mixers.1.mixer_layers.0.feature_mixer.norm.norm.batchnorm.running_mean';
    shifted.set(rm, { shape: [16], data: new Float32Array(16).fill(0.5) });
    const b = await run(bnConfig, shifted, feeds);
    expect([...(a.prediction_outputs.data as Float32Array)].every(Number.isFinite)).toBe(true);
    expect(maxAbsDiff(a.prediction_outputs.data as Float32Array, b.prediction_outputs.data as Float32Array)).toBeGreaterThan(1e-4);
  });

  it('refuses a graph that would need inputs it does not have', async () => {
    const { config, weights } = await loadCheckpoint(fixturePath('r2_mixchannel_exog', ''));
    const b = new GraphBuilder();
    const params: Record<string, Value> = {};
    for (const [k, w] of weights) params[k] = b.constant('float32', w.shape as number[], w.data, k);
    const past = b.input('past_values', 'float32', ['batch', 512, 4]);
    expect(() => buildTtmForward(b, config, params, { pastValues: past })).toThrow(/future_values input is required/);
    const freq = await loadCheckpoint(fixturePath('r2_freq_token', ''));
    const b2 = new GraphBuilder();
    const p2: Record<string, Value> = {};
    for (const [k, w] of freq.weights) p2[k] = b2.constant('float32', w.shape as number[], w.data, k);
    expect(() => buildTtmForward(b2, freq.config, p2, { pastValues: b2.input('past_values', 'float32', ['batch', 512, 1]) })).toThrow(
      /needs a freq_token input/,
    );
    expect(() => buildTtmForward(b2, freq.config, p2, { pastValues: b2.input('x', 'float32', ['batch', 500, 1]) })).toThrow(StudioError);
  });

  it('raw residual and positional encoding are wired in: zero-valued ones leave the reference output unchanged, others change it', async () => {
    for (const c of ['tiny', 'r2_freq_token'] as const) {
      const { config, weights } = await loadCheckpoint(fixturePath(c, ''));
      const io = parseSafetensors(fixtureBytes(c, 'io.safetensors'));
      const cfg = withHfConfigOverrides(config, { decoder_raw_residual: true, use_positional_encoding: true, positional_encoding_type: 'random' });
      const dm = config.decoder_d_model;
      const zeroed: ModelWeights = new Map(weights);
      zeroed.set('decoder.decoder_raw_embedding.weight', { shape: [dm, config.patch_length], data: new Float32Array(dm * config.patch_length) });
      zeroed.set('decoder.decoder_raw_embedding.bias', { shape: [dm], data: new Float32Array(dm) });
      zeroed.set('backbone.encoder.positional_encoder.position_enc', {
        shape: [config.num_patches, config.d_model],
        data: new Float32Array(config.num_patches * config.d_model),
      });
      const feeds: Record<string, TensorData> = {};
      for (const name of ['past_values', ...(config.resolution_prefix_tuning ? ['freq_token'] : [])]) {
        const t = io.get(name);
        feeds[name] = { data: name === 'freq_token' ? (t.data() as BigInt64Array) : t.toFloat32(), dims: [...t.shape] };
      }
      const same = await run(cfg, zeroed, feeds);
      expect(maxAbsDiff(same.prediction_outputs.data as Float32Array, io.get('prediction_outputs').toFloat32())).toBeLessThan(1e-3);
      const shifted: ModelWeights = new Map(zeroed);
      shifted.set('decoder.decoder_raw_embedding.bias', { shape: [dm], data: new Float32Array(dm).fill(0.1) });
      const moved = await run(cfg, shifted, feeds);
      expect(maxAbsDiff(moved.prediction_outputs.data as Float32Array, io.get('prediction_outputs').toFloat32())).toBeGreaterThan(1e-2);
    }
  });
});
