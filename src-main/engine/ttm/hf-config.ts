/**
 * The Hugging Face `config.json` of TinyTimeMixerForPrediction, as granite-tsfm's
 * `TinyTimeMixerConfig` reads and writes it (r1, r2 and r2.1 checkpoints use the same keys).
 *
 * - Defaults are the configuration class's constructor defaults (not the hub models' values).
 * - Keys we don't know (transformers' generic keys, future additions) are kept verbatim and
 *   written back on save, so a load → save round trip loses nothing.
 * - `num_patches` is taken as stored: granite-tsfm does not recompute it once it exists (with
 *   resolution prefix tuning it counts the extra frequency patch). Only when absent is it
 *   derived, exactly like `check_and_init_preprocessing`.
 */
import { z } from 'zod';
import { StudioError } from '../errors.js';
import { formatZodIssues } from '../util/json.js';

/**
 * Upper bounds on every architecture number, so a hostile or corrupt config.json is refused
 * before anything is sized from it (parameter tables, graphs, buffers). They are far above any
 * published TTM (r2: context ≤ 1536, d_model ≤ 3·patch_length, a few layers); the parameter
 * count itself is bounded separately (MAX_MODEL_PARAMETERS in checkpoint.ts).
 */
export const HF_CONFIG_BOUNDS = {
  length: 100_000, // context_length, masked_context_length, prediction_length, patch_length/stride, num_patches
  channels: 4096, // num_input_channels, channel indices
  width: 8192, // d_model, decoder_d_model
  expansion: 64, // expansion_factor
  layers: 64, // num_layers, decoder_num_layers, fcm_mix_layers
  adaptiveLevels: 8, // adaptive_patching_levels, decoder_adaptive_patching_levels
  heads: 1024, // self_attn_heads
  vocabulary: 100_000, // frequency_token_vocab_size, categorical vocabularies
  listLength: 4096, // categorical_vocab_size_list and index lists
  samples: 100_000, // num_parallel_samples
} as const;
const B = HF_CONFIG_BOUNDS;

const int = (min: number, max: number) => z.number().int().min(min).max(max);
const indexList = z.array(z.number().int().min(-B.channels).max(B.channels)).max(B.listLength).nullable();
const initScheme = z.enum(['pytorch', 'normal', 'uniform', 'xavier_uniform']);

/** Known keys with granite-tsfm's defaults. Unknown keys pass through untouched. */
export const HfTtmConfigSchema = z.looseObject({
  model_type: z.literal('tinytimemixer').default('tinytimemixer'),
  context_length: int(1, B.length).default(64),
  patch_length: int(1, B.length).default(8),
  num_input_channels: int(1, B.channels).default(1),
  prediction_length: int(1, B.length).default(16),
  patch_stride: int(1, B.length).default(8),
  prediction_channel_indices: indexList.default(null),
  exogenous_channel_indices: indexList.default(null),
  d_model: int(1, B.width).default(16),
  expansion_factor: int(1, B.expansion).default(2),
  num_layers: int(1, B.layers).default(3),
  dropout: z.number().min(0).max(1).default(0.2),
  mode: z.enum(['common_channel', 'mix_channel']).default('common_channel'),
  gated_attn: z.boolean().default(true),
  norm_mlp: z.enum(['LayerNorm', 'BatchNorm']).default('LayerNorm'),
  self_attn: z.boolean().default(false),
  self_attn_heads: int(1, B.heads).default(1),
  use_positional_encoding: z.boolean().default(false),
  positional_encoding_type: z.enum(['sincos', 'random']).default('sincos'),
  scaling: z.union([z.enum(['std', 'mean']), z.boolean(), z.null()]).default('std'),
  loss: z.enum(['mse', 'mae', 'pinball', 'huber', 'nll']).nullable().default('mse'),
  init_std: z.number().min(0).default(0.02),
  post_init: z.boolean().default(false),
  norm_eps: z.number().positive().default(1e-5),
  adaptive_patching_levels: int(0, B.adaptiveLevels).default(0),
  resolution_prefix_tuning: z.boolean().default(false),
  frequency_token_vocab_size: int(1, B.vocabulary).default(5),
  head_dropout: z.number().min(0).max(1).default(0.2),
  distribution_output: z.enum(['student_t', 'normal', 'negative_binomial']).default('student_t'),
  num_parallel_samples: int(1, B.samples).default(100),
  decoder_num_layers: int(1, B.layers).default(8),
  decoder_d_model: int(1, B.width).default(8),
  decoder_adaptive_patching_levels: int(0, B.adaptiveLevels).default(0),
  decoder_raw_residual: z.boolean().default(false),
  decoder_mode: z.enum(['common_channel', 'mix_channel']).default('common_channel'),
  use_decoder: z.boolean().default(true),
  enable_forecast_channel_mixing: z.boolean().default(false),
  fcm_gated_attn: z.boolean().default(true),
  fcm_context_length: int(0, B.length).default(1),
  fcm_use_mixer: z.boolean().default(false),
  fcm_mix_layers: int(1, B.layers).default(2),
  fcm_prepend_past: z.boolean().default(true),
  fcm_prepend_past_offset: int(0, B.length).nullable().default(null),
  categorical_vocab_size_list: z.array(int(1, B.vocabulary)).max(B.listLength).nullable().default(null),
  prediction_filter_length: z.number().int().max(B.length).nullable().default(null),
  init_linear: initScheme.default('pytorch'),
  init_embed: initScheme.default('pytorch'),
  quantile: z.number().gt(0).lt(1).default(0.5),
  huber_delta: z.number().positive().default(1),
  mask_value: z.number().default(0),
  // Derived keys that saved checkpoints carry.
  num_patches: int(1, B.length).optional(),
  init_processing: z.boolean().default(false),
  patch_last: z.boolean().default(true),
  masked_context_length: int(1, B.length).nullable().default(null),
});

