/**
 * A TTM ready for a study: the HF network plus the preprocessor that turns grid columns into
 * model channels (channel order targets → inputs, a global standard scaler fitted on the
 * training part). Standardising before the model matters even though TTM scales each
 * window itself: the exogenous mixer reads the covariates' values as given (insulin in U
 * and carbs in g would dwarf scaled glucose), and the
 * training loss is then comparable across patients.
 *
 * Also the batch plumbing shared by training, validation, prediction and evaluation:
 * windows → scaled [B, L, C] / [B, P, C] tensors, and model output → mmol/L forecasts.
 */
import { StudioError } from '../errors.js';
import { isChannel, type Channel } from '../data/grid/channels.js';
import { fitScaler } from '../data/scalers.js';
import { materializeBatch, type Batch, type WindowDescriptor } from '../data/windows.js';
import { adaptPretrained, hfOverridesForTtmConfig, r2TtmConfig, randomTtmConfig } from './adapt.js';
import { PREPROCESSOR_FORMAT_VERSION, type Preprocessor } from './checkpoint.js';
import { effectiveContextLength, frequencyTokenForMinutes, outputLength, type HfTtmConfig } from './hf-config.js';
import { initializeTtmWeights, type ModelWeights } from './init.js';
import type { TtmPredictor } from './graph/predictor.js';
import type { TTMConfig } from './ttm-config.js';
import { trainingParts, type PreparedData } from '../data/prepared-data.js';

export interface TtmModelState {
  config: HfTtmConfig;
  weights: ModelWeights;
  preprocessor: Preprocessor;
}

export function channelsOf(config: Pick<TTMConfig, 'targetFeatures' | 'inputFeatures'>): Channel[] {
  const names = [...config.targetFeatures, ...config.inputFeatures];
  for (const n of names) if (!isChannel(n)) throw new StudioError('INVALID_INPUT', `"${n}" is not a grid channel (bg_mM, dose_units, iob, cob, …).`);
  return names as Channel[];
}

/** Fits the preprocessor (global standard scaler) on the training part only. */
export function fitPreprocessor(config: TTMConfig, data: PreparedData, hf: HfTtmConfig): Preprocessor {
  const channels = channelsOf(config);
  const state = fitScaler('standard', channels, trainingParts(data));
  const g = state.groups.global ?? {};
  // 0 is the reference's out-of-vocabulary token (resolutions without a token of their own).
  const token = frequencyTokenForMinutes(data.resolutionMin);
  return {
    formatVersion: PREPROCESSOR_FORMAT_VERSION,
    channels: channels.map((name) => ({ name, role: config.targetFeatures.includes(name) ? 'target' : 'conditional' })),
    scaler: { type: 'standard', mean: channels.map((c) => g[c]?.loc ?? 0), std: channels.map((c) => g[c]?.scale ?? 1) },
    resolutionMin: data.resolutionMin,
    frequencyToken: token,
    contextLength: effectiveContextLength(hf),
    forecastLength: outputLength(hf),
    glucoseUnit: 'mmol/L',
    imputationStrategy: config.imputationStrategy,
  };
}

/** A network a run starts from, and what of the base model it could not keep. */
export interface InitialNetwork {
  config: HfTtmConfig;
  weights: ModelWeights;
  /**
   * Tensors of the base model freshly initialised to fit the study (new ones, and ones whose
   * shape changed, e.g. a mix-channel decoder sized for another number of channels), with the
   * shapes; empty when the base model is used as it is, and for from-scratch networks.
   */
  reinitialized: { name: string; from: readonly number[] | null; to: readonly number[] }[];
}

function describeBase(c: HfTtmConfig): string {
  return `${c.num_input_channels} input channel${c.num_input_channels === 1 ? '' : 's'} with a ${c.decoder_mode} decoder${c.exogenous_channel_indices !== null ? ' and exogenous channels' : ''}`;
}

/**
 * The network a run starts from: the base model adapted to the study's channels (training
 * with covariates switches to mix_channel decoding), or a fresh from-scratch TTM sized like
 * granite-tsfm's get_random_ttm. Zero-shot changes nothing: a base model that would need any
 * tensor re-initialised for this data (a mix-channel checkpoint made for another number of
 * channels) is refused with both channel counts, since it would no longer be the model chosen;
 * training adapts it and lists the re-initialised tensors in `reinitialized`.
 */
