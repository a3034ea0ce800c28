/**
 * Turning a published checkpoint into the model a study needs, the way the granite-tsfm
 * notebooks do it with `from_pretrained(path, **overrides, ignore_mismatched_sizes=True)`:
 * every weight whose name and shape still fit is reused, the rest (e.g. the channel mixers
 * and FCM head added for covariates) is freshly initialised. Also the reference's
 * `get_random_ttm` sizing for from-scratch models, and the bridge from the app's TTMConfig.
 */
import { StudioError } from '../errors.js';
import { parseHfConfig, withHfConfigOverrides, type HfTtmConfig, type HfTtmConfigInput } from './hf-config.js';
import { initializeTtmWeights, type ModelWeights, type WeightTensor } from './init.js';
import { ttmParameterSpecs } from './parameter-shapes.js';
import type { TTMConfig } from './ttm-config.js';

export interface AdaptedModel {
  config: HfTtmConfig;
  weights: ModelWeights;
  /** Weights taken over from the checkpoint. */
  reused: string[];
  /** Weights that are new in the adapted architecture (initialised). */
  added: string[];
  /** Weights present in both with different shapes (initialised; the old ones dropped). */
  reshaped: { name: string; from: readonly number[]; to: readonly number[] }[];
}

/**
 * Applies config overrides to a checkpoint. Geometry changes (context, patching) re-derive
 * num_patches — unlike from_pretrained, which would keep the stale stored value.
 */
export function adaptPretrained(base: { config: HfTtmConfig; weights: ModelWeights }, overrides: Partial<HfTtmConfigInput>, seed: number): AdaptedModel {
  const config = withHfConfigOverrides(base.config, overrides);
  const fresh = initializeTtmWeights(config, seed);
  const weights: ModelWeights = new Map();
  const reused: string[] = [];
  const added: string[] = [];
  const reshaped: AdaptedModel['reshaped'] = [];
  for (const spec of ttmParameterSpecs(config)) {
    const old = base.weights.get(spec.name);
    const same = old !== undefined && old.shape.length === spec.shape.length && old.shape.every((d, i) => d === spec.shape[i]);
    if (same) {
      weights.set(spec.name, old);
      reused.push(spec.name);
    } else {
      weights.set(spec.name, fresh.get(spec.name) as WeightTensor);
      if (old === undefined) added.push(spec.name);
      else reshaped.push({ name: spec.name, from: old.shape, to: spec.shape });
    }
  }
  return { config, weights, reused, added, reshaped };
}

export interface TtmConfigBridgeOptions {
  /** Input features whose future values are known (planned insulin, announced carbs): mixed in by the FCM head. */
  exogenousFeatures?: readonly string[];
}

/**
 * HF config overrides for a study: channels = targets then inputs; targets are forecast.
 * Zero-shot changes nothing architectural (the pre-trained common-channel model forecasts
 * every channel and the targets are selected). Training with covariates switches the
 * decoder to mix_channel, and known-future covariates enable forecast-channel mixing, as
 * the granite-tsfm exogenous fine-tuning recipe does.
 */
export function hfOverridesForTtmConfig(ttm: TTMConfig, options: TtmConfigBridgeOptions = {}): Partial<HfTtmConfigInput> {
  const channels = [...ttm.targetFeatures, ...ttm.inputFeatures];
  const exo = options.exogenousFeatures ?? [];
  for (const f of exo) {
    if (!ttm.inputFeatures.includes(f))
      throw new StudioError('INVALID_INPUT', `Exogenous feature "${f}" is not one of the inputFeatures (${ttm.inputFeatures.join(', ') || 'none'}).`);
  }
  const overrides: Partial<HfTtmConfigInput> = {
    num_input_channels: channels.length,
    loss: ttm.lossFunction,
    quantile: ttm.quantile,
    huber_delta: ttm.huberDelta,
  };
  if (ttm.inputFeatures.length > 0) overrides.prediction_channel_indices = ttm.targetFeatures.map((_, i) => i);
  if (ttm.predictionFilterLength !== null) overrides.prediction_filter_length = ttm.predictionFilterLength;
  if (ttm.windowScaling !== 'inherit') overrides.scaling = ttm.windowScaling === 'none' ? null : ttm.windowScaling;
  if (ttm.trainingMode !== 'zero_shot' && ttm.inputFeatures.length > 0) {
    overrides.decoder_mode = 'mix_channel';
    if (exo.length > 0) {
      Object.assign(overrides, {
        exogenous_channel_indices: exo.map((f) => channels.indexOf(f)),
        enable_forecast_channel_mixing: true,
        fcm_context_length: 1,
        fcm_use_mixer: true,
        fcm_mix_layers: 2,
        fcm_prepend_past: true,
      });
    }
  } else if (exo.length > 0) {
    throw new StudioError('INVALID_INPUT', 'Known-future covariates need a trained forecast-channel mixer; they cannot be used zero-shot.');
  }
  return overrides;
}