export type HfTtmConfigInput = z.input<typeof HfTtmConfigSchema>;
/** A validated config: every known key present, num_patches resolved, index lists sorted. */
export type HfTtmConfig = z.output<typeof HfTtmConfigSchema> & { num_patches: number };

function invalid(message: string, details?: Record<string, unknown>): StudioError {
  return new StudioError('INVALID_INPUT', `Invalid TinyTimeMixer config: ${message}`, details);
}

/** The context the model patches: masked prediction appends the forecast length to the context. */
export function effectiveContextLength(cfg: Pick<HfTtmConfig, 'context_length' | 'masked_context_length'>): number {
  return cfg.masked_context_length ?? cfg.context_length;
}

/** Patches cut from the context (without the frequency prefix patch). */
export function computeDataPatches(cfg: Pick<HfTtmConfig, 'context_length' | 'masked_context_length' | 'patch_length' | 'patch_stride'>): number {
  const L = effectiveContextLength(cfg);
  return Math.floor((Math.max(L, cfg.patch_length) - cfg.patch_length) / cfg.patch_stride) + 1;
}

/** Adaptive-patching factor of level i: 2^i, or 1 when d_model // 2^i <= 4 (as the reference does). */
export function adaptivePatchFactor(dModel: number, level: number): number {
  const f = 2 ** level;
  return Math.floor(dModel / f) <= 4 ? 1 : f;
}

/** Sorted copy; the reference sorts the index lists in check_and_init_preprocessing. */
const sorted = (xs: readonly number[]): number[] => [...xs].sort((a, b) => a - b);

function checkIndices(what: string, xs: readonly number[], channels: number): void {
  const seen = new Set<number>();
  for (const i of xs) {
    if (i < 0 || i >= channels) throw invalid(`${what} contains ${i}, outside 0…${channels - 1} (num_input_channels = ${channels}).`, { [what]: xs });
    if (seen.has(i)) throw invalid(`${what} lists channel ${i} twice.`, { [what]: xs });
    seen.add(i);
  }
}

function checkAdaptiveLevels(what: string, levels: number, dModel: number, dModelKey: string): void {
  for (let i = 0; i < levels; i++) {
    const f = adaptivePatchFactor(dModel, i);
    if (dModel % f !== 0) {
      throw invalid(
        `${what} = ${levels} needs ${dModelKey} (${dModel}) divisible by 2^${i} = ${f} at level ${i}; use a ${dModelKey} that is a multiple of ${2 ** (levels - 1)} or fewer levels.`,
        { [what]: levels, [dModelKey]: dModel },
      );
    }
  }
}

/**
 * Checks the combinations the schema can't express. Messages name the keys involved and what
 * would make them valid. Mirrors the reference's own errors and adds the ones it only hits
 * at forward time (wrong shapes), so a bad file fails on load, not mid-training.
 */
