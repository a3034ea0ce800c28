import { describe, expect, it } from 'vitest';
import { StudioError } from '../../../src-main/engine/errors.js';
import {
  checkFrequencyToken,
  frequencyTokenForMinutes,
  parseHfConfig,
  parseHfConfigJson,
  serializeHfConfig,
  withHfConfigOverrides,
} from '../../../src-main/engine/ttm/hf-config.js';
import { FIXTURE_CASES, fixtureConfigRaw } from './fixtures.js';

function invalidMessage(raw: unknown): string {
  try {
    parseHfConfig(raw);
  } catch (e) {
    expect(e).toBeInstanceOf(StudioError);
    expect((e as StudioError).code).toBe('INVALID_INPUT');
    return (e as StudioError).message;
  }
  throw new Error('expected the config to be rejected');
}

const tiny = () => fixtureConfigRaw('tiny');

describe('HF config', () => {
  for (const c of FIXTURE_CASES) {
    it(`${c}: parses and round-trips to the same JSON value`, () => {
      const raw = fixtureConfigRaw(c);
      const cfg = parseHfConfig(raw);
      expect(cfg.num_patches).toBe(raw.num_patches);
      expect(JSON.parse(serializeHfConfig(cfg))).toEqual(raw);
      expect(serializeHfConfig(parseHfConfigJson(serializeHfConfig(cfg)))).toBe(serializeHfConfig(cfg));
    });
  }

  it('keeps unknown keys verbatim and writes sorted keys with a trailing newline', () => {
    const raw = { ...tiny(), zz_future_key: { nested: [1, 'two', null] }, output_hidden_states: false };
    const text = serializeHfConfig(parseHfConfig(raw));
    expect(JSON.parse(text)).toEqual(raw);
    const keys = Object.keys(JSON.parse(text) as object);
    expect(keys).toEqual([...keys].sort());
    expect(text.endsWith('}\n')).toBe(true);
  });

  it('fills granite-tsfm defaults and derives num_patches only when absent', () => {
    const cfg = parseHfConfig({});
    expect(cfg).toMatchObject({
      context_length: 64,
      patch_length: 8,
      patch_stride: 8,
      d_model: 16,
      num_layers: 3,
      decoder_num_layers: 8,
      decoder_d_model: 8,
      dropout: 0.2,
      head_dropout: 0.2,
      fcm_use_mixer: false,
      scaling: 'std',
      loss: 'mse',
      num_patches: 8,
    });
    // With prefix tuning the derived count includes the frequency patch…
    expect(parseHfConfig({ context_length: 512, patch_length: 64, patch_stride: 64, resolution_prefix_tuning: true }).num_patches).toBe(9);
    // …and an inconsistent stored value is reported, not silently replaced.
    expect(invalidMessage({ ...fixtureConfigRaw('r2_freq_token'), num_patches: 8 })).toMatch(/num_patches is 8 but .* plus the frequency prefix patch give 9/);
    // Leading samples are dropped when the context is not a whole number of strides.
    expect(parseHfConfig({ context_length: 70, patch_length: 8, patch_stride: 8 }).num_patches).toBe(8);
  });

  it('sorts index lists and forecasts the non-exogenous channels when only exogenous ones are given', () => {
    const cfg = parseHfConfig({ ...tiny(), num_input_channels: 4, exogenous_channel_indices: [2, 1] });
    expect(cfg.exogenous_channel_indices).toEqual([1, 2]);
    expect(cfg.prediction_channel_indices).toEqual([0, 3]);
  });

  it('rejects invalid combinations with messages naming the keys', () => {
    expect(invalidMessage({ ...tiny(), context_length: 8, num_patches: 1 })).toMatch(/context_length \(8\) must be greater than patch_length \(8\)/);
    expect(invalidMessage({ ...tiny(), d_model: 50, adaptive_patching_levels: 3 })).toMatch(
      /adaptive_patching_levels = 3 needs d_model \(50\) divisible by 2\^2 = 4/,
    );
    expect(invalidMessage({ ...tiny(), decoder_d_model: 50, decoder_adaptive_patching_levels: 3 })).toMatch(/decoder_d_model/);
    expect(invalidMessage({ ...tiny(), prediction_channel_indices: [2] })).toMatch(/prediction_channel_indices contains 2, outside 0…1/);
    expect(invalidMessage({ ...tiny(), prediction_channel_indices: [0, 0] })).toMatch(/lists channel 0 twice/);
    expect(invalidMessage({ ...tiny(), prediction_channel_indices: [] })).toMatch(/empty/);
    expect(invalidMessage({ ...tiny(), prediction_channel_indices: [0], exogenous_channel_indices: [0, 1] })).toMatch(
      /channel\(s\) 0 are both predicted and exogenous/,
    );
    expect(invalidMessage({ ...tiny(), exogenous_channel_indices: [-1] })).toMatch(/exogenous_channel_indices contains -1/);
    expect(invalidMessage({ ...tiny(), exogenous_channel_indices: [0, 1] })).toMatch(/every channel is exogenous/);
    expect(invalidMessage({ ...tiny(), prediction_filter_length: 17 })).toMatch(
      /prediction_filter_length \(17\) must be between 1 and prediction_length \(16\)/,
    );
    expect(invalidMessage({ ...tiny(), prediction_filter_length: 0 })).toMatch(/prediction_filter_length/);
    expect(invalidMessage({ ...tiny(), mode: 'channel_mix' })).toMatch(/mode: .*common_channel.*mix_channel/);
    expect(invalidMessage({ ...tiny(), decoder_mode: 'x' })).toMatch(/decoder_mode/);
    expect(invalidMessage({ ...tiny(), norm_mlp: 'GroupNorm' })).toMatch(/norm_mlp/);
    expect(invalidMessage({ ...tiny(), init_linear: 'he' })).toMatch(/init_linear/);
    expect(invalidMessage({ ...tiny(), loss: 'nll' })).toMatch(/nll.*not supported/);
    expect(invalidMessage({ ...tiny(), context_length: 63.5 })).toMatch(/context_length/);
    expect(invalidMessage({ ...tiny(), categorical_vocab_size_list: [3] })).toMatch(/decoder_mode "mix_channel"/);
    expect(invalidMessage({ ...tiny(), self_attn: true, self_attn_heads: 3 })).toMatch(/self_attn_heads \(3\)/);
    expect(invalidMessage({ ...tiny(), model_type: 'patchtst' })).toMatch(/model_type/);
  });

  it('bad JSON is a PARSE error', () => {
    expect(() => parseHfConfigJson('{"context_length": ', 'x/config.json')).toThrow(
      expect.objectContaining({ code: 'PARSE', message: expect.stringMatching(/x\/config.json is not valid JSON/) }),
    );
  });

  it('overrides re-validate and re-derive num_patches when the geometry changes', () => {
    const cfg = parseHfConfig(fixtureConfigRaw('r2_512_96'));
    expect(withHfConfigOverrides(cfg, { prediction_filter_length: 24 }).prediction_filter_length).toBe(24);
    expect(withHfConfigOverrides(cfg, { context_length: 1024 }).num_patches).toBe(16);
    expect(() => withHfConfigOverrides(cfg, { prediction_filter_length: 200 })).toThrow(/prediction_filter_length/);
  });

  it('maps sampling intervals to frequency tokens and checks the vocabulary', () => {
    expect(frequencyTokenForMinutes(5)).toBe(3);
    expect(frequencyTokenForMinutes(60)).toBe(7);
    expect(frequencyTokenForMinutes(7)).toBe(0);
    const cfg = parseHfConfig(fixtureConfigRaw('r2_freq_token'));
    expect(() => checkFrequencyToken(cfg, 3)).not.toThrow();
    expect(() => checkFrequencyToken(cfg, 7)).toThrow(/outside this model's vocabulary \(0…4\)/);
  });
});
