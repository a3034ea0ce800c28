/**
 * TTM training step: forward + loss (in data units, like TinyTimeMixerForPrediction) +
 * gradients + AdamW in one ONNX graph (onnx/optimizer.ts). Trainable parameters travel in
 * the flat buffer; frozen ones (everything under `backbone.` with freezeBackbone, buffers,
 * the sincos table) are constants of the graph.
 *
 * Data inputs: past_values [batch, L, C], future_values [batch, P_out, C] (all channels, the
 * loss picks the forecast channels, the FCM head reads the exogenous ones), optional
 * past_observed_mask / future_observed_mask, freq_token [batch] int64 with prefix tuning,
 * and one float keep-mask input per dropout site when dropout is on (see `dropoutInputs`;
 * fill them with onnx's `dropoutMask`).
 */
import {
  DataParallelTrainer,
  Trainer,
  buildShardedTrainingGraphs,
  buildTrainingGraph,
  loss as lossOp,
  lossParts,
  type ParameterLayout,
  type ExecutionProvider,
  type ShardedTrainingGraphs,
  type StepTrainer,
  type TrainingGraphSpec,
  type AdamWOptions,
  type Dim,
  type LossSpec,
  type OptimizerState,
  type TrainingGraph,
  type Value,
} from '../../onnx/index.js';
import { StudioError } from '../../errors.js';
import { effectiveContextLength, forecastChannels, outputLength, type HfTtmConfig } from '../hf-config.js';
import type { ModelWeights } from '../init.js';
import { checkWeightsMatchConfig, type TrainingState } from '../checkpoint.js';
import { isTrainable, ttmParameterSpecs, type ParameterSpec } from '../parameter-shapes.js';
import { buildTtmForward } from './forward.js';
import { TTM_IO } from './inference.js';

export const TTM_TRAIN_IO = {
  ...TTM_IO,
  futureObservedMask: 'future_observed_mask',
  predictions: 'predictions',
} as const;

export interface TtmTrainingGraphOptions {
  freezeBackbone: boolean;
  /** Defaults to the config's loss (mse, mae, huber with huber_delta, pinball with quantile). */
  loss?: LossSpec;
  optimizer?: AdamWOptions;
  pastObservedMask?: boolean;
  futureObservedMask?: boolean;
  /** Declare dropout keep-mask inputs (training mode). Off: dropout is skipped, as in eval(). */
  dropout?: boolean;
  /** Output the flat raw gradient ('grads'). */
  outputGradients?: boolean;
  /** Output the de-normalised forecast ('predictions'). */
  outputPredictions?: boolean;
}

export interface DropoutInput {
  name: string;
  shape: readonly Dim[];
  p: number;
}

export interface TtmTrainingGraph {
  graph: TrainingGraph;
  /** Trainable parameters in flat-buffer order. */
  trainable: ParameterSpec[];
  /** The flat starting parameters (layout order), ready for Trainer.create. */
  initialParams: Float32Array;
  dropoutInputs: DropoutInput[];
}

export function lossSpecFromConfig(cfg: HfTtmConfig): LossSpec {
  switch (cfg.loss) {
    case 'mae':
      return { kind: 'mae' };
    case 'huber':
      return { kind: 'huber', delta: cfg.huber_delta };
    case 'pinball':
      return { kind: 'pinball', quantiles: cfg.quantile };
    case 'mse':
    case null:
      return { kind: 'mse' };
    default:
      throw new StudioError('UNSUPPORTED', `Loss "${String(cfg.loss)}" cannot be trained.`);
  }
}

/** The training step split for data parallelism over `shards` batch slices (see onnx buildShardedTrainingGraphs). */
export interface TtmShardedTrainingGraphs {
  graphs: ShardedTrainingGraphs;
  trainable: ParameterSpec[];
  initialParams: Float32Array;
  dropoutInputs: DropoutInput[];
}

export function buildTtmTrainingGraph(cfg: HfTtmConfig, weights: ModelWeights, options: TtmTrainingGraphOptions): TtmTrainingGraph {
  const { spec, trainable, dropoutInputs } = ttmTrainingSpec(cfg, weights, options);
  const graph = buildTrainingGraph(spec);
  return { graph, trainable, initialParams: flatInitialParams(graph.layout, weights), dropoutInputs };
}

