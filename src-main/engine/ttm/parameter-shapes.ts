/**
 * Every tensor in TinyTimeMixerForPrediction's state_dict, derived from the HF config:
 * names exactly as granite-tsfm's module tree produces them, shapes in PyTorch layout
 * (Linear weight = [out_features, in_features]), in module registration order.
 *
 * This is the contract between config.json and model.safetensors: loading checks a file
 * against it, from-scratch training initialises from it, and the ONNX graph binds to it.
 */
import type { HfTtmConfig } from './hf-config.js';
import { adaptivePatchFactor, outputLength } from './hf-config.js';

export type ParamInit =
  | { kind: 'linear_weight'; fanIn: number; fanOut: number }
  | { kind: 'linear_bias'; fanIn: number }
  | { kind: 'norm_weight' }
  | { kind: 'norm_bias' }
  | { kind: 'embedding' }
  | { kind: 'positional'; type: 'sincos' | 'random' }
  | { kind: 'running_mean' }
  | { kind: 'running_var' }
  | { kind: 'num_batches_tracked' };

export interface ParameterSpec {
  readonly name: string;
  readonly shape: readonly number[];
  readonly dtype: 'F32' | 'I64';
  /** How the module initialises it (see init.ts). */
  readonly init: ParamInit;
  /** false for buffers (BatchNorm running statistics) and the fixed sincos positional table. */
  readonly requiresGrad: boolean;
  /** true for state_dict entries that are buffers, not nn.Parameters. */
  readonly isBuffer: boolean;
}

/** What one TinyTimeMixerLayer is built with (the reference passes a modified config copy). */
interface MixerGeometry {
  numPatches: number;
  dModel: number;
  channels: number;
  mode: 'common_channel' | 'mix_channel';
  gatedAttn: boolean;
  expansion: number;
  selfAttn: boolean;
  batchNorm: boolean;
  numLayers: number;
  adaptiveLevels: number;
  positional: boolean;
}

class SpecBuilder {
  readonly specs: ParameterSpec[] = [];

  linear(prefix: string, inF: number, outF: number): void {
    this.specs.push({
      name: `${prefix}.weight`,
      shape: [outF, inF],
      dtype: 'F32',
      init: { kind: 'linear_weight', fanIn: inF, fanOut: outF },
      requiresGrad: true,
      isBuffer: false,
    });
    this.specs.push({ name: `${prefix}.bias`, shape: [outF], dtype: 'F32', init: { kind: 'linear_bias', fanIn: inF }, requiresGrad: true, isBuffer: false });
  }

  /** TinyTimeMixerNormLayer: `.norm` is nn.LayerNorm, or TinyTimeMixerBatchNorm wrapping `.batchnorm`. */
  normLayer(prefix: string, d: number, batchNorm: boolean): void {
    if (!batchNorm) {
      this.specs.push({ name: `${prefix}.norm.weight`, shape: [d], dtype: 'F32', init: { kind: 'norm_weight' }, requiresGrad: true, isBuffer: false });
      this.specs.push({ name: `${prefix}.norm.bias`, shape: [d], dtype: 'F32', init: { kind: 'norm_bias' }, requiresGrad: true, isBuffer: false });
      return;
    }
    const p = `${prefix}.norm.batchnorm`;
    this.specs.push({ name: `${p}.weight`, shape: [d], dtype: 'F32', init: { kind: 'norm_weight' }, requiresGrad: true, isBuffer: false });
    this.specs.push({ name: `${p}.bias`, shape: [d], dtype: 'F32', init: { kind: 'norm_bias' }, requiresGrad: true, isBuffer: false });
    this.specs.push({ name: `${p}.running_mean`, shape: [d], dtype: 'F32', init: { kind: 'running_mean' }, requiresGrad: false, isBuffer: true });
    this.specs.push({ name: `${p}.running_var`, shape: [d], dtype: 'F32', init: { kind: 'running_var' }, requiresGrad: false, isBuffer: true });
    this.specs.push({ name: `${p}.num_batches_tracked`, shape: [], dtype: 'I64', init: { kind: 'num_batches_tracked' }, requiresGrad: false, isBuffer: true });
  }

  mlp(prefix: string, inF: number, outF: number, expansion: number): void {
    this.linear(`${prefix}.fc1`, inF, inF * expansion);
    this.linear(`${prefix}.fc2`, inF * expansion, outF);
  }

