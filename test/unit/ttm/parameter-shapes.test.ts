import { describe, expect, it } from 'vitest';
import { parseHfConfig } from '../../../src-main/engine/ttm/hf-config.js';
import { countParameters, ttmParameterSpecs, trainableParameterSpecs } from '../../../src-main/engine/ttm/parameter-shapes.js';
import { parseSafetensors } from '../../../src-main/engine/ttm/safetensors.js';
import { FIXTURE_CASES, fixtureBytes, fixtureConfigRaw } from './fixtures.js';

const PUBLISHED: Record<string, [number, number]> = {
  tiny: [9032, 1912],
  r2_512_96: [805_280, 289_696],
  r2_mixchannel_exog: [806_939, 291_355],
  r1_1024_96: [946_336, 389_984],
  r2_freq_token: [854_780, 302_162],
};

describe('parameter shapes from config', () => {
  for (const c of FIXTURE_CASES) {
    it(`${c}: names and shapes equal model.safetensors exactly`, () => {
      const cfg = parseHfConfig(fixtureConfigRaw(c));
      const file = parseSafetensors(fixtureBytes(c, 'model.safetensors'));
      const expected = new Map(ttmParameterSpecs(cfg).map((s) => [s.name, [...s.shape]]));
      const actual = new Map([...file.tensors.values()].map((t) => [t.name, [...t.shape]]));
      expect([...expected.keys()].sort()).toEqual([...actual.keys()].sort());
      for (const [name, shape] of expected) expect(actual.get(name), name).toEqual(shape);
      const counts = countParameters(cfg, { freezeBackbone: true });
      const fileTotal = [...file.tensors.values()].reduce((a, t) => a + t.size, 0);
      expect(counts.total).toBe(fileTotal);
      expect(counts.trainable).toBe(counts.nonBackbone);
      if (PUBLISHED[c]) expect([counts.total, counts.nonBackbone]).toEqual(PUBLISHED[c]);
    });
  }

  it('research r2 512-96-ft with frequency vocabulary 8 has the published 854,972 / 302,162', () => {
    const cfg = parseHfConfig({ ...fixtureConfigRaw('r2_freq_token'), frequency_token_vocab_size: 8 });
    const c = countParameters(cfg);
    expect([c.total, c.nonBackbone]).toEqual([854_972, 302_162]);
  });

  it('freeze_backbone leaves exactly decoder.* and head.* trainable', () => {
    const cfg = parseHfConfig(fixtureConfigRaw('r2_512_96'));
    const frozen = trainableParameterSpecs(cfg, { freezeBackbone: true });
    expect(frozen.every((s) => s.name.startsWith('decoder.') || s.name.startsWith('head.'))).toBe(true);
    expect(frozen.length).toBeGreaterThan(0);
    expect(trainableParameterSpecs(cfg, { freezeBackbone: false })).toHaveLength(ttmParameterSpecs(cfg).length);
  });

  it('adds BatchNorm buffers, positional encoding, self-attention and raw-residual tensors when configured', () => {
    const cfg = parseHfConfig({
      ...fixtureConfigRaw('tiny'),
      norm_mlp: 'BatchNorm',
      use_positional_encoding: true,
      positional_encoding_type: 'sincos',
      self_attn: true,
      decoder_raw_residual: true,
    });
    const specs = new Map(ttmParameterSpecs(cfg).map((s) => [s.name, s]));
    const bn = 'backbone.encoder.mlp_mixer_encoder.mixers.1.mixer_layers.0.feature_mixer.norm.norm.batchnorm';
    expect(specs.get(`${bn}.weight`)?.shape).toEqual([16]);
    expect(specs.get(`${bn}.running_var`)?.isBuffer).toBe(true);
    expect(specs.get(`${bn}.num_batches_tracked`)).toMatchObject({ shape: [], dtype: 'I64' });
    // Level 0 module (finest, factor 2): 16 patches of width 8.
    expect(specs.get('backbone.encoder.mlp_mixer_encoder.mixers.0.mixer_layers.0.patch_mixer.self_attn_layer.q_proj.weight')?.shape).toEqual([8, 8]);
    expect(specs.get('backbone.encoder.positional_encoder.position_enc')).toMatchObject({ shape: [8, 16], requiresGrad: false });
    expect(specs.get('decoder.decoder_raw_embedding.weight')?.shape).toEqual([8, 8]);
    const counts = countParameters(cfg);
    const buffers = [...specs.values()].filter((s) => s.isBuffer);
    expect(buffers.length).toBeGreaterThan(0);
    expect(counts.total).toBe([...specs.values()].filter((s) => !s.isBuffer).reduce((a, s) => a + s.shape.reduce((x, y) => x * y, 1), 0));
  });
});
