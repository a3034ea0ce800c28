/**
 * The seed's forecaster API in TypeScript: `fit`, `predict`, `evaluate`, `save`, `load`
 * (+ `predictZeroShot` on TTM). Data may be a store dataset (name, or {dataset, split}), a
 * map patient → rows, or a combined table (see data/prepared-data.ts).
 *
 * It sits above forecast/ and jobs/ because `fit` runs the training loop: forecasting code
 * never reaches up to training. These classes run in the calling thread: onnxruntime blocks
 * it while it works. They are for scripts, tests and the worker process; the app's service
 * runs the same code in the training worker (src-main/engine/jobs/worker.ts), never on a UI or request thread.
 */
import { existsSync } from 'node:fs';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { StudioError } from './errors.js';
import type { Store } from './store/index.js';
import { loadCheckpoint, saveCheckpoint } from './ttm/checkpoint.js';
import { effectiveContextLength, outputLength } from './ttm/hf-config.js';
import { TtmPredictor } from './ttm/graph/predictor.js';
import { DEFAULT_TTM_MODEL_PATH, parseTtmConfig, type TTMConfig, type TTMConfigInput } from './ttm/ttm-config.js';
import { defaultBundledModelDir } from './ttm/bundled-models.js';
import type { ModelWeights } from './ttm/init.js';
import type { HfTtmConfig } from './ttm/hf-config.js';
import { runTrainingLoop, type TrainLoopResult, type TrainProgress } from './jobs/loop.js';
import { TrainOptionsSchema, type TrainOptionsInput } from './jobs/protocol.js';
import { ridgeModelFromJson, ridgeModelToJson, type RidgeModel } from './forecast/baselines/ridge.js';
import { prepareData, type ForecastData, type PreparedData, type PrepareOptions } from './data/prepared-data.js';
import { baselineModels, evaluateModels } from './forecast/evaluate.js';
import type { EvaluationReport } from './forecast/evaluation-report.js';
import { rollingForecasts, type RollingForecastOptions, type RollingForecasts } from './forecast/predict.js';
import { fitPreprocessor, initialNetwork, type TtmModelState } from './ttm/study-model.js';
import { fitRidgeOnSplit, persistenceModel, ridgeWindowModel, ttmWindowModel, type WindowModel } from './forecast/window-models.js';

export interface FitOptions {
  outputDir?: string;
  signal?: AbortSignal;
  onProgress?: (p: TrainProgress) => void;
  /** Loop settings (schedule, validation/checkpoint intervals, strides). */
  train?: TrainOptionsInput;
}

export interface PredictOptions extends Partial<Omit<RollingForecastOptions, 'contextLength' | 'forecastLength'>> {
  batchSize?: number;
}

export interface EvaluateOptions {
  stride?: number;
  levels?: readonly number[];
  /** Also score the baselines (default true). */
  baselines?: boolean;
}

export interface FitResult {
  model: string;
  train?: TrainLoopResult;
}

/** The common interface of every forecaster. */
export interface Forecaster {
  readonly name: string;
  fit(data: ForecastData, options?: FitOptions): Promise<FitResult>;
  predict(data: ForecastData, options?: PredictOptions): Promise<RollingForecasts>;
  evaluate(data: ForecastData, options?: EvaluateOptions): Promise<EvaluationReport>;
  save(dir: string): Promise<void>;
  load(dir: string): Promise<void>;
}

export interface ForecasterContext {
  /** Needed when data is a dataset name. */
  store?: Store;
  prepare?: Omit<PrepareOptions, 'store'>;
}

abstract class WindowForecaster implements Forecaster {
  abstract readonly name: string;
  protected abstract readonly contextLength: number;
  protected abstract readonly forecastLength: number;

  constructor(protected readonly ctx: ForecasterContext = {}) {}

  protected prepare(data: ForecastData): PreparedData {
    return prepareData(data, { ...this.ctx.prepare, ...(this.ctx.store !== undefined ? { store: this.ctx.store } : {}) });
  }

  protected abstract windowModel(data: PreparedData, batchSize: number): Promise<{ model: WindowModel; release?: () => Promise<void> }>;
  abstract fit(data: ForecastData, options?: FitOptions): Promise<FitResult>;
  abstract save(dir: string): Promise<void>;
  abstract load(dir: string): Promise<void>;