export function initialNetwork(config: TTMConfig, base: { config: HfTtmConfig; weights: ModelWeights } | null): InitialNetwork {
  const overrides = hfOverridesForTtmConfig(config);
  if (config.trainingMode === 'from_scratch' || base === null) {
    if (config.trainingMode !== 'from_scratch')
      throw new StudioError('INVALID_INPUT', `${config.trainingMode} needs a base model; register one or use trainingMode "from_scratch".`);
    const hf =
      config.scratchArchitecture === 'r2'
        ? r2TtmConfig(config.contextLength, config.forecastLength, overrides)
        : randomTtmConfig(config.contextLength, config.forecastLength, 'small', { ...overrides, dropout: 0.2, head_dropout: 0.2 });
    return { config: hf, weights: initializeTtmWeights(hf, config.seed), reinitialized: [] };
  }
  const channels = channelsOf(config);
  const refuse = (why: string): StudioError =>
    new StudioError(
      'INVALID_INPUT',
      `The base model has ${describeBase(base.config)}; this data gives it ${channels.length} channel${channels.length === 1 ? '' : 's'} (${channels.join(', ')}). ` +
        `Zero-shot would ${why}, so it would no longer be the model you chose. Use a model made for ${channels.length} channel${channels.length === 1 ? '' : 's'} ` +
        `(a common_channel decoder takes any number), or fine-tune this one (the run lists the tensors it re-initialises).`,
      { modelChannels: base.config.num_input_channels, dataChannels: channels.length, decoderMode: base.config.decoder_mode },
    );
  let adapted;
  try {
    adapted = adaptPretrained(base, overrides, config.seed);
  } catch (e) {
    if (config.trainingMode === 'zero_shot' && e instanceof StudioError && e.code === 'INVALID_INPUT')
      throw refuse(`need a different architecture (${e.message})`);
    throw e;
  }
  const reinitialized = [
    ...adapted.added.map((name) => ({ name, from: null, to: adapted.weights.get(name)!.shape })),
    ...adapted.reshaped.map((r) => ({ name: r.name, from: r.from, to: r.to })),
  ];
  if (config.trainingMode === 'zero_shot' && reinitialized.length > 0) {
    const names = reinitialized.map((r) => r.name);
    throw refuse(`re-initialise ${names.length} tensor${names.length === 1 ? '' : 's'} (${names.slice(0, 4).join(', ')}${names.length > 4 ? ', …' : ''})`);
  }
  return { config: adapted.config, weights: adapted.weights, reinitialized };
}

function scalerOf(pre: Preprocessor): { mean: number[]; std: number[] } {
  if (pre.scaler.type !== 'standard') throw new StudioError('UNSUPPORTED', `Scaler "${pre.scaler.type}" is not supported by the forecaster; use standard.`);
  return { mean: pre.scaler.mean, std: pre.scaler.std };
}

export interface ScaledBatch {
  batch: Batch;
  /** [B, L, C] scaled past values, model order. */
  past: Float32Array;
  /** [B, P, C] scaled future values (all channels: the loss picks the targets). */
  future: Float32Array;
  /** [B, P, C] 1 = observed target. */
  futureMask: Float32Array;
}

/** Windows → scaled model tensors (one copy; the transform applies the preprocessor). */
export function scaledBatch(data: PreparedData, windows: readonly WindowDescriptor[], pre: Preprocessor): ScaledBatch {
  const channels = pre.channels.map((c) => c.name as Channel);
  const { mean, std } = scalerOf(pre);
  const index = new Map(channels.map((c, i) => [c, i]));
  const batch = materializeBatch(data.grids, windows, {
    contextLength: pre.contextLength,
    forecastLength: pre.forecastLength,
    inputChannels: channels,
    targetChannels: channels,
    transform: (_p, c, v) => (v - mean[index.get(c)!]!) / std[index.get(c)!]!,
  });
  return { batch, past: batch.past, future: batch.future, futureMask: Float32Array.from(batch.futureMask) };
}

/**
 * Per-step loss weights of TTMConfig's lossHorizonSteps / lossTailWeight, or null when every
 * step counts alike. Users judge a glucose forecast at 30–120 min while a uniform loss over 96
 * steps spends most of its weight on hours 2–8; these weights move it to the early steps
 * without changing the 96-step interface.
 */