export function buildTtmShardedTrainingGraphs(
  cfg: HfTtmConfig,
  weights: ModelWeights,
  options: TtmTrainingGraphOptions,
  shards: number,
): TtmShardedTrainingGraphs {
  const { spec, trainable, dropoutInputs } = ttmTrainingSpec(cfg, weights, options);
  const graphs = buildShardedTrainingGraphs(spec, shards);
  return { graphs, trainable, initialParams: flatInitialParams(graphs.layout, weights), dropoutInputs };
}

/** Smallest batch slice per data-parallel worker (smaller batches train in one session). */
export const MIN_WORKER_BATCH = 16;

export interface TtmTrainerOptions {
  /** CPU threads: with ≥ 2 on the CPU and a batch of ≥ 2 × MIN_WORKER_BATCH, one worker thread per thread. */
  threads: number;
  device: ExecutionProvider;
  /** The usual batch size (the last batch of an epoch may be smaller; any size works). */
  batchSize: number;
}

export interface TtmTrainer {
  trainer: StepTrainer;
  /** The flat parameter layout (weightsFromFlat, checkpoint state). */
  graph: WithLayout;
  dropoutInputs: DropoutInput[];
  /** Worker threads computing gradients in parallel; 0 when one session runs the whole step. */
  workers: number;
}

/**
 * The trainer for a TTM: on the CPU with ≥ 2 threads, data parallel (one 1-thread gradient
 * session per thread, DataParallelTrainer), ~1.7× faster than one multi-threaded session
 * for this many-small-ops graph; otherwise (CUDA, 1 thread, small batches) one session.
 */
export async function createTtmTrainer(
  cfg: HfTtmConfig,
  weights: ModelWeights,
  graphOptions: TtmTrainingGraphOptions,
  options: TtmTrainerOptions,
): Promise<TtmTrainer> {
  const { threads, device, batchSize } = options;
  if (device === 'cpu' && threads >= 2 && batchSize >= 2 * MIN_WORKER_BATCH) {
    const shards = Math.min(threads, Math.floor(batchSize / MIN_WORKER_BATCH));
    const built = buildTtmShardedTrainingGraphs(cfg, weights, graphOptions, shards);
    const trainer = await DataParallelTrainer.create(built.graphs, built.initialParams);
    return { trainer, graph: built.graphs, dropoutInputs: built.dropoutInputs, workers: shards };
  }
  const built = buildTtmTrainingGraph(cfg, weights, graphOptions);
  const trainer = await Trainer.create(built.graph, built.initialParams, { threads, executionProvider: device });
  return { trainer, graph: built.graph, dropoutInputs: built.dropoutInputs, workers: 0 };
}

function flatInitialParams(layout: ParameterLayout, weights: ModelWeights): Float32Array {
  const initialParams = new Float32Array(layout.total);
  for (const e of layout.entries) initialParams.set((weights.get(e.name) as { data: Float32Array }).data, e.offset);
  return initialParams;
}

