/**
 * TinyTimeMixerForPrediction's forward pass as ONNX ops, following granite-tsfm's
 * modeling_tinytimemixer.py step by step (see docs/ttm.md for the order of operations):
 * scaler → patchify → patcher (+ frequency prefix patch, positional encoding) → adaptive
 * mixer levels → decoder (adapter, raw residual, mixers) → head (flatten, Linear, channel
 * selection, filter length, forecast-channel mixing) → de-normalisation.
 *
 * Parameters come in as graph values keyed by their state_dict names, so the same code
 * builds inference graphs (constants) and training graphs (slices of the flat buffer).
 */
import { linear, layerNorm, dropout as applyDropout, type Dim, type GraphBuilder, type Value } from '../../onnx/index.js';
import { StudioError } from '../../errors.js';
import { adaptivePatchFactor, effectiveContextLength, forecastChannels, outputLength, type HfTtmConfig } from '../hf-config.js';

export interface TtmForwardInputs {
  /** [batch, context_length, C] raw values (the model scales them itself). */
  pastValues: Value;
  /** [batch, context_length, C], 1 = observed; omitted = all observed. */
  pastObservedMask?: Value | null;
  /** [batch, P or P_out, C]: the known future values the FCM head reads for exogenous channels. */
  futureValues?: Value | null;
  /** [batch] int64 frequency token (resolution prefix tuning). */
  freqToken?: Value | null;
}

/**
 * Dropout in training graphs: called once per dropout site with its (possibly symbolic)
 * shape and probability; returns a 0/1 keep-mask value (usually a new graph input fed with
 * masks generated in TypeScript) — or null to skip that dropout (evaluation mode).
 */
export type DropoutMaskFactory = (site: string, shape: readonly Dim[], p: number) => Value | null;

export interface TtmForwardOptions {
  /** Omit for evaluation mode (no dropout), as model.eval(). */
  dropoutMask?: DropoutMaskFactory;
  /**
   * Look the frequency embedding up with a one-hot MatMul instead of Gather: differentiable
   * with a dynamic batch (the autodiff's Gather rule needs static indices). Out-of-vocabulary
   * tokens then give a zero embedding instead of an error, so callers must check tokens first.
   */
  oneHotEmbedding?: boolean;
}

export interface TtmForwardOutputs {
  /** [batch, P_out, C_out] de-normalised forecast (`prediction_outputs`). */
  predictionOutputs: Value;
  /** [batch, 1, C_out] scaler statistics of the forecast channels (`loc`, `scale`). */
  loc: Value;
  scale: Value;
  /** [batch, 1, C] scaler statistics of every channel. */
  backboneLoc: Value;
  backboneScale: Value;
  /** [batch, C, n, patch_length] scaled, patched context (without the frequency patch). */
  patchInput: Value;
  /** [batch, C, N, d_model] encoder output. */
  backboneHiddenState: Value;
  /** [batch, C, N, decoder_d_model] decoder output. */
  decoderHiddenState: Value;
  /** [batch, C, P] head Linear output before transpose / selection / FCM. */
  headBaseForecast: Value;
  /** [batch, P_out, C_out] head output before de-normalisation. */
  headOutputNormalized: Value;
}

interface MixerGeometry {
  numPatches: number;
  dModel: number;
  channels: number;
  mode: 'common_channel' | 'mix_channel';
  gatedAttn: boolean;
  numLayers: number;
  adaptiveLevels: number;
  dropout: number;
}

class TtmGraph {
  private dropoutSite = 0;

  constructor(
    readonly b: GraphBuilder,
    readonly cfg: HfTtmConfig,
    readonly params: Readonly<Record<string, Value>>,
    readonly options: TtmForwardOptions,
  ) {
    if (cfg.self_attn) throw new StudioError('UNSUPPORTED', 'TTM graphs with self_attn = true are not supported yet (no published TTM uses it).');
    if (cfg.categorical_vocab_size_list !== null) throw new StudioError('UNSUPPORTED', 'TTM graphs with static categorical variables are not supported yet.');
  }

