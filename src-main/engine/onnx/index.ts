/** Public API of the ONNX graph engine (see docs/engine.md). */
export { GraphBuilder, Value, OPSET_VERSION, IR_VERSION, attr, type GraphNode, type ModelOptions, type Operand, type OpOptions } from './builder.js';
export { reshapeDims, inferOutputs, knownContents, type InferredType, type KnownLookup } from './infer.js';
export { gradients, reduceToShape, GRAD_RULES, type GradRule, type GradContext } from './autodiff.js';
export {
  linear,
  layerNorm,
  batchNormInference,
  batchNormTraining,
  updateRunningStat,
  gelu,
  geluTanh,
  gatedAttention,
  dropout,
  type BatchNormTrainingResult,
} from './layers.js';
export { mseLoss, maeLoss, huberLoss, pinballLoss, loss, lossParts, type LossOptions, type LossParts, type LossSpec, type LossKind } from './losses.js';
export { ParameterLayout, type ParamSpec, type ParamEntry } from './params.js';
export {
  buildTrainingGraph,
  buildShardedTrainingGraphs,
  TRAIN_IO,
  type AdamWOptions,
  type ForwardResult,
  type ShardedTrainingGraphs,
  type TrainingGraph,
  type TrainingGraphSpec,
} from './optimizer.js';
export { Trainer, type OptimizerState, type StepOptions, type StepResult, type StepTrainer } from './trainer.js';
export { DataParallelTrainer, type DataParallelTrainerOptions } from './data-parallel-trainer.js';
export {
  EngineSession,
  createSession,
  validateThreads,
  toOrtTensor,
  type ExecutionProvider,
  type Feeds,
  type OptimizationLevel,
  type SessionOptions,
  type TensorData,
} from './runtime.js';
export { SessionPool, sharedArray, splitBatch, concatBatch, type SessionPoolOptions } from './session-pool.js';
export { dropoutMask } from './rng.js';
// The seeded stream for training order, dropout masks and tests (53-bit floats).
export { Xoshiro128x53 as Rng } from '../util/rng.js';
export { saveModel } from './export.js';
export { buildInferenceGraph, type InferenceGraph, type InferenceGraphSpec } from './inference.js';
export { type DType, type FloatDType, type AnyTypedArray, typedArrayOf, isFloat } from './dtype.js';
export { type Dim, type Shape, formatShape, broadcastShapes, dimMul, dimDiv, shapeEq } from './shape.js';
