/**
 * The messages between the training host (the service's process) and the worker process,
 * zod-validated on both sides: a worker built from another version, or a stray message, is
 * refused with a clear error instead of being half-understood.
 *
 * host → worker: start (a job: train, predict or evaluate), cancel.
 * worker → host: started, progress, checkpoint, finished, failed, cancelled.
 * Exactly one of finished / failed / cancelled ends a job; a worker that exits without one
 * died (kill -9, out of memory) and the host marks its run interrupted.
 */
import { z } from 'zod';

export const SCHEDULE_KINDS = ['one-cycle', 'warmup-linear', 'warmup-cosine', 'constant'] as const;

/** Loop settings that are not part of TTMConfig (how the loop runs, not what is trained). */
export const TrainOptionsSchema = z.strictObject({
  schedule: z.enum(SCHEDULE_KINDS).default('one-cycle').describe('Learning-rate schedule (one-cycle cycles Adam β1 too).'),
  validateEverySteps: z.number().int().min(1).nullable().default(null).describe('Validation interval in steps; null = once per epoch.'),
  checkpointEverySteps: z.number().int().min(1).nullable().default(null).describe('Checkpoint interval in steps; null = once per epoch.'),
  trainStride: z.number().int().min(1).default(1).describe('Bins between consecutive training windows.'),
  evalStride: z.number().int().min(1).default(1).describe('Bins between consecutive validation windows.'),
  maxTrainWindows: z.number().int().min(1).nullable().default(null).describe('Seeded subsample of training windows (null = all).'),
  maxValWindows: z.number().int().min(1).nullable().default(2048).describe('Seeded subsample of validation windows.'),
  maxSteps: z
    .number()
    .int()
    .min(1)
    .nullable()
    .default(null)
    .describe('Cap on optimizer steps: total = min(numEpochs × steps per epoch, maxSteps); null = numEpochs alone.'),
  /** Test hook: corrupt the batch of this step with a NaN (exercises the divergence guard). */
  faultInjection: z.strictObject({ nanAtStep: z.number().int().min(1).optional() }).optional(),
});
export type TrainOptions = z.output<typeof TrainOptionsSchema>;
export type TrainOptionsInput = z.input<typeof TrainOptionsSchema>;

const DataRef = z.strictObject({
  dataset: z.union([z.string().min(1), z.number().int().positive()]),
  split: z.union([z.string().min(1), z.number().int().positive()]),
});

export const TrainJobSchema = z.strictObject({
  kind: z.literal('train'),
  runId: z.number().int().positive(),
  databaseFile: z.string().min(1),
  outputDir: z.string().min(1),
  loggingDir: z.string().min(1),
  /** Base model directory (HF layout); null for from-scratch. */
  baseModelDir: z.string().min(1).nullable(),
  /** TTMConfig (validated again in the worker). */
  config: z.record(z.string(), z.unknown()),
  options: TrainOptionsSchema,
  data: DataRef,
  resume: z.boolean(),
  /** Name under which the finished model is registered in `models`. */
  modelName: z.string().min(1),
});
export type TrainJob = z.output<typeof TrainJobSchema>;

export const PredictJobSchema = z.strictObject({
  kind: z.literal('predict'),
  runId: z.number().int().positive(),
  databaseFile: z.string().min(1),
  modelDir: z.string().min(1),
  data: DataRef,
  part: z.enum(['train', 'val', 'test']).default('test'),
  patients: z.array(z.string().min(1)).optional(),
  fromTs: z.number().optional(),
  toTs: z.number().optional(),
  every: z.number().int().min(1).default(1),
  levels: z.array(z.number().gt(0).lt(1)).default([0.8, 0.95]),
  csvPath: z.string().min(1).nullable(),
  batchSize: z.number().int().min(1).default(256),
  threads: z.number().int().min(1).default(2),
  device: z.enum(['cpu', 'cuda']).default('cpu'),
});
export type PredictJob = z.output<typeof PredictJobSchema>;

export const EvaluateJobSchema = z.strictObject({
  kind: z.literal('evaluate'),
  runId: z.number().int().positive(),
  databaseFile: z.string().min(1),
  modelDir: z.string().min(1),
  modelId: z.number().int().positive().nullable(),
  data: DataRef,
  stride: z.number().int().min(1).default(1),
  levels: z.array(z.number().gt(0).lt(1)).default([0.8, 0.95]),
  part: z.enum(['test', 'val']).default('test'),
  batchSize: z.number().int().min(1).default(256),
  threads: z.number().int().min(1).default(2),
  device: z.enum(['cpu', 'cuda']).default('cpu'),
});
export type EvaluateJob = z.output<typeof EvaluateJobSchema>;

export const WorkerJobSchema = z.discriminatedUnion('kind', [TrainJobSchema, PredictJobSchema, EvaluateJobSchema]);
export type WorkerJob = z.output<typeof WorkerJobSchema>;
export type WorkerJobInput = z.input<typeof WorkerJobSchema>;

export const HostMessageSchema = z.discriminatedUnion('type', [
  z.strictObject({ type: z.literal('start'), job: WorkerJobSchema }),
  z.strictObject({ type: z.literal('cancel') }),
]);
export type HostMessage = z.input<typeof HostMessageSchema>;

export const WorkerMessageSchema = z.discriminatedUnion('type', [
  z.strictObject({
    type: z.literal('started'),
    pid: z.number().int(),
    device: z.string(),
    fallbackMessage: z.string().nullable(),
    totalSteps: z.number().int().nullable(),
  }),
  z.strictObject({
    type: z.literal('progress'),
    epoch: z.number(),
    step: z.number().int(),
    totalSteps: z.number().int(),
    trainLoss: z.number().nullable(),
    validLoss: z.number().nullable(),
    learningRate: z.number().nullable(),
    samplesPerSecond: z.number(),
    elapsedMs: z.number(),
    etaMs: z.number().nullable(),
    message: z.string().optional(),
  }),
  z.strictObject({
    type: z.literal('checkpoint'),
    step: z.number().int(),
    epoch: z.number(),
    path: z.string(),
    best: z.boolean(),
    validLoss: z.number().nullable(),
  }),
  z.strictObject({ type: z.literal('finished'), result: z.record(z.string(), z.unknown()) }),
  z.strictObject({ type: z.literal('failed'), code: z.string(), message: z.string() }),
  z.strictObject({ type: z.literal('cancelled'), step: z.number().int().nullable(), checkpoint: z.string().nullable() }),
]);
export type WorkerMessage = z.output<typeof WorkerMessageSchema>;
export type WorkerMessageInput = z.input<typeof WorkerMessageSchema>;