  /** TinyTimeMixerLayer: patch_mixer (if > 1 patch), feature_mixer, channel_feature_mixer (mix_channel). */
  mixerLayer(prefix: string, g: MixerGeometry): void {
    if (g.numPatches > 1) {
      const p = `${prefix}.patch_mixer`;
      this.normLayer(`${p}.norm`, g.dModel, g.batchNorm);
      this.mlp(`${p}.mlp`, g.numPatches, g.numPatches, g.expansion);
      if (g.gatedAttn) this.linear(`${p}.gating_block.attn_layer`, g.numPatches, g.numPatches);
      if (g.selfAttn) {
        for (const proj of ['k_proj', 'v_proj', 'q_proj', 'out_proj']) this.linear(`${p}.self_attn_layer.${proj}`, g.dModel, g.dModel);
        this.normLayer(`${p}.norm_attn`, g.dModel, g.batchNorm);
      }
    }
    const f = `${prefix}.feature_mixer`;
    this.normLayer(`${f}.norm`, g.dModel, g.batchNorm);
    this.mlp(`${f}.mlp`, g.dModel, g.dModel, g.expansion);
    if (g.gatedAttn) this.linear(`${f}.gating_block.attn_layer`, g.dModel, g.dModel);
    if (g.mode === 'mix_channel') {
      const c = `${prefix}.channel_feature_mixer`;
      this.normLayer(`${c}.norm`, g.dModel, g.batchNorm);
      this.mlp(`${c}.mlp`, g.channels, g.channels, g.expansion);
      if (g.gatedAttn) this.linear(`${c}.gating_block.attn_layer`, g.channels, g.channels);
    }
  }

  /** TinyTimeMixerBlock: adaptive levels (finest first) each with numLayers layers, or plain layers. */
  mixerBlock(prefix: string, g: MixerGeometry): void {
    if (g.adaptiveLevels > 0) {
      for (let k = 0; k < g.adaptiveLevels; k++) {
        const level = g.adaptiveLevels - 1 - k;
        const factor = adaptivePatchFactor(g.dModel, level);
        const lg = { ...g, numPatches: g.numPatches * factor, dModel: g.dModel / factor };
        for (let j = 0; j < g.numLayers; j++) this.mixerLayer(`${prefix}.mixers.${k}.mixer_layers.${j}`, lg);
      }
    } else {
      for (let j = 0; j < g.numLayers; j++) this.mixerLayer(`${prefix}.mixers.${j}`, g);
    }
  }
}

/** Adaptive-patching geometry of the backbone's levels, in module order (mixers.0 = finest). */
export function adaptiveLevelGeometry(cfg: HfTtmConfig): { module: number; level: number; factor: number; numPatches: number; dModel: number }[] {
  const out = [];
  for (let k = 0; k < cfg.adaptive_patching_levels; k++) {
    const level = cfg.adaptive_patching_levels - 1 - k;
    const factor = adaptivePatchFactor(cfg.d_model, level);
    out.push({ module: k, level, factor, numPatches: cfg.num_patches * factor, dModel: cfg.d_model / factor });
  }
  return out;
}

