/**
 * StudioApi: the one contract between every front end (Electron renderer over IPC, the
 * browser over the web host, the CLI in-process) and StudioService. Every request,
 * response and event is a zod schema here, so each transport validates what crosses it.
 *
 * This file and contract/ are shared with the renderer: they may import only zod and
 * dependency-free engine modules (data/grid/channels.ts, data/quality/schema.ts,
 * data/split-schema.ts, data/importers/formats.ts, units.ts). Each area's schemas live in
 * contract/<area>.ts; the one method table is here, so a transport needs this file only.
 */
import { z } from 'zod';
import {
  DatasetSummarySchema,
  Empty,
  EntityRef,
  InfoSchema,
  ModelDetailSchema,
  ModelName,
  ModelSummarySchema,
  OperationId,
  PatientSummarySchema,
  RunMetricSchema,
  RunSummarySchema,
  SettingsSchema,
} from './contract/common.js';
import {
  ChannelName,
  GridOptionsSchema,
  PatientTraceSchema,
  QualityFixResultSchema,
  QualityFixSchema,
  QualityReportSchema,
  QualitySettingsSchema,
  SimulateRequestSchema,
  SplitDetailSchema,
  SplitSpecSchema,
  SplitSummarySchema,
} from './contract/data.js';
import type { ApiEvent } from './contract/events.js';
import {
  FormatDetectionSchema,
  ImportFormat,
  ImportMappingSchema,
  ImportOptionsShape,
  ImportPaths,
  ImportPreviewSchema,
  ImportReportSchema,
} from './contract/import.js';
import { JobsExportRequestSchema, JobsExportResultSchema, JobsImportRequestSchema, JobsImportResultSchema } from './contract/cluster.js';
import { ReportRequestSchema, ReportResultSchema } from './contract/reports.js';
import {
  ForecastEvaluateRequestSchema,
  ForecastPredictRequestSchema,
  ForecastsResultSchema,
  RunDetailSchema,
  RunEndSchema,
  RunId,
  TrainStartRequestSchema,
} from './contract/runs.js';