export function horizonLossWeights(config: Pick<TTMConfig, 'lossHorizonSteps' | 'lossTailWeight'>, steps: number): Float32Array | null {
  if (config.lossHorizonSteps === null || config.lossHorizonSteps >= steps || config.lossTailWeight === 1) return null;
  const w = new Float32Array(steps);
  for (let h = 0; h < steps; h++) w[h] = h < config.lossHorizonSteps ? 1 : config.lossTailWeight;
  return w;
}

/**
 * Folds per-step weights into an observed-target mask [B, P, C] in place: the losses' masked
 * mean sum(l·m) / sum(m) then becomes the weighted mean over observed targets.
 */
export function weightFutureMask(mask: Float32Array, weights: Float32Array | null, steps: number, channels: number): void {
  if (weights === null) return;
  if (weights.length !== steps) throw new StudioError('INTERNAL', `Loss weights have ${weights.length} steps, the batch ${steps}.`);
  for (let i = 0; i < mask.length; i++) mask[i] = mask[i]! * weights[Math.floor(i / channels) % steps]!;
}

/** The glucose target's position among the model's output channels. */
export function glucoseOutputIndex(pre: Preprocessor): number {
  const i = pre.channels.filter((c) => c.role === 'target').findIndex((c) => c.name === 'bg_mM');
  if (i < 0) throw new StudioError('INVALID_INPUT', 'The model does not forecast bg_mM; evaluation and intervals are defined for glucose.');
  return i;
}

export interface WindowForecast {
  /** [W, P] glucose forecasts, mmol/L. */
  forecast: Float64Array;
  /** [W, P] observed glucose targets, mmol/L (NaN where unknown). */
  target: Float64Array;
  /** [W, P] 1 = observed target (scored), 0 = imputed. */
  targetMask: Uint8Array;
  /** [W, L] unscaled glucose context (for baselines). */
  context: Float64Array;
  contextMask: Uint8Array;
}

/** Runs the predictor over windows in batches; returns glucose forecasts in mmol/L. */
export async function ttmForecastWindows(
  predictor: TtmPredictor,
  pre: Preprocessor,
  data: PreparedData,
  windows: readonly WindowDescriptor[],
  batchSize: number,
  signal?: AbortSignal,
): Promise<Float64Array> {
  const P = pre.forecastLength;
  const gi = glucoseOutputIndex(pre);
  const ch = pre.channels.findIndex((c) => c.name === 'bg_mM');
  const { mean, std } = scalerOf(pre);
  const out = new Float64Array(windows.length * P);
  const freq = predictor.config.resolution_prefix_tuning ? (pre.frequencyToken ?? undefined) : undefined;
  for (let s = 0; s < windows.length; s += batchSize) {
    if (signal?.aborted === true) throw new StudioError('CANCELLED', 'Forecasting was cancelled.');
    const chunk = windows.slice(s, s + batchSize);
    const sb = scaledBatch(data, chunk, pre);
    const res = await predictor.predict({
      pastValues: sb.past,
      batch: chunk.length,
      steps: pre.contextLength,
      ...(freq !== undefined ? { freqToken: freq } : {}),
      ...(predictor.config.exogenous_channel_indices !== null ? { futureValues: sb.future } : {}),
    });
    const [, pOut, cOut] = res.dims;
    for (let b = 0; b < chunk.length; b++) {
      for (let h = 0; h < P && h < pOut; h++) out[(s + b) * P + h] = res.predictions[(b * pOut + h) * cOut + gi]! * std[ch]! + mean[ch]!;
    }
  }
  return out;
}

/** Unscaled glucose context and targets of windows (what baselines and metrics read). */
export function glucoseWindows(data: PreparedData, windows: readonly WindowDescriptor[], contextLength: number, forecastLength: number): WindowForecast {
  const b = materializeBatch(data.grids, windows, { contextLength, forecastLength, inputChannels: ['bg_mM'], targetChannels: ['bg_mM'] });
  return {
    forecast: new Float64Array(windows.length * forecastLength),
    target: Float64Array.from(b.future),
    targetMask: b.futureMask,
    context: Float64Array.from(b.past),
    contextMask: b.pastMask,
  };
}