/** All state_dict entries of TinyTimeMixerForPrediction for this config, in registration order. */
export function ttmParameterSpecs(cfg: HfTtmConfig): ParameterSpec[] {
  const b = new SpecBuilder();
  const batchNorm = cfg.norm_mlp.toLowerCase().includes('batch');
  const base: MixerGeometry = {
    numPatches: cfg.num_patches,
    dModel: cfg.d_model,
    channels: cfg.num_input_channels,
    mode: cfg.mode,
    gatedAttn: cfg.gated_attn,
    expansion: cfg.expansion_factor,
    selfAttn: cfg.self_attn,
    batchNorm,
    numLayers: cfg.num_layers,
    adaptiveLevels: cfg.adaptive_patching_levels,
    positional: cfg.use_positional_encoding,
  };

  // backbone.encoder: patcher, positional_encoder, mlp_mixer_encoder, freq_mod
  b.linear('backbone.encoder.patcher', cfg.patch_length, cfg.d_model);
  if (cfg.use_positional_encoding) {
    b.specs.push({
      name: 'backbone.encoder.positional_encoder.position_enc',
      shape: [cfg.num_patches, cfg.d_model],
      dtype: 'F32',
      init: { kind: 'positional', type: cfg.positional_encoding_type },
      // The sincos table is an nn.Parameter with requires_grad=False.
      requiresGrad: cfg.positional_encoding_type === 'random',
      isBuffer: false,
    });
  }
  b.mixerBlock('backbone.encoder.mlp_mixer_encoder', base);
  if (cfg.resolution_prefix_tuning) {
    const mid = Math.floor((cfg.patch_length + cfg.d_model) / 2);
    b.specs.push({
      name: 'backbone.encoder.freq_mod.0.weight',
      shape: [cfg.frequency_token_vocab_size, cfg.patch_length],
      dtype: 'F32',
      init: { kind: 'embedding' },
      requiresGrad: true,
      isBuffer: false,
    });
    b.linear('backbone.encoder.freq_mod.1', cfg.patch_length, mid);
    b.linear('backbone.encoder.freq_mod.3', mid, cfg.d_model);
  }

  // decoder: adapter, decoder_raw_embedding, decoder_cat_embedding_layer, decoder_block
  if (cfg.use_decoder) {
    if (cfg.d_model !== cfg.decoder_d_model) b.linear('decoder.adapter', cfg.d_model, cfg.decoder_d_model);
    if (cfg.decoder_raw_residual) b.linear('decoder.decoder_raw_embedding', cfg.patch_length, cfg.decoder_d_model);
    const cats = cfg.categorical_vocab_size_list ?? [];
    cats.forEach((vocab, i) => {
      b.specs.push({
        name: `decoder.decoder_cat_embedding_layer.embedding_layers.${i}.weight`,
        shape: [vocab, cfg.decoder_d_model],
        dtype: 'F32',
        init: { kind: 'embedding' },
        requiresGrad: true,
        isBuffer: false,
      });
    });
    b.mixerBlock('decoder.decoder_block', {
      ...base,
      dModel: cfg.decoder_d_model,
      numLayers: cfg.decoder_num_layers,
      adaptiveLevels: cfg.decoder_adaptive_patching_levels,
      mode: cfg.decoder_mode,
      channels: cfg.num_input_channels + cats.length,
    });
  }

  // head: base_forecast_block, fcm_block
  const headD = cfg.use_decoder ? cfg.decoder_d_model : cfg.d_model;
  b.linear('head.base_forecast_block', cfg.num_patches * headD, cfg.prediction_length);
  if (cfg.enable_forecast_channel_mixing) {
    const scl = 2 * cfg.fcm_context_length + 1;
    const pc = cfg.prediction_channel_indices?.length ?? cfg.num_input_channels;
    const ec = cfg.exogenous_channel_indices?.length ?? 0;
    const tc = pc + ec;
    let sclFeatures = scl;
    if (cfg.fcm_use_mixer) {
      // The FCM mixer treats channels as "patches", lags (embedded to 2·scl) as features and
      // forecast steps as "channels"; always common_channel, no adaptive patching.
      b.mixerBlock('head.fcm_block.exog_mixer', {
        ...base,
        numPatches: tc,
        dModel: scl * 2,
        channels: outputLength(cfg),
        numLayers: cfg.fcm_mix_layers,
        mode: 'common_channel',
        gatedAttn: cfg.fcm_gated_attn,
        adaptiveLevels: 0,
      });
      sclFeatures = scl * 2;
      b.linear('head.fcm_block.fcm_embedding', scl, scl * 2);
    }
    b.linear('head.fcm_block.mlp', tc * sclFeatures, pc);
    if (cfg.fcm_gated_attn) b.linear('head.fcm_block.fcm_gating_block.attn_layer', tc * sclFeatures, tc * sclFeatures);
  }
  return b.specs;
}

/** name → shape for every state_dict entry. */
export function ttmParameterShapes(cfg: HfTtmConfig): Map<string, readonly number[]> {
  return new Map(ttmParameterSpecs(cfg).map((s) => [s.name, s.shape]));
}

export const numel = (shape: readonly number[]): number => shape.reduce((a, b) => a * b, 1);

export function isBackboneParameter(name: string): boolean {
  return name.startsWith('backbone.');
}

/**
 * Whether a parameter is trained. With freeze_backbone everything under `backbone.` is frozen
 * (the reference recipe), leaving decoder.* and head.*; buffers and the fixed sincos table never train.
 */
export function isTrainable(spec: ParameterSpec, options: { freezeBackbone: boolean }): boolean {
  if (!spec.requiresGrad || spec.isBuffer) return false;
  return !(options.freezeBackbone && isBackboneParameter(spec.name));
}

export function trainableParameterSpecs(cfg: HfTtmConfig, options: { freezeBackbone: boolean }): ParameterSpec[] {
  return ttmParameterSpecs(cfg).filter((s) => isTrainable(s, options));
}

export interface ParameterCounts {
  /** All nn.Parameters (what `sum(p.numel() for p in model.parameters())` prints). */
  total: number;
  /** Parameters not under `backbone.` (trainable with a frozen backbone). */
  nonBackbone: number;
  /** Trainable under the given freeze option. */
  trainable: number;
}

export function countParameters(cfg: HfTtmConfig, options: { freezeBackbone: boolean } = { freezeBackbone: false }): ParameterCounts {
  let total = 0;
  let nonBackbone = 0;
  let trainable = 0;
  for (const s of ttmParameterSpecs(cfg)) {
    if (s.isBuffer) continue;
    const n = numel(s.shape);
    total += n;
    if (!isBackboneParameter(s.name)) nonBackbone += n;
    if (isTrainable(s, options)) trainable += n;
  }
  return { total, nonBackbone, trainable };
}