  p(name: string): Value {
    const v = this.params[name];
    if (v === undefined) throw new StudioError('GRAPH', `TTM graph: parameter "${name}" was not provided.`);
    return v;
  }

  /**
   * Linear over the last axis. Inputs of rank > 2 are flattened to [rows, K] first so that
   * the layer is one Gemm over all rows with the bias fused and the weight read transposed
   * in place. The reshapes are free (no copy); -1 keeps the symbolic batch without Shape ops.
   */
  linear(prefix: string, x: Value): Value {
    const b = this.b;
    const w = this.p(`${prefix}.weight`);
    const bias = this.p(`${prefix}.bias`);
    if (x.rank <= 2) return linear(b, x, w, bias);
    const K = x.shape[x.rank - 1]!;
    const y = linear(b, b.reshape(x, [-1, K]), w, bias);
    return b.reshape(y, [-1, ...x.shape.slice(1, -1), w.shape[0]!]);
  }

  /**
   * Exact GELU written as 0.5·x·(1 + erf(x / √2)) with a Div, the form onnxruntime's
   * GeluFusion recognises (with Mul by 1/√2 it does not fire) and replaces by one Gelu kernel.
   */
  gelu(x: Value): Value {
    const b = this.b;
    return b.mul(b.mul(x, 0.5), b.add(b.erf(b.div(x, Math.SQRT2)), 1));
  }

  /**
   * Dropout; `shape` is the logical shape the mask is declared with (the 4-D shape of the
   * reference's tensor) when `x` is its [rows, features] view, so mask inputs keep their shapes.
   */
  dropout(x: Value, p: number, shape: readonly Dim[] = x.shape): Value {
    if (p === 0 || this.options.dropoutMask === undefined) return x;
    let mask = this.options.dropoutMask(`dropout_${this.dropoutSite++}`, shape, p);
    if (mask === null) return x;
    if (mask.rank !== x.rank) mask = this.b.reshape(mask, [-1, x.shape[x.rank - 1]!]);
    return applyDropout(this.b, x, mask, p);
  }

  /** [..., K] → [rows, K] (free in onnxruntime); 2-D operands give every MatMul one large GEMM. */
  rows(x: Value): Value {
    return x.rank <= 2 ? x : this.b.reshape(x, [-1, x.shape[x.rank - 1]!]);
  }

  /** [rows, K] back to `shape` (its leading dim may be symbolic). */
  unrows(x: Value, shape: readonly Dim[]): Value {
    return shape.length <= 2 ? x : this.b.reshape(x, [-1, ...shape.slice(1)]);
  }

  /** TinyTimeMixerNormLayer over the last (feature) axis: LayerNorm, or BatchNorm with running statistics. */
  norm(prefix: string, x: Value): Value {
    if (!this.cfg.norm_mlp.toLowerCase().includes('batch')) {
      return layerNorm(this.b, x, this.p(`${prefix}.norm.weight`), this.p(`${prefix}.norm.bias`), this.cfg.norm_eps);
    }
    // Inference-mode BatchNorm1d over the feature axis: per-feature affine with running stats.
    const bn = `${prefix}.norm.batchnorm`;
    const b = this.b;
    const inv = b.div(this.p(`${bn}.weight`), b.sqrt(b.add(this.p(`${bn}.running_var`), this.cfg.norm_eps)));
    return b.add(b.mul(b.sub(x, this.p(`${bn}.running_mean`)), inv), this.p(`${bn}.bias`));
  }

