/**
 * The files of a cluster job folder and their schemas: what `jobs export` writes and what
 * `jobs import` accepts back. train_ttm.py (resources/cluster/) reads and writes the same
 * layout, so the two sides are versioned together by JOB_FORMAT_VERSION.
 *
 *   job.json                 the training configuration and where the data came from
 *   data/index.json          channels, scaler, per-part series and window tables
 *   data/<part>.values.f32   [rows, channels] little-endian float32, raw (unscaled) values
 *   data/<part>.mask.u8      [rows, channels] 1 = observed, 0 = imputed
 *   data/<part>.windows.i32  [windows, 2] (series, first context row within the series)
 *   base_model/              the network the job starts from (HF layout + preprocessor.json)
 *   output/                  written by the job: checkpoints/{best,last}, metrics.jsonl,
 *                            tensorboard/, result.json, check_forecasts.f32
 */
import { z } from 'zod';

export const JOB_FORMAT = 'ttm-studio-cluster-job';
export const RESULT_FORMAT = 'ttm-studio-cluster-result';
export const JOB_FORMAT_VERSION = 1;

export const JOB_FILES = {
  job: 'job.json',
  readme: 'README.md',
  baseModel: 'base_model',
  data: 'data',
  index: 'index.json',
  output: 'output',
  result: 'result.json',
  metrics: 'metrics.jsonl',
} as const;

/** The parts a job may hold: never 'test'. */
export const JOB_PARTS = ['train', 'val'] as const;
export type JobPart = (typeof JOB_PARTS)[number];

/** The scripts copied from resources/cluster/ into every job folder. */
export const JOB_SCRIPTS = ['train_ttm.py', 'launch.sh', 'slurm.sbatch', 'requirements.txt'] as const;

const finite = z.number().refine(Number.isFinite, 'must be a finite number');

export const JobTrainingSchema = z.strictObject({
  mode: z.enum(['fine_tune', 'from_scratch']),
  freezeBackbone: z.boolean(),
  learningRate: finite.refine((v) => v > 0, 'must be > 0'),
  schedule: z.enum(['one-cycle', 'warmup-linear', 'warmup-cosine', 'constant']),
  warmupSteps: z.number().int().min(0),
  numEpochs: z.number().int().min(1),
  maxSteps: z.number().int().min(1).nullable(),
  /** Windows per optimizer step over all processes (the app's batch size). */
  batchSize: z.number().int().min(1),
  /** Null: batchSize divided over the processes. */
  batchSizePerDevice: z.number().int().min(1).nullable(),
  gradientClipVal: finite.refine((v) => v >= 0, 'must be ≥ 0'),
  weightDecay: finite.refine((v) => v >= 0, 'must be ≥ 0'),
  adamBetas: z.tuple([finite, finite]),
  adamEps: finite.refine((v) => v > 0, 'must be > 0'),
  loss: z.strictObject({ kind: z.enum(['mse', 'mae', 'huber', 'pinball']), delta: finite.nullable(), quantile: finite.nullable() }),
  /** Per-forecast-step loss weights (the horizon-weighted loss), or null for uniform. */
  lossStepWeights: z.array(finite).nullable(),
  seed: z.number().int().min(0),
  validateEverySteps: z.number().int().min(1).nullable(),
  checkpointEverySteps: z.number().int().min(1).nullable(),
  earlyStoppingPatience: z.number().int().min(0),
  /** What the app's trainer would run with its own batch size (for the README and checks). */
  stepsPerEpoch: z.number().int().min(1),
  totalSteps: z.number().int().min(1),
});
export type JobTraining = z.output<typeof JobTrainingSchema>;

const Named = z.strictObject({ id: z.number().int().positive(), name: z.string().min(1) });

export const JobFileSchema = z.strictObject({
  format: z.literal(JOB_FORMAT),
  formatVersion: z.literal(JOB_FORMAT_VERSION),
  createdAt: z.string().min(1),
  appVersion: z.string().min(1),
  /** Suggested name of the model the job produces. */
  name: z.string().min(1).max(100),
  source: z.strictObject({
    dataset: Named,
    split: Named.extend({ version: z.number().int().min(1) }),
    /** The registered base model, or null from scratch. */
    model: Named.nullable(),
  }),
  /** The full TTMConfig of the run, as the app would have trained it. */
  config: z.record(z.string(), z.unknown()),
  /** The loop settings (TrainOptions) the run would have used. */
  options: z.record(z.string(), z.unknown()),
  training: JobTrainingSchema,
});
export type JobFile = z.output<typeof JobFileSchema>;

export const SeriesEntrySchema = z.strictObject({
  patient: z.string().min(1),
  segment: z.number().int().min(0),
  /** Epoch ms of the series' first row. */
  startTs: z.number().int(),
  length: z.number().int().min(1),
  /** First row of the series in the part's values/mask files. */
  offset: z.number().int().min(0),
});
export type SeriesEntry = z.output<typeof SeriesEntrySchema>;

export const PartIndexSchema = z.strictObject({
  values: z.string().min(1),
  mask: z.string().min(1),
  windows: z.string().min(1),
  rows: z.number().int().min(0),
  windowCount: z.number().int().min(0),
  series: z.array(SeriesEntrySchema),
  /** The app's fingerprint of the windows (count and hash of patient and start). */
  fingerprint: z.string().min(1),
});
export type PartIndex = z.output<typeof PartIndexSchema>;

export const DataIndexSchema = z.strictObject({
  formatVersion: z.literal(JOB_FORMAT_VERSION),
  layout: z.string(),
  channels: z.array(z.strictObject({ name: z.string().min(1), role: z.string().min(1) })).min(1),
  scaler: z.strictObject({ type: z.literal('standard'), mean: z.array(finite), std: z.array(finite) }),
  contextLength: z.number().int().min(1),
  forecastLength: z.number().int().min(1),
  resolutionMin: z.number().int().min(1),
  frequencyToken: z.number().int().min(0).nullable(),
  parts: z.strictObject({ train: PartIndexSchema, val: PartIndexSchema.optional() }),
});
export type DataIndex = z.output<typeof DataIndexSchema>;

export const JobResultSchema = z.looseObject({
  format: z.literal(RESULT_FORMAT),
  formatVersion: z.literal(JOB_FORMAT_VERSION),
  status: z.enum(['completed', 'diverged']),
  steps: z.number().int().min(0),
  totalSteps: z.number().int().min(0),
  epochs: z.number(),
  bestStep: z.number().int().min(0).nullable(),
  bestValidLoss: z.number().nullable(),
  initialValidLoss: z.number().nullable(),
  earlyStopped: z.boolean(),
  /** The trained model, relative to output/. */
  modelDir: z.string().min(1),
  processes: z.number().int().min(1),
  perDeviceBatchSize: z.number().int().min(1),
  globalBatchSize: z.number().int().min(1),
  device: z.string(),
  samplesPerSecond: z.number(),
  elapsedSeconds: z.number(),
  checkForecasts: z.strictObject({
    part: z.enum(JOB_PARTS),
    windows: z.number().int().min(0),
    shape: z.tuple([z.number().int(), z.number().int(), z.number().int()]),
    file: z.string().min(1),
  }),
  versions: z.record(z.string(), z.string()),
});
export type JobResult = z.output<typeof JobResultSchema>;

export const MetricLineSchema = z.strictObject({
  step: z.number().int().min(0),
  epoch: z.number().nullable(),
  name: z.string().min(1).max(200),
  value: z.number(),
  ts: z.number().int(),
});
