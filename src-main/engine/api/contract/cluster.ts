/**
 * Contract of cluster jobs: `jobs.export` writes a folder a PyTorch DDP job trains from,
 * `jobs.import` brings its model back as a run of kind 'external'.
 */
import { z } from 'zod';
import { EntityRef, OperationId } from './common.js';

export const JobsExportRequestSchema = z
  .object({
    dataset: EntityRef,
    split: EntityRef,
    /** TTMConfig, as for train.start. */
    config: z.record(z.string(), z.unknown()).default({}),
    /** Loop settings, as for train.start. */
    options: z.record(z.string(), z.unknown()).default({}),
    /** Base model; default: the bundled default model for fine_tune. */
    model: EntityRef.optional(),
    /** Name of the model the job produces (default cluster-<dataset>-<split>). */
    name: z
      .string()
      .regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$/, 'job name: 1–100 letters, digits, dots, dashes or underscores')
      .optional(),
    /** Folder to write; default <data dir>/cluster-jobs/<name>. */
    out: z.string().min(1).max(4096).optional(),
    /** Replace an earlier job in `out`. */
    force: z.boolean().default(false),
    operationId: OperationId.optional(),
  })
  .strict();

export const JobsExportResultSchema = z.object({
  dir: z.string(),
  name: z.string(),
  trainWindows: z.number().int(),
  valWindows: z.number().int(),
  bytes: z.number().int(),
  totalSteps: z.number().int(),
  stepsPerEpoch: z.number().int(),
  files: z.array(z.string()),
  /** The commands to run it and bring it back, for the page and the terminal. */
  commands: z.array(z.string()),
});

export const JobsImportRequestSchema = z
  .object({
    dir: z.string().min(1).max(4096),
    name: z
      .string()
      .regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$/, 'model name: 1–100 letters, digits, dots, dashes or underscores')
      .optional(),
  })
  .strict();

export const JobsImportResultSchema = z.object({
  runId: z.number().int(),
  modelId: z.number().int(),
  modelName: z.string(),
  steps: z.number().int(),
  bestStep: z.number().int().nullable(),
  bestValidLoss: z.number().nullable(),
  metrics: z.number().int(),
  check: z.object({ windows: z.number().int(), maxAbsDiff: z.number(), tolerance: z.number() }),
  datasetId: z.number().int().nullable(),
  splitId: z.number().int().nullable(),
  notes: z.array(z.string()),
});