  /** MLP on `x` ([rows, K] or any rank); `lead` = the logical leading dims, for dropout masks. */
  mlp(prefix: string, x: Value, p: number, lead: readonly Dim[] = x.shape.slice(0, -1)): Value {
    const h = this.gelu(this.linear(`${prefix}.fc1`, x));
    const hd = this.dropout(h, p, [...lead, h.shape[h.rank - 1]!]);
    const y = this.linear(`${prefix}.fc2`, hd);
    return this.dropout(y, p, [...lead, y.shape[y.rank - 1]!]);
  }

  gate(prefix: string, x: Value): Value {
    const b = this.b;
    return b.mul(x, b.softmax(this.linear(prefix, x), -1));
  }

  /**
   * TinyTimeMixerLayer on [B, C, N, d]. Each sub-mixer runs on a 2-D [rows, features] view
   * (rows = every sample, channel and patch or feature), so its Linear layers are single
   * Gemms with the bias fused and LayerNorm/Gelu/Softmax see one long contiguous block.
   */
  mixerLayer(prefix: string, x: Value, g: MixerGeometry): Value {
    const b = this.b;
    let h = x;
    if (g.mode === 'mix_channel') {
      const c = `${prefix}.channel_feature_mixer`;
      const t4 = b.transpose(this.norm(`${c}.norm`, h), [0, 3, 2, 1]); // [B, d, N, C]
      let t = this.rows(t4);
      if (g.gatedAttn) t = this.gate(`${c}.gating_block.attn_layer`, t);
      t = this.mlp(`${c}.mlp`, t, g.dropout, t4.shape.slice(0, -1));
      h = b.add(b.transpose(this.unrows(t, t4.shape), [0, 3, 2, 1]), h);
    }
    if (g.numPatches > 1) {
      const pm = `${prefix}.patch_mixer`;
      const t4 = b.transpose(this.norm(`${pm}.norm`, h), [0, 1, 3, 2]); // [B, C, d, N]
      let t = this.mlp(`${pm}.mlp`, this.rows(t4), g.dropout, t4.shape.slice(0, -1));
      if (g.gatedAttn) t = this.gate(`${pm}.gating_block.attn_layer`, t);
      h = b.add(b.transpose(this.unrows(t, t4.shape), [0, 1, 3, 2]), h);
    }
    const fm = `${prefix}.feature_mixer`;
    const h2 = this.rows(h);
    let t = this.mlp(`${fm}.mlp`, this.norm(`${fm}.norm`, h2), g.dropout, h.shape.slice(0, -1));
    if (g.gatedAttn) t = this.gate(`${fm}.gating_block.attn_layer`, t);
    return this.unrows(b.add(t, h2), h.shape);
  }

  /** TinyTimeMixerBlock: adaptive levels (mixers.0 = finest) or plain layers. */
  mixerBlock(prefix: string, x: Value, g: MixerGeometry): Value {
    const b = this.b;
    if (g.adaptiveLevels <= 0) {
      let h = x;
      for (let j = 0; j < g.numLayers; j++) h = this.mixerLayer(`${prefix}.mixers.${j}`, h, g);
      return h;
    }
    let h = x;
    const C = x.shape[1]!;
    for (let k = 0; k < g.adaptiveLevels; k++) {
      const f = adaptivePatchFactor(g.dModel, g.adaptiveLevels - 1 - k);
      const lg = { ...g, numPatches: g.numPatches * f, dModel: g.dModel / f };
      if (f !== 1) h = b.reshape(h, [-1, C, lg.numPatches, lg.dModel]);
      for (let j = 0; j < g.numLayers; j++) h = this.mixerLayer(`${prefix}.mixers.${k}.mixer_layers.${j}`, h, lg);
      if (f !== 1) h = b.reshape(h, [-1, C, g.numPatches, g.dModel]);
    }
    return h;
  }