export function validateHfConfig(cfg: HfTtmConfig): void {
  const L = effectiveContextLength(cfg);
  const C = cfg.num_input_channels;
  if (L <= cfg.patch_length) {
    throw invalid(`context_length (${L}) must be greater than patch_length (${cfg.patch_length}).`, { context_length: L, patch_length: cfg.patch_length });
  }
  const expectedPatches = computeDataPatches(cfg) + (cfg.resolution_prefix_tuning ? 1 : 0);
  if (cfg.num_patches !== expectedPatches) {
    throw invalid(
      `num_patches is ${cfg.num_patches} but context_length ${L}, patch_length ${cfg.patch_length} and patch_stride ${cfg.patch_stride}` +
        `${cfg.resolution_prefix_tuning ? ' plus the frequency prefix patch' : ''} give ${expectedPatches}.`,
      { num_patches: cfg.num_patches, expected: expectedPatches },
    );
  }
  checkAdaptiveLevels('adaptive_patching_levels', cfg.adaptive_patching_levels, cfg.d_model, 'd_model');
  if (cfg.use_decoder) checkAdaptiveLevels('decoder_adaptive_patching_levels', cfg.decoder_adaptive_patching_levels, cfg.decoder_d_model, 'decoder_d_model');
  if (cfg.self_attn) {
    for (let i = 0; i < Math.max(1, cfg.adaptive_patching_levels); i++) {
      const d = cfg.d_model / adaptivePatchFactor(cfg.d_model, i);
      if (d % cfg.self_attn_heads !== 0) throw invalid(`self_attn_heads (${cfg.self_attn_heads}) must divide the feature width ${d} of adaptive level ${i}.`);
    }
  }
  const pci = cfg.prediction_channel_indices;
  const eci = cfg.exogenous_channel_indices;
  if (pci !== null) {
    if (pci.length === 0) throw invalid('prediction_channel_indices is empty; use null to forecast every channel.');
    checkIndices('prediction_channel_indices', pci, C);
  }
  if (eci !== null) {
    checkIndices('exogenous_channel_indices', eci, C);
    if (pci !== null) {
      const overlap = eci.filter((i) => pci.includes(i));
      if (overlap.length > 0)
        throw invalid(`channel(s) ${overlap.join(', ')} are both predicted and exogenous.`, {
          prediction_channel_indices: pci,
          exogenous_channel_indices: eci,
        });
    }
  }
  const pfl = cfg.prediction_filter_length;
  if (pfl !== null && (pfl <= 0 || pfl > cfg.prediction_length)) {
    throw invalid(`prediction_filter_length (${pfl}) must be between 1 and prediction_length (${cfg.prediction_length}).`);
  }
  if (cfg.loss === 'nll') {
    throw invalid('loss "nll" (distribution heads) is not supported; granite-tsfm refuses it at forward time too. Use mse, mae, huber or pinball.');
  }
  if (cfg.categorical_vocab_size_list !== null && cfg.decoder_mode !== 'mix_channel') {
    throw invalid('categorical_vocab_size_list needs decoder_mode "mix_channel".');
  }
  if (cfg.categorical_vocab_size_list !== null && !cfg.use_decoder) {
    throw invalid('categorical_vocab_size_list needs use_decoder = true (the categorical embeddings live in the decoder).');
  }
  if (cfg.enable_forecast_channel_mixing && cfg.fcm_context_length > 0 && (pfl ?? cfg.prediction_length) <= 1) {
    throw invalid('forecast channel mixing with fcm_context_length > 0 needs a forecast of at least 2 steps.');
  }
  if (cfg.fcm_prepend_past_offset !== null && cfg.fcm_prepend_past_offset + cfg.fcm_context_length > cfg.context_length) {
    throw invalid(`fcm_prepend_past_offset (${cfg.fcm_prepend_past_offset}) + fcm_context_length reaches before the start of the context.`);
  }
}

/**
 * Parses and validates a config object (e.g. JSON.parse of config.json). Fills defaults,
 * derives num_patches only when absent, sorts the channel index lists and, like the reference,
 * forecasts every non-exogenous channel when only exogenous indices are given.
 */
