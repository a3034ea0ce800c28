/**
 * Pieces every area of the contract uses: entity references, operation ids, units, and the
 * summaries of datasets, patients, models, runs and settings.
 */
import { z } from 'zod';
import { RUN_KINDS } from '../../run-kinds.js';
import { GLUCOSE_UNITS } from '../../units.js';

/** A dataset or model is addressed by name or numeric id. */
export const EntityRef = z.union([z.string().min(1).max(200), z.number().int().positive()]);

/** Client-chosen id for a long operation, so it can follow progress events and cancel. */
export const OperationId = z.string().regex(/^[A-Za-z0-9_-]{6,64}$/, 'operationId: 6–64 letters, digits, dashes or underscores');

export const GlucoseUnit = z.enum(GLUCOSE_UNITS);
export const Device = z.enum(['cpu', 'cuda']);

export const DatasetSummarySchema = z.object({
  id: z.number().int(),
  name: z.string(),
  description: z.string(),
  source: z.enum(['import', 'simulated', 'demo']),
  resolutionMin: z.number().int(),
  meta: z.record(z.string(), z.unknown()),
  createdAt: z.string(),
  patientCount: z.number().int(),
  readingCount: z.number().int(),
  eventCount: z.number().int(),
  firstTs: z.number().nullable(),
  lastTs: z.number().nullable(),
});
export type DatasetSummary = z.infer<typeof DatasetSummarySchema>;

export const PatientSummarySchema = z.object({
  id: z.number().int(),
  datasetId: z.number().int(),
  externalId: z.string(),
  utcOffsetMin: z.number().int().nullable(),
  timeZone: z.string().nullable(),
  readingCount: z.number().int(),
  eventCount: z.number().int(),
  firstTs: z.number().nullable(),
  lastTs: z.number().nullable(),
  days: z.number(),
  wearPercent: z.number(),
});
export type PatientSummary = z.infer<typeof PatientSummarySchema>;

export const ProviderInfoSchema = z.object({
  name: z.string(),
  available: z.boolean(),
  note: z.string().optional(),
});

export const InfoSchema = z.object({
  app: z.object({ name: z.string(), version: z.string() }),
  node: z.string(),
  electron: z.string().nullable(),
  platform: z.string(),
  arch: z.string(),
  cpus: z.number().int(),
  onnxruntime: z.object({ version: z.string(), providers: z.array(ProviderInfoSchema) }),
  sqlite: z.string(),
  dataDir: z.string(),
  databaseFile: z.string(),
  schemaVersion: z.number().int(),
});
export type Info = z.infer<typeof InfoSchema>;

export const SettingsSchema = z.object({
  glucoseUnit: GlucoseUnit,
  threads: z.number().int().min(1).max(256),
  device: Device,
  theme: z.enum(['system', 'light', 'dark']),
});
export type Settings = z.infer<typeof SettingsSchema>;

export const ModelSummarySchema = z.object({
  id: z.number().int(),
  name: z.string(),
  source: z.enum(['bundled', 'hub', 'local', 'trained']),
  path: z.string(),
  repo: z.string().nullable(),
  revision: z.string().nullable(),
  createdAt: z.string(),
  /** Window geometry from the registered config.json (null when it was not recorded). */
  contextLength: z.number().int().nullable(),
  forecastLength: z.number().int().nullable(),
  channels: z.number().int().nullable(),
  /** The app's default model (the bundled one used when no model is chosen). */
  default: z.boolean(),
});

export const ModelDetailSchema = ModelSummarySchema.extend({
  /** The HF config.json, as parsed (defaults filled). */
  config: z.record(z.string(), z.unknown()),
  meta: z.record(z.string(), z.unknown()),
  parameters: z.object({ total: z.number().int(), trainableFrozenBackbone: z.number().int() }),
  files: z.array(z.object({ name: z.string(), bytes: z.number().int() })),
  /** Whether the directory still holds a loadable checkpoint. */
  available: z.boolean(),
  problem: z.string().nullable(),
});
export type ModelDetail = z.infer<typeof ModelDetailSchema>;

export const ModelName = z
  .string()
  .min(1)
  .max(120)
  .regex(/^[^\s/\\][^/\\]*$/, 'model name: no slashes, not starting with a space');

export const RunSummarySchema = z.object({
  id: z.number().int(),
  kind: z.enum(RUN_KINDS),
  status: z.enum(['queued', 'running', 'completed', 'failed', 'cancelled', 'interrupted']),
  datasetId: z.number().int().nullable(),
  splitId: z.number().int().nullable(),
  modelId: z.number().int().nullable(),
  device: z.string().nullable(),
  error: z.string().nullable(),
  createdAt: z.string(),
  startedAt: z.string().nullable(),
  finishedAt: z.string().nullable(),
});

export const RunMetricSchema = z.object({
  step: z.number().int(),
  epoch: z.number().nullable(),
  name: z.string(),
  value: z.number(),
  ts: z.number(),
});

export const Empty = z.object({}).strict();

export { isTrainingRun } from '../../run-kinds.js';