/**
 * granite-tsfm's r2 geometry (the `main` 512-96 model: 8 patches of context/8 steps, d_model
 * 192, decoder d_model 128, adaptive patching 3 levels, 2 + 2 layers, dropout 0) for any
 * context divisible by 8: 805,280 parameters at 512-96 with one channel. Only keys that differ
 * from TinyTimeMixerConfig's defaults are listed; parseHfConfig fills the rest as
 * `from_pretrained` would.
 */
export function r2TtmConfig(contextLength: number, forecastLength: number, extra: Partial<HfTtmConfigInput> = {}): HfTtmConfig {
  if (!Number.isInteger(contextLength) || contextLength < 64 || contextLength % 64 !== 0) {
    throw new StudioError(
      'INVALID_INPUT',
      `The r2 architecture needs a context that is a multiple of 64 steps (8 patches, 3 patching levels); got ${contextLength}.`,
    );
  }
  const patch = contextLength / 8;
  return parseHfConfig({
    context_length: contextLength,
    prediction_length: forecastLength,
    patch_length: patch,
    patch_stride: patch,
    num_patches: 8,
    d_model: 192,
    decoder_d_model: 128,
    num_layers: 2,
    decoder_num_layers: 2,
    adaptive_patching_levels: 3,
    expansion_factor: 2,
    dropout: 0,
    head_dropout: 0,
    mode: 'common_channel',
    decoder_mode: 'common_channel',
    gated_attn: true,
    norm_mlp: 'LayerNorm',
    scaling: 'std',
    use_positional_encoding: false,
    resolution_prefix_tuning: false,
    num_input_channels: 1,
    architectures: ['TinyTimeMixerForPrediction'],
    ...extra,
  });
}

export type RandomTtmSize = 'small' | 'medium' | 'large';

/** granite-tsfm's get_random_ttm sizing: patch length doubles while it divides the (even) context into ≥ 8 patches. */
export function randomTtmConfig(
  contextLength: number,
  forecastLength: number,
  size: RandomTtmSize = 'small',
  extra: Partial<HfTtmConfigInput> = {},
): HfTtmConfig {
  const minContext = { small: 4, medium: 16, large: 32 }[size];
  if (!Number.isInteger(contextLength) || contextLength < minContext) {
    throw new StudioError('INVALID_INPUT', `A ${size} TTM needs a context of at least ${minContext} steps (got ${contextLength}).`);
  }
  const apl = { small: 0, medium: 3, large: 5 }[size];
  const cl = contextLength % 2 === 0 ? contextLength : contextLength - 1;
  let pl = 2;
  while (cl % pl === 0 && cl / pl >= 8) pl *= 2;
  const dModel = size === 'small' ? 2 * pl : 16 * 2 ** apl;
  return parseHfConfig({
    context_length: cl,
    prediction_length: forecastLength,
    patch_length: pl,
    patch_stride: pl,
    d_model: dModel,
    num_layers: size === 'large' ? 5 : 3,
    decoder_num_layers: 2,
    decoder_d_model: dModel,
    adaptive_patching_levels: apl,
    dropout: 0.2,
    ...extra,
  });
}