  async predict(data: ForecastData, options: PredictOptions = {}): Promise<RollingForecasts> {
    const prepared = this.prepare(data);
    const { model, release } = await this.windowModel(prepared, options.batchSize ?? 256);
    try {
      return await rollingForecasts(model, prepared, { ...options, contextLength: this.contextLength, forecastLength: this.forecastLength });
    } finally {
      await release?.();
    }
  }

  async evaluate(data: ForecastData, options: EvaluateOptions = {}): Promise<EvaluationReport> {
    const prepared = this.prepare(data);
    const { model, release } = await this.windowModel(prepared, 256);
    const geometry = { contextLength: this.contextLength, forecastLength: this.forecastLength };
    const notes: string[] = [];
    const baselines = options.baselines === false ? [] : baselineModels(prepared, geometry, notes).filter((b) => b.name !== model.name);
    try {
      const report = await evaluateModels(prepared, [model, ...baselines], {
        ...geometry,
        stride: options.stride ?? 1,
        ...(options.levels ? { levels: options.levels } : {}),
      });
      report.notes.push(...notes);
      return report;
    } finally {
      await release?.();
    }
  }
}

/** Last observed value, repeated over the forecast. Nothing to fit. */
export class PersistenceForecaster extends WindowForecaster {
  readonly name = 'persistence';
  constructor(
    protected readonly contextLength = 12,
    protected readonly forecastLength = 24,
    ctx: ForecasterContext = {},
  ) {
    super(ctx);
  }
  protected windowModel(): Promise<{ model: WindowModel }> {
    return Promise.resolve({ model: persistenceModel });
  }
  fit(): Promise<FitResult> {
    return Promise.resolve({ model: this.name });
  }
  async save(dir: string): Promise<void> {
    await mkdir(dir, { recursive: true });
    await writeFile(
      join(dir, 'forecaster.json'),
      JSON.stringify({ kind: 'persistence', contextLength: this.contextLength, forecastLength: this.forecastLength }) + '\n',
    );
  }
  load(): Promise<void> {
    return Promise.resolve();
  }
}

/** Ridge regression on lags, closed form, fitted on the training part (λ chosen on validation). */
export class LinearForecaster extends WindowForecaster {
  readonly name = 'ridge';
  private model: RidgeModel | null = null;
  constructor(
    protected readonly contextLength = 12,
    protected readonly forecastLength = 24,
    ctx: ForecasterContext = {},
  ) {
    super(ctx);
  }
  fit(data: ForecastData): Promise<FitResult> {
    this.model = fitRidgeOnSplit(this.prepare(data), { contextLength: this.contextLength, forecastLength: this.forecastLength }).model;
    return Promise.resolve({ model: this.name });
  }
  protected windowModel(): Promise<{ model: WindowModel }> {
    if (this.model === null) throw new StudioError('INVALID_INPUT', 'LinearForecaster: call fit() (or load()) before predicting.');
    return Promise.resolve({ model: ridgeWindowModel(this.model) });
  }
  async save(dir: string): Promise<void> {
    if (this.model === null) throw new StudioError('INVALID_INPUT', 'LinearForecaster: nothing to save before fit().');
    await mkdir(dir, { recursive: true });
    await writeFile(join(dir, 'ridge.json'), ridgeModelToJson(this.model) + '\n');
  }
  async load(dir: string): Promise<void> {
    this.model = ridgeModelFromJson(await readFile(join(dir, 'ridge.json'), 'utf8'));
  }
}

/**
 * TinyTimeMixer: zero_shot (base model as is, with a preprocessor fitted on the training
 * part), fine_tune (frozen backbone or full), from_scratch. Target and covariate channels
 * come from targetFeatures / inputFeatures; with covariates the decoder mixes channels.
 */
export class TTMForecaster extends WindowForecaster {
  readonly name = 'ttm';
  readonly config: TTMConfig;
  private state: TtmModelState | null = null;
  private base: { config: HfTtmConfig; weights: ModelWeights } | null = null;

  constructor(config: TTMConfigInput | TTMConfig, ctx: ForecasterContext = {}) {
    super(ctx);
    this.config = parseTtmConfig(config);
  }