  /** Scaler over time per sample and channel; returns scaled [B, L, C], loc and scale [B, 1, C]. */
  scale(x: Value, mask: Value | null): { scaled: Value; loc: Value; scale: Value } {
    const b = this.b;
    const mode = this.cfg.scaling;
    const m = mask === null ? null : mask.dtype === x.dtype ? mask : b.cast(mask, x.dtype);
    if (mode === 'std' || mode === true) {
      if (m === null) {
        // All observed: sums / L, identical to the masked formula with m = 1.
        const loc = b.reduceMean(x, [1], true);
        const xc = b.sub(x, loc);
        const scale = b.sqrt(b.add(b.reduceMean(b.mul(xc, xc), [1], true), 1e-5));
        return { scaled: b.div(xc, scale), loc, scale };
      }
      const denom = b.max(b.reduceSum(m, [1], true), 1);
      const loc = b.div(b.reduceSum(b.mul(x, m), [1], true), denom);
      const xc = b.sub(x, loc);
      const xm = b.mul(xc, m);
      const scale = b.sqrt(b.add(b.div(b.reduceSum(b.mul(xm, xm), [1], true), denom), 1e-5));
      return { scaled: b.div(xc, scale), loc, scale };
    }
    if (mode === 'mean') {
      const obs = m ?? b.fillLike(x, 1);
      const tsSum = b.reduceSum(b.abs(b.mul(x, obs)), [1], true);
      const nObs = b.reduceSum(obs, [1], true);
      let scale = b.div(tsSum, b.max(nObs, 1));
      // Series without observations take the batch-wide average scale, as the reference does.
      const batchScale = b.div(b.reduceSum(tsSum, [0], true), b.max(b.reduceSum(nObs, [0], true), 1));
      scale = b.where(b.greater(nObs, 0), scale, batchScale);
      scale = b.max(scale, 1e-10);
      return { scaled: b.div(x, scale), loc: b.mul(scale, 0), scale };
    }
    const zeros = b.mul(b.reduceMean(x, [1], true), 0);
    return { scaled: x, loc: zeros, scale: b.add(zeros, 1) };
  }

  /** [B, L, C] → [B, C, n, patch_length], dropping leading samples as the reference does. */
  patchify(x: Value, L: number, patchLength: number, stride: number): Value {
    const b = this.b;
    const n = Math.floor((Math.max(L, patchLength) - patchLength) / stride) + 1;
    const start = L - (patchLength + stride * (n - 1));
    const [B, , C] = x.shape;
    let t = b.transpose(start > 0 ? b.slice(x, [start], [L], [1]) : x, [0, 2, 1]); // [B, C, L']
    if (stride === patchLength) return b.reshape(t, [B, C, n, patchLength]);
    const idx = new BigInt64Array(n * patchLength);
    for (let i = 0; i < n; i++) for (let j = 0; j < patchLength; j++) idx[i * patchLength + j] = BigInt(i * stride + j);
    t = b.gather(t, b.constant('int64', [n, patchLength], idx), 2);
    return t;
  }

