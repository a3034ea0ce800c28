/**
 * Contract of data import: format detection, preview and import reports. The format ids and
 * the generic-CSV mapping belong to engine/data/importers and are re-exported here.
 */
import { z } from 'zod';
import { DateOrderSchema, ImportFormat, ImportMappingSchema } from '../../data/importers/formats.js';

export * from '../../data/importers/formats.js';

export const ImportOptionsShape = {
  /** Skip detection and use this format. */
  format: ImportFormat.optional(),
  /** IANA zone of naive local timestamps (default UTC, with a warning). */
  timeZone: z.string().min(1).max(64).optional(),
  /** Date order of locale timestamps when a file does not settle it (LibreView). */
  dateOrder: DateOrderSchema.optional(),
  mapping: ImportMappingSchema.optional(),
};
/** Server-side paths (files or folders). */
export const ImportPaths = z.array(z.string().min(1).max(4096)).min(1).max(10_000);

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

/** A record mapped to the canonical grid columns (data/grid/channels.ts): `channel` is bg_mM, bolus, rate, dose_units, food_g, hr_bpm… */
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