export * from './contract/cluster.js';
export * from './contract/common.js';
export * from './contract/data.js';
export * from './contract/events.js';
export * from './contract/import.js';
export * from './contract/reports.js';
export * from './contract/runs.js';

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
  'models.show': { request: z.object({ model: EntityRef }).strict(), response: ModelDetailSchema },
  'models.import': {
    request: z.object({ path: z.string().min(1).max(4096), name: ModelName.optional() }).strict(),
    response: ModelDetailSchema,
  },
  'models.pull': {
    request: z
      .object({
        repo: z.string().min(3).max(200).optional(),
        contextLength: z.number().int().positive().max(100_000).optional(),
        forecastLength: z.number().int().positive().max(100_000).optional(),
        revision: z.string().min(1).max(200).optional(),
        endpoint: z.string().min(1).max(2000).optional(),
        token: z.string().min(1).max(1000).optional(),
        name: ModelName.optional(),
        force: z.boolean().default(false),
        operationId: OperationId.optional(),
      })
      .strict(),
    response: z.object({ model: ModelDetailSchema, fromCache: z.boolean(), key: z.string().nullable(), predictionFilterLength: z.number().int().nullable() }),
  },
  'models.exportOnnx': {
    request: z
      .object({ model: EntityRef, path: z.string().min(1).max(4096), observedMask: z.boolean().default(false), overwrite: z.boolean().default(false) })
      .strict(),
    response: z.object({ path: z.string(), bytes: z.number().int(), inputs: z.array(z.string()), outputs: z.array(z.string()) }),
  },
  'models.delete': {
    request: z.object({ model: EntityRef }).strict(),
    response: z.object({ deleted: z.string(), removedFiles: z.boolean() }),
  },
  'runs.list': { request: Empty, response: z.array(RunSummarySchema) },
  'train.start': { request: TrainStartRequestSchema, response: RunEndSchema },
  'train.cancel': { request: z.object({ run: RunId }).strict(), response: z.object({ cancelled: z.boolean() }) },
  'train.resume': { request: z.object({ run: RunId, wait: z.boolean().default(false) }).strict(), response: RunEndSchema },
  'jobs.export': { request: JobsExportRequestSchema, response: JobsExportResultSchema },
  'jobs.import': { request: JobsImportRequestSchema, response: JobsImportResultSchema },
  'forecast.predict': { request: ForecastPredictRequestSchema, response: RunEndSchema },
  'forecast.evaluate': { request: ForecastEvaluateRequestSchema, response: RunEndSchema },
  'runs.get': { request: z.object({ run: RunId }).strict(), response: RunDetailSchema },
  /** Stored rolling-origin forecasts of a predict run (mmol/L), for charts; reads the store only. */
  'forecasts.get': {
    request: z
      .object({
        run: z.number().int().positive(),
        patient: z.string().min(1).max(200).optional(),
        from: z.number().optional(),
        to: z.number().optional(),
        limit: z.number().int().min(1).max(100_000).default(5000),
      })
      .strict(),
    response: ForecastsResultSchema,
  },
  'runs.metrics': { request: z.object({ run: z.number().int().positive(), name: z.string().optional() }).strict(), response: z.array(RunMetricSchema) },
  'operations.cancel': { request: z.object({ operationId: OperationId }).strict(), response: z.object({ cancelled: z.boolean() }) },
  'datasets.detect': {
    request: z.object({ paths: ImportPaths, format: ImportFormat.optional(), mapping: ImportMappingSchema.optional() }).strict(),
    response: z.array(FormatDetectionSchema),
  },
  'datasets.preview': {
    request: z.object({ path: z.string().min(1).max(4096), rows: z.number().int().min(1).max(1000).default(20), ...ImportOptionsShape }).strict(),
    response: ImportPreviewSchema,
  },
  'datasets.import': {
    request: z
      .object({ paths: ImportPaths, dataset: EntityRef, create: z.boolean().default(false), ...ImportOptionsShape, operationId: OperationId.optional() })
      .strict(),
    response: ImportReportSchema,
  },
  'datasets.simulate': { request: SimulateRequestSchema, response: DatasetSummarySchema },
  'datasets.ensureDemo': {
    request: z.object({ operationId: OperationId.optional() }).strict(),
    response: z.object({ dataset: DatasetSummarySchema, created: z.boolean() }),
  },
  'patients.trace': {
    request: z
      .object({
        dataset: EntityRef,
        patient: z.union([z.string().min(1), z.number().int().positive()]),
        from: z.number().optional(),
        to: z.number().optional(),
        channels: z.array(ChannelName).optional(),
        grid: GridOptionsSchema.optional(),
      })
      .strict(),
    response: PatientTraceSchema,
  },
  'quality.check': {
    request: z.object({ dataset: EntityRef, settings: QualitySettingsSchema.optional(), operationId: OperationId.optional() }).strict(),
    response: QualityReportSchema,
  },
  'quality.latest': { request: z.object({ dataset: EntityRef }).strict(), response: QualityReportSchema.nullable() },
  'quality.fix': {
    request: z
      .object({
        dataset: EntityRef,
        /** Fixes given explicitly… */
        fixes: z.array(QualityFixSchema).optional(),
        /** …or chosen by index among a stored report's findings (default: the latest report). */
        findings: z.array(z.number().int().min(0)).optional(),
        reportId: z.number().int().positive().optional(),
      })
      .strict(),
    response: z.array(QualityFixResultSchema),
  },
  'splits.create': {
    request: z
      .object({
        dataset: EntityRef,
        name: z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/, 'split name: 1–64 letters, digits, dots, dashes or underscores'),
        spec: SplitSpecSchema,
      })
      .strict(),
    response: SplitDetailSchema,
  },
  'splits.list': { request: z.object({ dataset: EntityRef.optional() }).strict(), response: z.array(SplitSummarySchema) },
  'splits.get': {
    request: z.object({ dataset: EntityRef, name: z.string().min(1), version: z.number().int().positive().optional() }).strict(),
    response: SplitDetailSchema,
  },
  /** Writes an HTML report (data report of a dataset/patient, or model report of a run); PDF is printed from it by the caller. */
  'reports.generate': {
    request: ReportRequestSchema,
    response: ReportResultSchema,
  },
} as const satisfies Record<string, { request: z.ZodType; response: z.ZodType }>;

export type MethodName = keyof typeof METHODS;
export const METHOD_NAMES = Object.keys(METHODS) as MethodName[];
export type ApiRequest<M extends MethodName> = z.input<(typeof METHODS)[M]['request']>;
export type ApiResponse<M extends MethodName> = z.output<(typeof METHODS)[M]['response']>;

export function isMethodName(name: unknown): name is MethodName {
  return typeof name === 'string' && Object.prototype.hasOwnProperty.call(METHODS, name);
}

/** What every transport's client offers the renderer. */
export interface StudioApi {
  call<M extends MethodName>(method: M, request: ApiRequest<M>): Promise<ApiResponse<M>>;
  subscribe(listener: (event: ApiEvent) => void): () => void;
}