  build(inputs: TtmForwardInputs): TtmForwardOutputs {
    const b = this.b;
    const cfg = this.cfg;
    const past = inputs.pastValues;
    const L = effectiveContextLength(cfg);
    const C = cfg.num_input_channels;
    if (past.rank !== 3 || past.shape[1] !== L || past.shape[2] !== C) {
      throw new StudioError('GRAPH', `TTM graph: past_values must be [batch, ${L}, ${C}], got ${past.toString()}.`);
    }
    const B = past.shape[0];
    const { scaled, loc: bLoc, scale: bScale } = this.scale(past, inputs.pastObservedMask ?? null);

    const patchInput = this.patchify(scaled, L, cfg.patch_length, cfg.patch_stride);
    let h = this.linear('backbone.encoder.patcher', patchInput); // [B, C, n, d]
    const N = cfg.num_patches;
    if (cfg.resolution_prefix_tuning) {
      if (!inputs.freqToken) throw new StudioError('GRAPH', 'TTM graph: this model uses resolution prefix tuning and needs a freq_token input.');
      const table = this.p('backbone.encoder.freq_mod.0.weight'); // [V, patch_length]
      let emb: Value; // [B, patch_length]
      if (this.options.oneHotEmbedding) {
        const V = cfg.frequency_token_vocab_size;
        const vocab = b.constant(
          'int64',
          [V],
          BigInt64Array.from({ length: V }, (_, i) => BigInt(i)),
        );
        const oneHot = b.cast(b.equal(b.unsqueeze(inputs.freqToken, [1]), vocab), 'float32'); // [B, V]
        emb = b.matmul(oneHot, table);
      } else {
        emb = b.gather(table, inputs.freqToken, 0);
      }
      const f = this.linear('backbone.encoder.freq_mod.3', this.gelu(this.linear('backbone.encoder.freq_mod.1', emb))); // [B, d]
      const f4 = b.expand(b.reshape(f, [B, 1, 1, cfg.d_model]), [B, C, 1, cfg.d_model]);
      h = b.concat([f4, h], 2);
    }
    if (h.shape[2] !== N) {
      throw new StudioError('GRAPH', `TTM graph: ${h.shape[2]} patches reach the mixers but config.num_patches is ${N}.`);
    }
    if (cfg.use_positional_encoding) h = b.add(h, this.p('backbone.encoder.positional_encoder.position_enc'));
    const base: MixerGeometry = {
      numPatches: N,
      dModel: cfg.d_model,
      channels: C,
      mode: cfg.mode,
      gatedAttn: cfg.gated_attn,
      numLayers: cfg.num_layers,
      adaptiveLevels: cfg.adaptive_patching_levels,
      dropout: cfg.dropout,
    };
    const backbone = this.mixerBlock('backbone.encoder.mlp_mixer_encoder', h, base);

    let dec = backbone;
    let headD = cfg.d_model;
    if (cfg.use_decoder) {
      if (cfg.d_model !== cfg.decoder_d_model) dec = this.linear('decoder.adapter', dec);
      if (cfg.decoder_raw_residual) {
        // The frequency patch has no raw values: it gets a zero patch (as the reference pads).
        let raw = patchInput;
        if (cfg.resolution_prefix_tuning) raw = b.concat([b.mul(b.slice(patchInput, [0], [1], [2]), 0), patchInput], 2);
        dec = b.add(dec, this.linear('decoder.decoder_raw_embedding', raw));
      }
      dec = this.mixerBlock('decoder.decoder_block', dec, {
        ...base,
        dModel: cfg.decoder_d_model,
        numLayers: cfg.decoder_num_layers,
        adaptiveLevels: cfg.decoder_adaptive_patching_levels,
        mode: cfg.decoder_mode,
        dropout: cfg.head_dropout,
      });
      headD = cfg.decoder_d_model;
    }

    // Head: flatten patches × features (patch-major), Linear → P, transpose, select, filter, FCM.
    const flat = this.dropout(b.reshape(dec, [B, C, N * headD]), cfg.head_dropout);
    const headBase = this.linear('head.base_forecast_block', flat); // [B, C, P]
    let y = b.transpose(headBase, [0, 2, 1]); // [B, P, C]
    const pci = forecastChannels(cfg);
    const selectAll = cfg.prediction_channel_indices === null;
    if (!selectAll) y = b.gather(y, pci, 2);
    const pOut = outputLength(cfg);
    if (pOut !== cfg.prediction_length) y = b.slice(y, [0], [pOut], [1]);
    if (cfg.enable_forecast_channel_mixing) y = this.fcm(y, past, inputs.futureValues ?? null, pOut);

    const loc = selectAll ? bLoc : b.gather(bLoc, pci, 2);
    const scale = selectAll ? bScale : b.gather(bScale, pci, 2);
    const prediction = b.add(b.mul(y, scale), loc);
    return {
      predictionOutputs: prediction,
      loc,
      scale,
      backboneLoc: bLoc,
      backboneScale: bScale,
      patchInput,
      backboneHiddenState: backbone,
      decoderHiddenState: dec,
      headBaseForecast: headBase,
      headOutputNormalized: y,
    };
  }

