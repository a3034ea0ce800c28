import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { initialNetwork } from '../../../src-main/engine/ttm/study-model.js';
import { adaptPretrained, hfOverridesForTtmConfig, r2TtmConfig, randomTtmConfig } from '../../../src-main/engine/ttm/adapt.js';
import { parseHfConfig, parseHfConfigJson } from '../../../src-main/engine/ttm/hf-config.js';
import { REPO_ROOT } from '../../helpers/tmp.js';
import type { ModelWeights } from '../../../src-main/engine/ttm/init.js';
import { countParameters, ttmParameterSpecs } from '../../../src-main/engine/ttm/parameter-shapes.js';
import { parseSafetensors } from '../../../src-main/engine/ttm/safetensors.js';
import { createDefaultTtmConfig, createTtmZeroShotConfig } from '../../../src-main/engine/ttm/ttm-config.js';
import { fixtureBytes, fixtureConfigRaw } from './fixtures.js';

function fixtureWeights(c: 'r2_512_96' | 'r2_mixchannel_exog'): ModelWeights {
  const f = parseSafetensors(fixtureBytes(c, 'model.safetensors'));
  return new Map([...f.tensors.values()].map((t) => [t.name, { shape: t.shape, data: t.toFloat32() }]));
}

describe('adapting pre-trained checkpoints', () => {
  it('r2 main + glucose with IOB/COB known in the future → the exog fixture architecture, backbone reused', () => {
    const ttm = createDefaultTtmConfig({ inputFeatures: ['iob', 'cob', 'hr_bpm'] });
    const overrides = hfOverridesForTtmConfig(ttm, { exogenousFeatures: ['iob', 'cob'] });
    expect(overrides).toMatchObject({
      num_input_channels: 4,
      prediction_channel_indices: [0],
      exogenous_channel_indices: [1, 2],
      decoder_mode: 'mix_channel',
      enable_forecast_channel_mixing: true,
      fcm_use_mixer: true,
    });
    const base = { config: parseHfConfig(fixtureConfigRaw('r2_512_96')), weights: fixtureWeights('r2_512_96') };
    const adapted = adaptPretrained(base, overrides, 1);
    // Same parameter table as the reference-built exog model.
    const exogCfg = parseHfConfig(fixtureConfigRaw('r2_mixchannel_exog'));
    expect(ttmParameterSpecs(adapted.config).map((s) => [s.name, s.shape])).toEqual(ttmParameterSpecs(exogCfg).map((s) => [s.name, s.shape]));
    expect(adapted.reshaped).toEqual([]);
    expect(adapted.added.every((n) => n.includes('channel_feature_mixer') || n.startsWith('head.fcm_block'))).toBe(true);
    for (const n of adapted.reused) expect(adapted.weights.get(n)).toBe(base.weights.get(n));
    expect(adapted.reused.filter((n) => n.startsWith('backbone.')).length).toBe(
      ttmParameterSpecs(base.config).filter((s) => s.name.startsWith('backbone.')).length,
    );
    expect(countParameters(adapted.config).total).toBe(806_939);
  });

  it('zero-shot keeps the architecture; a new context reinitialises the shape-dependent weights', () => {
    const z = hfOverridesForTtmConfig(createTtmZeroShotConfig({ inputFeatures: ['iob'] }));
    expect(z).toMatchObject({ num_input_channels: 2, prediction_channel_indices: [0] });
    expect(z.decoder_mode).toBeUndefined();
    expect(() => hfOverridesForTtmConfig(createTtmZeroShotConfig({ inputFeatures: ['iob'] }), { exogenousFeatures: ['iob'] })).toThrow(
      /cannot be used zero-shot/,
    );
    expect(() => hfOverridesForTtmConfig(createDefaultTtmConfig(), { exogenousFeatures: ['cob'] })).toThrow(/not one of the inputFeatures/);
    const base = { config: parseHfConfig(fixtureConfigRaw('r2_512_96')), weights: fixtureWeights('r2_512_96') };
    const longer = adaptPretrained(base, { context_length: 1024 }, 2);
    expect(longer.config.num_patches).toBe(16);
    expect(longer.reshaped.map((r) => r.name)).toContain('head.base_forecast_block.weight');
    expect(longer.reshaped.find((r) => r.name === 'head.base_forecast_block.weight')).toMatchObject({ from: [96, 1024], to: [96, 2048] });
    expect(longer.added).toEqual([]);
  });

  it('random TTM sizes follow get_random_ttm (its loop stops one doubling past 8 patches)', () => {
    const small = randomTtmConfig(512, 96, 'small');
    expect(small).toMatchObject({ context_length: 512, patch_length: 128, d_model: 256, num_layers: 3, adaptive_patching_levels: 0, num_patches: 4 });
    const medium = randomTtmConfig(90, 30, 'medium');
    expect(medium).toMatchObject({ context_length: 90, patch_length: 4, d_model: 128, adaptive_patching_levels: 3, num_patches: 22 });
    expect(randomTtmConfig(513, 96, 'large')).toMatchObject({ context_length: 512, d_model: 512, num_layers: 5 });
    expect(() => randomTtmConfig(10, 4, 'medium')).toThrow(/at least 16/);
  });
});

describe('r2 architecture for from-scratch training', () => {
  it('is exactly the bundled models’ network at 512-96 (805,280 parameters) and scales the patch with the context', () => {
    for (const name of ['ttm-glucose-r2-512-96', 'ttm-sim-r2-512-96']) {
      const bundled = parseHfConfigJson(readFileSync(join(REPO_ROOT, 'models', name, 'config.json'), 'utf8'), name);
      expect(r2TtmConfig(512, 96)).toEqual(bundled);
    }
    expect(countParameters(r2TtmConfig(512, 96)).total).toBe(805_280);
    expect(r2TtmConfig(1024, 96)).toMatchObject({ patch_length: 128, num_patches: 8, d_model: 192 });
    expect(() => r2TtmConfig(500, 96)).toThrow(/multiple of 64/);
  });

  it('is what trainingMode from_scratch builds with scratchArchitecture r2; fine-tuning refuses the key', () => {
    const net = initialNetwork(createDefaultTtmConfig({ trainingMode: 'from_scratch', freezeBackbone: false, scratchArchitecture: 'r2' }), null);
    expect(net.config).toEqual(r2TtmConfig(512, 96, { loss: 'mse', quantile: 0.5, huber_delta: 1 }));
    expect(countParameters(net.config).total).toBe(805_280);
    const small = initialNetwork(createDefaultTtmConfig({ trainingMode: 'from_scratch', freezeBackbone: false }), null);
    expect(small.config.d_model).not.toBe(192);
    expect(() => createDefaultTtmConfig({ scratchArchitecture: 'r2' })).toThrow(/scratchArchitecture: only applies to trainingMode "from_scratch"/);
    expect(() => createDefaultTtmConfig({ trainingMode: 'from_scratch', freezeBackbone: false, scratchArchitecture: 'r2', contextLength: 96 })).toThrow(
      /multiple of 64/,
    );
  });
});
