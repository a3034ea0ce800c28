/**
 * Public entry of the engine for scripts and other packages: the forecaster API
 * (TTMForecaster with fit / predict / predictZeroShot / evaluate / save / load, the baseline
 * forecasters, TTMConfig and its factories) and the pieces needed to run it outside the app.
 * Everything here runs under plain Node (no Electron).
 */
export {
  LinearForecaster,
  PersistenceForecaster,
  TTMForecaster,
  type EvaluateOptions,
  type FitOptions,
  type FitResult,
  type Forecaster,
  type ForecasterContext,
  type PredictOptions,
} from './forecasters.js';
export { prepareData, type ForecastData, type PreparedData, type SeriesRow, type StoreDataRef } from './data/prepared-data.js';
export { evaluateModels, reportRows } from './forecast/evaluate.js';
export type { EvaluationReport, GroupReport, ModelSummary } from './forecast/evaluation-report.js';
export { rollingForecasts, writeForecastCsv, type RollingForecasts } from './forecast/predict.js';
export {
  TtmConfigSchema,
  createDefaultTtmConfig,
  createTtmFineTuningConfig,
  createTtmZeroShotConfig,
  parseTtmConfig,
  toDataConfig,
  toTrainingConfig,
  type TTMConfig,
  type TTMConfigInput,
  type TTMDataConfig,
  type TTMTrainingConfig,
} from './ttm/ttm-config.js';
export { TrainOptionsSchema, type TrainOptions, type TrainOptionsInput } from './jobs/protocol.js';
export type { TrainLoopResult, TrainProgress } from './jobs/loop.js';
export { TrainingHost, utilityProcessSpawn, type JobEnd, type JobHandle, type SpawnWorker, type UtilityProcessLike, type WorkerProcess } from './jobs/host.js';
export { Store } from './store/index.js';
export { StudioError, type StudioErrorCode } from './errors.js';
