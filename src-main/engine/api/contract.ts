/**
 * StudioApi: the one contract between every front end (Electron renderer over IPC, the
 * browser over the web host, the CLI in-process) and StudioService. Every request,
 * response and event is a zod schema here, so each transport validates what crosses it.
 *
 * This file is shared with the renderer: it may import only zod.
 */
import { z } from 'zod';

// ---------- shared pieces ----------

/** A dataset or model is addressed by name or numeric id. */
export const EntityRef = z.union([z.string().min(1).max(200), z.number().int().positive()]);

/** Client-chosen id for a long operation, so it can follow progress events and cancel. */
export const OperationId = z
  .string()
  .regex(/^[A-Za-z0-9_-]{6,64}$/, 'operationId: 6–64 letters, digits, dashes or underscores');

export const GlucoseUnit = z.enum(['mg/dL', 'mmol/L']);
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
});

export const RunSummarySchema = z.object({
  id: z.number().int(),
  kind: z.enum(['train', 'evaluate', 'predict', 'zero_shot']),
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

const Empty = z.object({}).strict();

// ---------- data import ----------

export const ImportFormat = z.enum(['dexcom-clarity', 'libreview', 'nightscout', 'tidepool', 'ohiot1dm-xml', 'glucose-ml', 'glupredkit', 'seed-csv', 'generic-csv']);
export const DateOrderSchema = z.enum(['ymd', 'dmy', 'mdy']);

/** Column mapping for generic CSVs (the import wizard writes it; `--mapping file.json` in the CLI). */
export const ImportMappingSchema = z
  .object({
    delimiter: z.enum([',', ';', '\t', '|']).optional(),
    /** 1-based line holding the column names; lines above it are skipped. */
    headerLine: z.number().int().min(1).max(1000).default(1),
    /** `iso` (YYYY-MM-DD hh:mm[:ss][Z|±hh:mm]), epoch seconds/ms, or a date order with optional AM/PM. */
    timestamp: z.object({ column: z.string().min(1), format: z.enum(['iso', 'epoch_s', 'epoch_ms', 'dmy', 'mdy', 'ymd']).default('iso') }).strict(),
    /** IANA zone of naive timestamps; an explicit timeZone option overrides it. */
    timeZone: z.string().min(1).optional(),
    patient: z.union([z.object({ column: z.string().min(1) }).strict(), z.object({ value: z.string().min(1).max(200) }).strict()]).optional(),
    glucose: z.object({ column: z.string().min(1), unit: GlucoseUnit, kind: z.enum(['cgm', 'scan', 'smbg']).default('cgm') }).strict().optional(),
    events: z
      .array(
        z
          .object({
            column: z.string().min(1),
            kind: z.enum(['bolus', 'basal_rate', 'basal_dose', 'carbs', 'exercise', 'hr', 'steps', 'cals', 'ketone', 'note']),
            /** Multiplier to the canonical unit (e.g. 0.001 for mU → U). */
            scale: z.number().positive().finite().default(1),
            durationMinColumn: z.string().min(1).optional(),
          })
          .strict(),
      )
      .default([]),
  })
  .strict()
  .refine((m) => m.glucose !== undefined || m.events.length > 0, { message: 'map at least a glucose column or one event column' });
export type ImportMapping = z.output<typeof ImportMappingSchema>;

const ImportOptionsShape = {
  /** Skip detection and use this format. */
  format: ImportFormat.optional(),
  /** IANA zone of naive local timestamps (default UTC, with a warning). */
  timeZone: z.string().min(1).max(64).optional(),
  /** Date order of locale timestamps when a file does not settle it (LibreView). */
  dateOrder: DateOrderSchema.optional(),
  mapping: ImportMappingSchema.optional(),
};
/** Server-side paths (files or folders). */
const ImportPaths = z.array(z.string().min(1).max(4096)).min(1).max(10_000);

export const FormatDetectionSchema = z.object({
  path: z.string(),
  file: z.string(),
  bytes: z.number().int(),
  format: ImportFormat.nullable(),
  forced: z.boolean(),
  confidence: z.number(),
  reasons: z.array(z.string()),
  candidates: z.array(z.object({ format: ImportFormat, score: z.number(), reasons: z.array(z.string()) })),
});

export const ImportWarningSchema = z.object({ code: z.string(), message: z.string(), count: z.number().int(), firstLine: z.number().int().nullable() });

/** A record mapped to the canonical columns (DESIGN.md §4): `channel` is bg_mM, bolus, rate, dose_units, food_g, hr_bpm… */
export const PreviewRowSchema = z.object({
  datetime: z.string(),
  ts: z.number(),
  utcOffsetMin: z.number().int().nullable(),
  p_num: z.string(),
  channel: z.string(),
  kind: z.string(),
  value: z.number(),
  unit: z.string(),
  durationMin: z.number().nullable(),
  flags: z.number().int(),
  sourceRow: z.number().int().nullable(),
  meta: z.record(z.string(), z.unknown()).nullable(),
});

export const ImportPreviewSchema = FormatDetectionSchema.omit({ bytes: true, candidates: true }).extend({
  rows: z.array(PreviewRowSchema),
  warnings: z.array(ImportWarningSchema),
  notes: z.array(z.string()),
});

export const ImportFileReportSchema = z.object({
  path: z.string(),
  file: z.string(),
  format: ImportFormat.nullable(),
  status: z.enum(['imported', 'already imported', 'duplicate', 'skipped']),
  reason: z.string().nullable(),
  detection: z.array(z.string()),
  bytes: z.number().int(),
  fileHash: z.string().nullable(),
  readings: z.number().int(),
  events: z.number().int(),
  patients: z.array(z.string()),
  warnings: z.array(ImportWarningSchema),
  notes: z.array(z.string()),
});

export const ImportReportSchema = z.object({
  dataset: z.string(),
  datasetId: z.number().int(),
  createdDataset: z.boolean(),
  files: z.array(ImportFileReportSchema),
  readings: z.number().int(),
  events: z.number().int(),
  warnings: z.number().int(),
  durationMs: z.number(),
});
export type ImportReportWire = z.infer<typeof ImportReportSchema>;

// ---------- methods ----------

/**
 * Every method: request schema, response schema, and whether it is a long operation
 * (accepts an operationId, reports progress events, can be cancelled).
 */
export const METHODS = {
  'app.info': { request: Empty, response: InfoSchema },
  'settings.get': { request: Empty, response: SettingsSchema },
  'settings.update': { request: SettingsSchema.partial().strict(), response: SettingsSchema },
  'datasets.list': { request: Empty, response: z.array(DatasetSummarySchema) },
  'datasets.get': { request: z.object({ dataset: EntityRef }).strict(), response: DatasetSummarySchema },
  'datasets.patients': { request: z.object({ dataset: EntityRef }).strict(), response: z.array(PatientSummarySchema) },
  'datasets.delete': { request: z.object({ dataset: EntityRef }).strict(), response: z.object({ deleted: z.string() }) },
  'models.list': { request: Empty, response: z.array(ModelSummarySchema) },
  'runs.list': { request: Empty, response: z.array(RunSummarySchema) },
  'runs.metrics': { request: z.object({ run: z.number().int().positive(), name: z.string().optional() }).strict(), response: z.array(RunMetricSchema) },
  'operations.cancel': { request: z.object({ operationId: OperationId }).strict(), response: z.object({ cancelled: z.boolean() }) },
  'datasets.detect': { request: z.object({ paths: ImportPaths, format: ImportFormat.optional(), mapping: ImportMappingSchema.optional() }).strict(), response: z.array(FormatDetectionSchema) },
  'datasets.preview': { request: z.object({ path: z.string().min(1).max(4096), rows: z.number().int().min(1).max(1000).default(20), ...ImportOptionsShape }).strict(), response: ImportPreviewSchema },
  'datasets.import': {
    request: z.object({ paths: ImportPaths, dataset: EntityRef, create: z.boolean().default(false), ...ImportOptionsShape, operationId: OperationId.optional() }).strict(),
    response: ImportReportSchema,
  },
} as const satisfies Record<string, { request: z.ZodType; response: z.ZodType }>;

export type MethodName = keyof typeof METHODS;
export const METHOD_NAMES = Object.keys(METHODS) as MethodName[];
export type ApiRequest<M extends MethodName> = z.input<(typeof METHODS)[M]['request']>;
export type ApiResponse<M extends MethodName> = z.output<(typeof METHODS)[M]['response']>;

export function isMethodName(name: unknown): name is MethodName {
  return typeof name === 'string' && Object.prototype.hasOwnProperty.call(METHODS, name);
}

// ---------- events ----------

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
export type ProgressEvent = z.infer<typeof ProgressEventSchema>;

// ---------- errors on the wire ----------

export const WireErrorSchema = z.object({
  code: z.string(),
  message: z.string(),
  details: z.record(z.string(), z.unknown()).optional(),
});
export type WireError = z.infer<typeof WireErrorSchema>;

/** What every transport's client offers the renderer. */
export interface StudioApi {
  call<M extends MethodName>(method: M, request: ApiRequest<M>): Promise<ApiResponse<M>>;
  subscribe(listener: (event: ApiEvent) => void): () => void;
}

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