export function parseHfConfig(raw: unknown, source = 'config.json'): HfTtmConfig {
  const parsed = HfTtmConfigSchema.safeParse(raw);
  if (!parsed.success) {
    throw new StudioError('INVALID_INPUT', `Invalid TinyTimeMixer config in ${source}: ${formatZodIssues(parsed.error, { max: 6 })}`);
  }
  const cfg = { ...parsed.data } as HfTtmConfig;
  if (cfg.num_patches === undefined) {
    cfg.num_patches = computeDataPatches(cfg) + (cfg.resolution_prefix_tuning ? 1 : 0);
  }
  if (cfg.prediction_channel_indices !== null) cfg.prediction_channel_indices = sorted(cfg.prediction_channel_indices);
  if (cfg.exogenous_channel_indices !== null) {
    cfg.exogenous_channel_indices = sorted(cfg.exogenous_channel_indices);
    const inRange = cfg.exogenous_channel_indices.every((i) => i >= 0 && i < cfg.num_input_channels);
    if (cfg.prediction_channel_indices === null && inRange) {
      const ex = new Set(cfg.exogenous_channel_indices);
      const rest: number[] = [];
      for (let i = 0; i < cfg.num_input_channels; i++) if (!ex.has(i)) rest.push(i);
      if (rest.length === 0) throw invalid('every channel is exogenous; at least one channel must be forecast.');
      cfg.prediction_channel_indices = rest;
    }
  }
  // The reference marks the config as processed once a model was built from it.
  cfg.init_processing = true;
  validateHfConfig(cfg);
  return cfg;
}

/** Parses config.json text. Bad JSON is a PARSE error; a bad config an INVALID_INPUT error. */
export function parseHfConfigJson(text: string, source = 'config.json'): HfTtmConfig {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (e) {
    throw new StudioError('PARSE', `${source} is not valid JSON: ${(e as Error).message}`, { source }, { cause: e });
  }
  return parseHfConfig(raw, source);
}

/**
 * Serialises like transformers' save_pretrained: sorted keys, 2-space indent, trailing newline.
 * Unknown keys are written back as they were read.
 */
export function serializeHfConfig(cfg: HfTtmConfig): string {
  const out: Record<string, unknown> = {};
  const withDefaults: Record<string, unknown> = {
    architectures: ['TinyTimeMixerForPrediction'],
    ...cfg,
  };
  for (const k of Object.keys(withDefaults).sort()) {
    const v = withDefaults[k];
    if (v !== undefined) out[k] = v;
  }
  return `${JSON.stringify(out, null, 2)}\n`;
}

/** Returns a copy with some keys changed, re-validated (e.g. prediction_filter_length from the hub resolver). */
export function withHfConfigOverrides(cfg: HfTtmConfig, overrides: Partial<HfTtmConfigInput>): HfTtmConfig {
  const merged: Record<string, unknown> = { ...cfg, ...overrides };
  // num_patches is derived from the geometry: drop it when the geometry changes so it is re-derived.
  const geometry = ['context_length', 'patch_length', 'patch_stride', 'resolution_prefix_tuning', 'masked_context_length'] as const;
  if (geometry.some((k) => k in overrides) && !('num_patches' in overrides)) delete merged.num_patches;
  return parseHfConfig(merged, 'config overrides');
}

/** Channels the head forecasts, in order (sorted prediction_channel_indices, or all channels). */
export function forecastChannels(cfg: HfTtmConfig): number[] {
  return cfg.prediction_channel_indices ?? Array.from({ length: cfg.num_input_channels }, (_, i) => i);
}

/** Steps the model returns: prediction_filter_length when set, else prediction_length. */
export function outputLength(cfg: HfTtmConfig): number {
  return cfg.prediction_filter_length ?? cfg.prediction_length;
}

/** Frequency tokens of granite-tsfm's DEFAULT_FREQUENCY_MAPPING (unknown frequencies are "oov" = 0). */
export const FREQUENCY_TOKENS: Readonly<Record<string, number>> = {
  oov: 0,
  min: 1,
  '2min': 2,
  '5min': 3,
  '10min': 4,
  '15min': 5,
  '30min': 6,
  h: 7,
  H: 7,
  d: 8,
  D: 8,
  W: 9,
};

/** Token for a sampling interval in minutes (5 → 3); 0 ("oov") when the mapping has none. */
export function frequencyTokenForMinutes(minutes: number): number {
  const byMinutes: Record<number, number> = { 1: 1, 2: 2, 5: 3, 10: 4, 15: 5, 30: 6, 60: 7, 1440: 8, 10080: 9 };
  return byMinutes[minutes] ?? 0;
}

/** Checks a frequency token is inside the model's vocabulary (the default vocabulary is 5). */
export function checkFrequencyToken(cfg: HfTtmConfig, token: number): void {
  if (!Number.isInteger(token) || token < 0 || token >= cfg.frequency_token_vocab_size) {
    throw new StudioError(
      'INVALID_INPUT',
      `Frequency token ${token} is outside this model's vocabulary (0…${cfg.frequency_token_vocab_size - 1}); the data's resolution is not one the model was trained with.`,
    );
  }
}