function ttmTrainingSpec(
  cfg: HfTtmConfig,
  weights: ModelWeights,
  options: TtmTrainingGraphOptions,
): { spec: TrainingGraphSpec; trainable: ParameterSpec[]; dropoutInputs: DropoutInput[] } {
  checkWeightsMatchConfig(cfg, weights, 'the weights for the training graph');
  if (options.dropout && cfg.norm_mlp.toLowerCase().includes('batch')) {
    throw new StudioError('UNSUPPORTED', 'Training TTMs with BatchNorm mixers is not supported (only running-statistics inference).');
  }
  const specs = ttmParameterSpecs(cfg);
  const trainable = specs.filter((s) => isTrainable(s, { freezeBackbone: options.freezeBackbone }));
  if (trainable.length === 0) throw new StudioError('INVALID_INPUT', 'Nothing to train: every parameter is frozen.');
  const L = effectiveContextLength(cfg);
  const C = cfg.num_input_channels;
  const pOut = outputLength(cfg);
  const pci = forecastChannels(cfg);
  const lossSpec = options.loss ?? lossSpecFromConfig(cfg);
  const dropoutInputs: DropoutInput[] = [];

  const spec: TrainingGraphSpec = {
    name: 'ttm_train_step',
    params: trainable.map((s) => ({ name: s.name, shape: s.shape })),
    optimizer: options.optimizer,
    outputGradients: options.outputGradients,
    forward: (b, trainableValues) => {
      const past = b.input(TTM_TRAIN_IO.pastValues, 'float32', ['batch', L, C]);
      const future = b.input(TTM_TRAIN_IO.futureValues, 'float32', ['batch', pOut, C]);
      const pastMask = options.pastObservedMask ? b.input(TTM_TRAIN_IO.pastObservedMask, 'float32', ['batch', L, C]) : null;
      const futureMask = options.futureObservedMask ? b.input(TTM_TRAIN_IO.futureObservedMask, 'float32', ['batch', pOut, C]) : null;
      const freq = cfg.resolution_prefix_tuning ? b.input(TTM_TRAIN_IO.freqToken, 'int64', ['batch']) : null;
      const params: Record<string, Value> = { ...trainableValues };
      for (const s of specs) {
        if (params[s.name] !== undefined) continue;
        const w = weights.get(s.name);
        if (w === undefined) throw new StudioError('MODEL', `Weight "${s.name}" is missing.`);
        params[s.name] = b.constant('float32', s.shape, w.data, `frozen.${s.name}`);
      }
      const out = buildTtmForward(
        b,
        cfg,
        params,
        { pastValues: past, pastObservedMask: pastMask, futureValues: future, freqToken: freq },
        {
          oneHotEmbedding: true,
          dropoutMask: options.dropout
            ? (site, shape, p) => {
                const name = `${site}_mask`;
                dropoutInputs.push({ name, shape, p });
                return b.input(name, 'float32', shape);
              }
            : undefined,
        },
      );
      // Targets: the forecast channels of future_values (all channels are fed for the FCM).
      const selectAll = cfg.prediction_channel_indices === null;
      const target = selectAll ? future : b.gather(future, pci, 2);
      const mask = futureMask === null ? null : selectAll ? futureMask : b.gather(futureMask, pci, 2);
      const l = lossOp(b, lossSpec, out.predictionOutputs, target, { mask });
      const parts = lossParts(b, lossSpec, out.predictionOutputs, target, { mask });
      const outputs: Record<string, Value> = {};
      if (options.outputPredictions) outputs[TTM_TRAIN_IO.predictions] = out.predictionOutputs;
      return { loss: l, lossParts: parts, outputs };
    },
  };
  return { spec, trainable, dropoutInputs };
}

/** A training graph or its data-parallel split: anything with the flat parameter layout. */
type WithLayout = Pick<TrainingGraph, 'layout'>;

/** Copies trained values from a flat buffer back into a weights map (frozen entries are shared, not copied). */
export function weightsFromFlat(base: ModelWeights, graph: WithLayout, flat: Float32Array | Float64Array): ModelWeights {
  const out: ModelWeights = new Map(base);
  for (const e of graph.layout.entries) out.set(e.name, { shape: e.shape, data: Float32Array.from(flat.subarray(e.offset, e.offset + e.size)) });
  return out;
}

/** The Trainer's flat optimizer state as the checkpoint's per-parameter TrainingState. */
export function trainingStateFromOptimizer(graph: WithLayout, state: OptimizerState, metadata: Record<string, string> = {}): TrainingState {
  const expAvg = new Map<string, Float32Array>();
  const expAvgSq = new Map<string, Float32Array>();
  for (const e of graph.layout.entries) {
    expAvg.set(e.name, Float32Array.from(state.m.subarray(e.offset, e.offset + e.size)));
    expAvgSq.set(e.name, Float32Array.from(state.v.subarray(e.offset, e.offset + e.size)));
  }
  return { step: state.step, expAvg, expAvgSq, metadata };
}

/**
 * Rebuilds the Trainer's flat state from checkpoint weights and optimizer moments, to resume
 * training. Every trainable parameter needs both moments (a checkpoint saved with a different
 * freeze setting cannot be resumed as is).
 */
export function optimizerStateFromCheckpoint(graph: WithLayout, weights: ModelWeights, state: TrainingState): OptimizerState {
  const n = graph.layout.total;
  const params = new Float32Array(n);
  const m = new Float32Array(n);
  const v = new Float32Array(n);
  const missing: string[] = [];
  for (const e of graph.layout.entries) {
    const w = weights.get(e.name);
    const a = state.expAvg.get(e.name);
    const b = state.expAvgSq.get(e.name);
    if (w === undefined || a === undefined || b === undefined || a.length !== e.size || b.length !== e.size || w.data.length !== e.size) {
      missing.push(e.name);
      continue;
    }
    params.set(w.data, e.offset);
    m.set(a, e.offset);
    v.set(b, e.offset);
  }
  if (missing.length > 0) {
    throw new StudioError(
      'MODEL',
      `The optimizer state cannot resume this training graph: no matching moments for ${missing.slice(0, 5).join(', ')}${missing.length > 5 ? ` and ${missing.length - 5} more` : ''}. Was it saved with a different freeze_backbone setting?`,
    );
  }
  return { params, m, v, step: state.step };
}