  /** ForecastChannelHeadMixer: reconciles the normalised forecast with raw past and future exogenous values. */
  fcm(forecast: Value, past: Value, future: Value | null, pOut: number): Value {
    const b = this.b;
    const cfg = this.cfg;
    const B = forecast.shape[0];
    const pci = forecastChannels(cfg);
    const eci = cfg.exogenous_channel_indices ?? [];
    const fcl = cfg.fcm_context_length;
    const scl = 2 * fcl + 1;
    const tc = pci.length + eci.length;
    const L = effectiveContextLength(cfg);
    const off = cfg.fcm_prepend_past_offset ?? 0;
    const pastRows = (channels: number[]) => b.gather(b.slice(past, [L - off - fcl], [L - off], [1]), channels, 2); // [B, fcl, k]

    let x = forecast;
    let prepend: Value | null = fcl > 0 ? pastRows(pci) : null;
    if (eci.length > 0) {
      if (future === null) {
        throw new StudioError('GRAPH', 'TTM graph: this model mixes in known future values of exogenous channels; a future_values input is required.');
      }
      let fut = future;
      if (fut.shape[1] !== pOut) fut = b.slice(fut, [0], [pOut], [1]);
      x = b.concat([x, b.gather(fut, eci, 2)], 2); // [B, P_out, tc]
      if (prepend !== null) prepend = b.concat([prepend, pastRows(eci)], 2);
    }
    const residual = forecast;
    let out: Value;
    if (fcl > 0) {
      const zeros = b.mul(b.slice(x, [0], [fcl], [1]), 0); // [B, fcl, tc]
      const ext = b.concat([cfg.fcm_prepend_past && prepend !== null ? prepend : zeros, x, zeros], 1); // [B, P_out + 2fcl, tc]
      const idx = new BigInt64Array(pOut * scl);
      for (let t = 0; t < pOut; t++) for (let j = 0; j < scl; j++) idx[t * scl + j] = BigInt(t + j);
      let w = b.gather(ext, b.constant('int64', [pOut, scl], idx), 1); // [B, P_out, scl, tc]
      w = b.transpose(w, [0, 1, 3, 2]); // [B, P_out, tc, scl]
      let features = scl;
      if (cfg.fcm_use_mixer) {
        w = this.linear('head.fcm_block.fcm_embedding', w); // [B, P_out, tc, 2scl]
        features = 2 * scl;
        w = this.mixerBlock('head.fcm_block.exog_mixer', w, {
          numPatches: tc,
          dModel: features,
          channels: pOut,
          mode: 'common_channel',
          gatedAttn: cfg.fcm_gated_attn,
          numLayers: cfg.fcm_mix_layers,
          adaptiveLevels: 0,
          dropout: cfg.head_dropout,
        });
      }
      w = b.reshape(w, [B, pOut, tc * features]);
      if (cfg.fcm_gated_attn) w = this.gate('head.fcm_block.fcm_gating_block.attn_layer', w);
      out = this.linear('head.fcm_block.mlp', w);
    } else {
      const w = cfg.fcm_gated_attn ? this.gate('head.fcm_block.fcm_gating_block.attn_layer', x) : x;
      out = this.linear('head.fcm_block.mlp', w);
    }
    return b.add(out, residual);
  }
}

/** Adds the TTM forward pass to `b`. `params` maps every state_dict name the config needs to a value. */
export function buildTtmForward(
  b: GraphBuilder,
  cfg: HfTtmConfig,
  params: Readonly<Record<string, Value>>,
  inputs: TtmForwardInputs,
  options: TtmForwardOptions = {},
): TtmForwardOutputs {
  return new TtmGraph(b, cfg, params, options).build(inputs);
}