  protected get contextLength(): number {
    return this.state === null ? this.config.contextLength : this.state.preprocessor.contextLength;
  }
  protected get forecastLength(): number {
    return this.state === null ? this.config.forecastLength : this.state.preprocessor.forecastLength;
  }

  /** The model directory named by modelPath (HF layout), loaded once. Hub ids need a prior download. */
  private async baseModel(): Promise<{ config: HfTtmConfig; weights: ModelWeights } | null> {
    if (this.config.trainingMode === 'from_scratch') return null;
    if (this.base !== null) return this.base;
    let dir = this.config.modelPath;
    // No model chosen (the config's default hub id, not downloaded to a directory): use the
    // model bundled with the app, so zero-shot and fine-tuning work offline out of the box.
    if (dir === DEFAULT_TTM_MODEL_PATH && !existsSync(join(dir, 'config.json'))) dir = defaultBundledModelDir() ?? dir;
    if (!existsSync(join(dir, 'config.json')))
      throw new StudioError('NOT_FOUND', `modelPath "${this.config.modelPath}" is not a model directory; download the model first or give a local checkpoint.`);
    const ck = await loadCheckpoint(dir);
    this.base = { config: ck.config, weights: ck.weights };
    return this.base;
  }

  /** Zero-shot state: the base network with a preprocessor fitted on this data's training part. */
  private async ensureState(data: PreparedData): Promise<TtmModelState> {
    if (this.state !== null) return this.state;
    const net = initialNetwork(
      { ...this.config, trainingMode: this.config.trainingMode === 'from_scratch' ? 'from_scratch' : 'zero_shot' },
      await this.baseModel(),
    );
    this.state = { ...net, preprocessor: fitPreprocessor(this.config, data, net.config) };
    return this.state;
  }

  protected async windowModel(data: PreparedData, batchSize: number): Promise<{ model: WindowModel; release: () => Promise<void> }> {
    const state = await this.ensureState(data);
    const predictor = await TtmPredictor.create(
      { config: state.config, weights: state.weights },
      { threads: this.config.threads ?? 2, executionProvider: this.config.device },
    );
    return { model: ttmWindowModel(state, predictor, batchSize), release: () => predictor.release() };
  }

  async fit(data: ForecastData, options: FitOptions = {}): Promise<FitResult> {
    const prepared = this.prepare(data);
    if (this.config.trainingMode === 'zero_shot') {
      this.state = null;
      await this.ensureState(prepared);
      return { model: this.name };
    }
    const outputDir = options.outputDir ?? join(process.cwd(), 'ttm-output');
    const network = initialNetwork(this.config, await this.baseModel());
    const result = await runTrainingLoop({
      config: this.config,
      options: TrainOptionsSchema.parse(options.train ?? {}),
      network,
      data: prepared,
      outputDir,
      loggingDir: this.config.loggingDir ?? join(outputDir, 'logs'),
      runId: null,
      resume: false,
      shouldCancel: () => options.signal?.aborted === true,
      sink: { metrics: () => undefined, checkpoint: () => undefined, progress: (p) => options.onProgress?.(p) },
    });
    await this.load(result.modelDir);
    return { model: this.name, train: result };
  }

  /** Inference without training: the base model as published, scaler fitted on the training part. */
  async predictZeroShot(data: ForecastData, options: PredictOptions = {}): Promise<RollingForecasts> {
    this.state = null;
    return this.predict(data, options);
  }

  async save(dir: string): Promise<void> {
    if (this.state === null) throw new StudioError('INVALID_INPUT', 'TTMForecaster: nothing to save; fit() or load() first.');
    await saveCheckpoint(dir, { config: this.state.config, weights: this.state.weights, preprocessor: this.state.preprocessor }, { overwrite: true });
  }

  async load(dir: string): Promise<void> {
    const ck = await loadCheckpoint(dir);
    if (ck.preprocessor === null)
      throw new StudioError('MODEL', `${dir} has no preprocessor.json; it is a bare HF model. Use it as modelPath for zero-shot or fine-tuning.`);
    this.state = { config: ck.config, weights: ck.weights, preprocessor: ck.preprocessor };
  }

  /** Geometry of the loaded model (context and forecast length) once known. */
  get geometry(): { contextLength: number; forecastLength: number } | null {
    return this.state === null ? null : { contextLength: effectiveContextLength(this.state.config), forecastLength: outputLength(this.state.config) };
  }
}
