/** TTM as ONNX graphs: forward pass, inference model, training step. */
export { buildTtmForward, type DropoutMaskFactory, type TtmForwardInputs, type TtmForwardOptions, type TtmForwardOutputs } from './forward.js';
export {
  TTM_INTERMEDIATES,
  TTM_IO,
  buildTtmInferenceModel,
  exportTtmOnnx,
  needsFutureValues,
  type TtmInferenceModel,
  type TtmInferenceOptions,
} from './inference.js';
export {
  TTM_TRAIN_IO,
  buildTtmTrainingGraph,
  buildTtmShardedTrainingGraphs,
  lossSpecFromConfig,
  optimizerStateFromCheckpoint,
  trainingStateFromOptimizer,
  weightsFromFlat,
  type DropoutInput,
  type TtmShardedTrainingGraphs,
  type TtmTrainingGraph,
  type TtmTrainingGraphOptions,
} from './training.js';
export { TtmPredictor, windowsPerWorkerRun, type TtmPrediction, type TtmPredictInput, type TtmPredictorOptions } from './predictor.js';
