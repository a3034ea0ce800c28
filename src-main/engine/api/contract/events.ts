/**
 * Events the service pushes to every subscriber (progress of long operations, run status, data
 * changes), and errors as they cross a transport.
 */
import { z } from 'zod';
import { RunSummarySchema } from './common.js';

export const ProgressEventSchema = z.object({
  type: z.literal('progress'),
  operationId: z.string(),
  label: z.string(),
  done: z.number(),
  total: z.number().nullable(),
  unit: z.string(),
  elapsedMs: z.number(),
  etaMs: z.number().nullable(),
  message: z.string().optional(),
});

export const OperationEndEventSchema = z.object({
  type: z.literal('operation.end'),
  operationId: z.string(),
  status: z.enum(['completed', 'failed', 'cancelled']),
  message: z.string().optional(),
});

export const RunEventSchema = z.object({
  type: z.literal('run'),
  runId: z.number().int(),
  status: RunSummarySchema.shape.status,
  epoch: z.number().optional(),
  step: z.number().int().optional(),
  totalSteps: z.number().int().optional(),
  trainLoss: z.number().optional(),
  validLoss: z.number().optional(),
  learningRate: z.number().optional(),
  samplesPerSecond: z.number().optional(),
  elapsedMs: z.number().optional(),
  etaMs: z.number().nullable().optional(),
  device: z.string().optional(),
  message: z.string().optional(),
});

export const DataChangedEventSchema = z.object({
  type: z.literal('data.changed'),
  what: z.enum(['datasets', 'models', 'runs', 'settings']),
});

export const ApiEventSchema = z.discriminatedUnion('type', [ProgressEventSchema, OperationEndEventSchema, RunEventSchema, DataChangedEventSchema]);
export type ApiEvent = z.infer<typeof ApiEventSchema>;

// ---------- errors on the wire ----------

export const WireErrorSchema = z.object({
  code: z.string(),
  message: z.string(),
  details: z.record(z.string(), z.unknown()).optional(),
});

/** Thrown by clients when the service answered with an error. */
export class ApiError extends Error {
  constructor(
    readonly code: string,
    message: string,
    readonly details?: Record<string, unknown>,
  ) {
    super(message);
    this.name = 'ApiError';
  }
}
