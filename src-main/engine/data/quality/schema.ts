/**
 * What a quality check reports and the fixes it proposes: the data layer owns these shapes
 * (checks.ts produces them, index.ts stores and applies them); the API contract re-exports
 * them. Only zod and the channel list, so the renderer can import it through the contract.
 */
import { z } from 'zod';
import { ChannelName } from '../grid/channels.js';

const TimeBound = z.number().int();

/** A fix a quality finding proposes; applied only when asked (`quality.fix`) and recorded. */
export const QualityFixSchema = z.discriminatedUnion('kind', [
  /** Keep the first reading per timestamp (or per grid bin) in the range; mark the others removed. */
  z
    .object({
      kind: z.literal('dedupe_readings'),
      patientId: z.number().int(),
      by: z.enum(['timestamp', 'bin']),
      resolutionMin: z.number().int().positive().optional(),
      from: TimeBound.optional(),
      to: TimeBound.optional(),
    })
    .strict(),
  /** Mark readings removed: listed timestamps, or values outside [minBg, maxBg] in the range. */
  z
    .object({
      kind: z.literal('remove_readings'),
      patientId: z.number().int(),
      timestamps: z.array(TimeBound).optional(),
      below: z.number().optional(),
      above: z.number().optional(),
      from: TimeBound.optional(),
      to: TimeBound.optional(),
    })
    .strict(),
  /** Multiply glucose values in [min, max] by `factor` (unit mix-ups: 1 / MGDL_PER_MMOL or MGDL_PER_MMOL, units.ts). */
  z
    .object({
      kind: z.literal('convert_units'),
      patientId: z.number().int(),
      factor: z.number().positive(),
      min: z.number(),
      max: z.number(),
      from: TimeBound.optional(),
      to: TimeBound.optional(),
    })
    .strict(),
  /** Leave a channel out of the dataset's modelling view (zero variance). */
  z.object({ kind: z.literal('drop_channel'), channel: ChannelName }).strict(),
  /** Shift readings and events in [from, to) by offsetMin (clock jumps). */
  z.object({ kind: z.literal('shift_time'), patientId: z.number().int(), from: TimeBound, to: TimeBound, offsetMin: z.number().int() }).strict(),
  /**
   * Timestamps holding different glucose values (a conflict): keep the reading most consistent
   * with its neighbours (`neighbours`), keep one reading set to their mean (`mean`), or mark
   * them all removed (`drop`).
   */
  z
    .object({
      kind: z.literal('resolve_conflicts'),
      patientId: z.number().int(),
      strategy: z.enum(['neighbours', 'mean', 'drop']),
      /** Only the conflicts at these timestamps (the finding's; default: every conflict in the range). */
      timestamps: z.array(TimeBound).optional(),
      from: TimeBound.optional(),
      to: TimeBound.optional(),
    })
    .strict(),
]);
export type QualityFix = z.infer<typeof QualityFixSchema>;

export const QUALITY_CHECKS = [
  'no_readings',
  'missing',
  'zero_variance',
  'non_finite',
  'out_of_range',
  'duplicate_timestamps',
  'conflicting_duplicates',
  'duplicate_uploads',
  'overlapping_sensors',
  'irregular_interval',
  'interval_mismatch',
  'unit_mgdl_in_mmol',
  'unit_mmol_in_mgdl',
  'error_codes',
  'implausible_rate',
  'dst_repeat',
  'time_backwards',
  'low_wear',
  'short_history',
  'no_usable_windows',
] as const;

export const QualityFindingSchema = z.object({
  check: z.enum(QUALITY_CHECKS),
  severity: z.enum(['error', 'warning', 'info']),
  message: z.string(),
  count: z.number(),
  patientId: z.number().int().nullable(),
  externalId: z.string().nullable(),
  channel: ChannelName.nullable(),
  from: z.number().nullable(),
  to: z.number().nullable(),
  fix: QualityFixSchema.nullable(),
  /** Other fixes for the same finding (the user chooses; `fix` is the recommended one). */
  alternatives: z.array(QualityFixSchema).optional(),
});
export type QualityFinding = z.infer<typeof QualityFindingSchema>;

export const QualitySettingsSchema = z
  .object({
    resolutionMin: z.number().int().min(1).max(1440).optional(),
    maxGapMin: z.number().min(0).max(1440).optional(),
    contextLength: z.number().int().min(1).max(100_000).default(512),
    forecastLength: z.number().int().min(1).max(100_000).default(96),
  })
  .strict();

export const PatientQualitySchema = z.object({
  patientId: z.number().int(),
  externalId: z.string(),
  readings: z.number().int(),
  days: z.number(),
  wearPercent: z.number(),
  missingPercent: z.number(),
  modalIntervalMin: z.number().nullable(),
  segments: z.number().int(),
  usableWindows: z.number().int(),
  /** Gap counts by length: ≤15 min, 15–30, 30–60 min, 1–2 h, 2–6 h, 6–24 h, >24 h. */
  gapHistogram: z.array(z.object({ label: z.string(), count: z.number().int() })),
});

export const QualityReportSchema = z.object({
  reportId: z.number().int().nullable(),
  datasetId: z.number().int(),
  datasetName: z.string(),
  createdAt: z.string(),
  settings: z.object({ resolutionMin: z.number().int(), maxGapMin: z.number(), contextLength: z.number().int(), forecastLength: z.number().int() }),
  summary: z.object({
    patients: z.number().int(),
    readings: z.number().int(),
    errors: z.number().int(),
    warnings: z.number().int(),
    infos: z.number().int(),
    usableWindows: z.number().int(),
  }),
  patients: z.array(PatientQualitySchema),
  findings: z.array(QualityFindingSchema),
});
export type QualityReport = z.infer<typeof QualityReportSchema>;

export const QualityFixResultSchema = z.object({
  fixId: z.number().int(),
  fix: QualityFixSchema,
  affected: z.number().int(),
});
