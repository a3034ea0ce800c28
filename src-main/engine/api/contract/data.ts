/**
 * Contract of the data pipeline: grids and patient traces, quality checks and fixes, splits,
 * the simulator. The quality and split shapes belong to engine/data and are re-exported here.
 */
import { z } from 'zod';
import { CHANNELS, ChannelName } from '../../data/grid/channels.js';
import { SplitContentSchema, SplitSpecSchema } from '../../data/split-schema.js';
import { OperationId } from './common.js';

export * from '../../data/quality/schema.js';
export * from '../../data/split-schema.js';

// One list of canonical channels for the grid builder, the store, the API and the CLI.
export const CHANNEL_NAMES = CHANNELS;
export { ChannelName };
export const ImputeStrategyName = z.enum(['linear', 'mean', 'median', 'forward_fill', 'zero']);

/** How raw readings become the regular grid (docs/data-pipeline.md). */
export const GridOptionsSchema = z
  .object({
    resolutionMin: z.number().int().min(1).max(1440).optional(),
    maxGapMin: z.number().min(0).max(1440).optional(),
    imputation: z.partialRecord(ChannelName, ImputeStrategyName).optional(),
  })
  .strict();

const SegmentSchema = z.object({ start: z.number().int(), end: z.number().int() });

/** A patient's grid over a time range, for the trace chart: null where a value is missing. */
export const PatientTraceSchema = z.object({
  patientId: z.number().int(),
  externalId: z.string(),
  startTs: z.number(),
  stepMin: z.number().int(),
  length: z.number().int(),
  channels: z.partialRecord(ChannelName, z.array(z.number().nullable())),
  masks: z.partialRecord(ChannelName, z.array(z.number().int().min(0).max(1))),
  segments: z.array(SegmentSchema),
  absent: z.array(ChannelName),
});
export type PatientTrace = z.infer<typeof PatientTraceSchema>;

export const SplitSummarySchema = z.object({
  id: z.number().int(),
  datasetId: z.number().int(),
  name: z.string(),
  version: z.number().int(),
  kind: z.enum(['temporal', 'patient_holdout', 'hybrid']),
  spec: SplitSpecSchema,
  locked: z.boolean(),
  contentHash: z.string(),
  createdAt: z.string(),
  trainPatients: z.number().int(),
  holdoutPatients: z.number().int(),
});
export const SplitDetailSchema = SplitSummarySchema.extend({ content: SplitContentSchema });

export const SimulateRequestSchema = z
  .object({
    name: z.string().min(1).max(100),
    patients: z.number().int().min(1).max(1000).optional(),
    days: z.number().int().min(1).max(3650).optional(),
    seed: z
      .number()
      .int()
      .min(0)
      .max(2 ** 31 - 1)
      .optional(),
    start: z.iso.datetime().optional(),
    operationId: OperationId.optional(),
  })
  .strict();
