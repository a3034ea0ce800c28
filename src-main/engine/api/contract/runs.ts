/**
 * Contract of training, prediction and evaluation runs, and of the forecasts a predict run
 * stores.
 */
import { z } from 'zod';
import { EntityRef, RunSummarySchema } from './common.js';

export const RunId = z.number().int().positive();
const DataSelection = { dataset: EntityRef, split: EntityRef };

export const TrainStartRequestSchema = z
  .object({
    ...DataSelection,
    /** TTMConfig (camelCase or snake_case keys); validated by the engine. */
    config: z.record(z.string(), z.unknown()).default({}),
    /** Loop settings: schedule, validateEverySteps, checkpointEverySteps, trainStride, evalStride, maxTrainWindows, maxValWindows, maxSteps. */
    options: z.record(z.string(), z.unknown()).default({}),
    /** Base model (registered name or id); needed unless trainingMode is from_scratch. */
    model: EntityRef.optional(),
    /** Name of the trained model to register (default run-<id>). */
    name: z.string().min(1).max(100).optional(),
    /** Resolve only when the run has ended (CLI); otherwise right after the worker started. */
    wait: z.boolean().default(false),
  })
  .strict();

export const RunEndSchema = z.object({
  runId: z.number().int(),
  status: RunSummarySchema.shape.status,
  result: z.record(z.string(), z.unknown()).nullable(),
  error: z.string().nullable(),
});

export const ForecastPredictRequestSchema = z
  .object({
    model: EntityRef,
    ...DataSelection,
    part: z.enum(['train', 'val', 'test']).default('test'),
    patients: z.array(z.string().min(1)).optional(),
    from: z.number().optional(),
    to: z.number().optional(),
    /** Every k-th forecast origin. */
    every: z.number().int().min(1).default(1),
    levels: z.array(z.number().gt(0).lt(1)).default([0.8, 0.95]),
    /** CSV output path (datetime,p_num,origin,horizon_min,forecast,lower,upper,actual). */
    out: z.string().min(1).max(4096).optional(),
    batchSize: z.number().int().min(1).max(65536).default(256),
  })
  .strict();

export const ForecastEvaluateRequestSchema = z
  .object({
    model: EntityRef,
    ...DataSelection,
    stride: z.number().int().min(1).default(1),
    levels: z.array(z.number().gt(0).lt(1)).default([0.8, 0.95]),
    batchSize: z.number().int().min(1).max(65536).default(256),
    /** 'val' scores the validation part (training patients only, no intervals): for choosing a recipe without looking at test data. */
    part: z.enum(['test', 'val']).default('test'),
  })
  .strict();

export const RunDetailSchema = RunSummarySchema.extend({
  config: z.record(z.string(), z.unknown()),
  result: z.record(z.string(), z.unknown()).nullable(),
  outputDir: z.string().nullable(),
  seed: z.number().int().nullable(),
  checkpoints: z.array(z.object({ step: z.number().int(), epoch: z.number().nullable(), path: z.string(), best: z.boolean(), createdAt: z.string() })),
  lastMetrics: z.record(z.string(), z.object({ step: z.number().int(), value: z.number() })),
});

export const StoredForecastSchema = z.object({
  patient: z.string(),
  originTs: z.number(),
  stepMin: z.number().int(),
  /** Forecast per horizon step (mmol/L); lower/upper at `level` (the widest calibrated one). */
  values: z.array(z.number()),
  lower: z.array(z.number()).nullable(),
  upper: z.array(z.number()).nullable(),
  level: z.number().nullable(),
});
export type StoredForecast = z.infer<typeof StoredForecastSchema>;
export const ForecastsResultSchema = z.object({ runId: z.number().int(), total: z.number().int(), items: z.array(StoredForecastSchema) });
