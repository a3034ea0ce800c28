/**
 * Inference model: the forward graph with the weights as constants and a symbolic batch.
 * Inputs (names fixed, see TTM_IO): past_values [batch, L, C]; optionally
 * past_observed_mask [batch, L, C]; future_values [batch, P_out, C] when the FCM head mixes
 * in exogenous channels; freq_token int64 [batch] with resolution prefix tuning.
 */
import { GraphBuilder, type Value } from '../../onnx/index.js';
import { StudioError } from '../../errors.js';
import { effectiveContextLength, outputLength, type HfTtmConfig } from '../hf-config.js';
import type { ModelWeights } from '../init.js';
import { checkWeightsMatchConfig } from '../checkpoint.js';
import { writeFileAtomic } from '../../util/atomic-write.js';
import { ttmParameterSpecs } from '../parameter-shapes.js';
import { buildTtmForward, type TtmForwardOutputs } from './forward.js';

export const TTM_IO = {
  pastValues: 'past_values',
  pastObservedMask: 'past_observed_mask',
  futureValues: 'future_values',
  freqToken: 'freq_token',
  predictionOutputs: 'prediction_outputs',
  loc: 'loc',
  scale: 'scale',
} as const;

/** Intermediate outputs (names as in the fixtures' io.safetensors). */
export const TTM_INTERMEDIATES: Readonly<Record<string, keyof TtmForwardOutputs>> = {
  backbone_loc: 'backboneLoc',
  backbone_scale: 'backboneScale',
  patch_input: 'patchInput',
  backbone_hidden_state: 'backboneHiddenState',
  decoder_hidden_state: 'decoderHiddenState',
  head_base_forecast: 'headBaseForecast',
  head_output_normalized: 'headOutputNormalized',
};

export interface TtmInferenceOptions {
  /** Declare past_observed_mask (otherwise every value counts as observed). */
  observedMask?: boolean;
  /** Also output the intermediates of TTM_INTERMEDIATES (for tests and diagnostics). */
  intermediates?: boolean;
  /** Batch dimension: a symbol (default 'batch') or a fixed size. */
  batch?: string | number;
}

export interface TtmInferenceModel {
  model: Uint8Array;
  inputs: string[];
  outputs: string[];
  /** Steps and channels of prediction_outputs. */
  outputLength: number;
  outputChannels: number;
}

/** Whether the model needs known future values (exogenous channels mixed in by the FCM head). */
export function needsFutureValues(cfg: HfTtmConfig): boolean {
  return cfg.enable_forecast_channel_mixing && (cfg.exogenous_channel_indices?.length ?? 0) > 0;
}

export function buildTtmInferenceModel(cfg: HfTtmConfig, weights: ModelWeights, options: TtmInferenceOptions = {}): TtmInferenceModel {
  checkWeightsMatchConfig(cfg, weights, 'the weights for the inference graph');
  const b = new GraphBuilder('ttm_forecast');
  const batch = options.batch ?? 'batch';
  const L = effectiveContextLength(cfg);
  const C = cfg.num_input_channels;
  const pOut = outputLength(cfg);
  const past = b.input(TTM_IO.pastValues, 'float32', [batch, L, C]);
  const mask = options.observedMask ? b.input(TTM_IO.pastObservedMask, 'float32', [batch, L, C]) : null;
  const future = needsFutureValues(cfg) ? b.input(TTM_IO.futureValues, 'float32', [batch, pOut, C]) : null;
  const freq = cfg.resolution_prefix_tuning ? b.input(TTM_IO.freqToken, 'int64', [batch]) : null;
  const params: Record<string, Value> = {};
  for (const spec of ttmParameterSpecs(cfg)) {
    const w = weights.get(spec.name);
    if (w === undefined) throw new StudioError('MODEL', `Weight "${spec.name}" is missing.`);
    params[spec.name] = b.constant('float32', spec.shape, w.data, spec.name);
  }
  const out = buildTtmForward(b, cfg, params, { pastValues: past, pastObservedMask: mask, futureValues: future, freqToken: freq });
  b.output(out.predictionOutputs, TTM_IO.predictionOutputs);
  b.output(out.loc, TTM_IO.loc);
  b.output(out.scale, TTM_IO.scale);
  const outputs: string[] = [TTM_IO.predictionOutputs, TTM_IO.loc, TTM_IO.scale];
  if (options.intermediates) {
    for (const [name, key] of Object.entries(TTM_INTERMEDIATES)) {
      b.output(out[key], name);
      outputs.push(name);
    }
  }
  // Self-describing exports: a consumer of the .onnx file can read the window geometry.
  const metadata: Record<string, string> = {
    'ttm.context_length': String(L),
    'ttm.prediction_length': String(pOut),
    'ttm.num_input_channels': String(C),
    'ttm.forecast_channels': JSON.stringify(cfg.prediction_channel_indices ?? Array.from({ length: C }, (_, i) => i)),
    'ttm.exogenous_channels': JSON.stringify(cfg.exogenous_channel_indices ?? []),
    'ttm.resolution_prefix_tuning': String(cfg.resolution_prefix_tuning),
  };
  return {
    model: b.toModel({ docString: `TinyTimeMixer forecast: context ${L}, ${C} channels, ${pOut} steps.`, producerName: 'ttm-studio', metadata }),
    inputs: b.graphInputs.map((v) => v.name),
    outputs,
    outputLength: pOut,
    outputChannels: out.predictionOutputs.shape[2] as number,
  };
}

/** Writes the inference model as a standalone .onnx file (atomically). Returns its size in bytes. */
export async function exportTtmOnnx(path: string, cfg: HfTtmConfig, weights: ModelWeights, options: TtmInferenceOptions = {}): Promise<number> {
  const built = buildTtmInferenceModel(cfg, weights, options);
  await writeFileAtomic(path, built.model);
  return built.model.length;
}
