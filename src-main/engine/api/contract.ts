/**
 * StudioApi: the one contract between every front end (Electron renderer over IPC, the
 * browser over the web host, the CLI in-process) and StudioService. Every request,
 * response and event is a zod schema here, so each transport validates what crosses it.
 *
 * This file is shared with the renderer: it may import only zod and dependency-free engine modules (data/grid/channels.ts).
 */
import { z } from 'zod';
import { CHANNELS } from '../data/grid/channels.js';

// ---------- shared pieces ----------

/** A dataset or model is addressed by name or numeric id. */
export const EntityRef = z.union([z.string().min(1).max(200), z.number().int().positive()]);

/** Client-chosen id for a long operation, so it can follow progress events and cancel. */
export const OperationId = z.string().regex(/^[A-Za-z0-9_-]{6,64}$/, 'operationId: 6–64 letters, digits, dashes or underscores');

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
  /** Window geometry from the registered config.json (null when it was not recorded). */
  contextLength: z.number().int().nullable(),
  predictionLength: z.number().int().nullable(),
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

const ModelName = z
  .string()
  .min(1)
  .max(120)
  .regex(/^[^\s/\\][^/\\]*$/, 'model name: no slashes, not starting with a space');

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

// ---------- data pipeline: grids, quality, splits, simulator ----------

// One list of canonical channels for the grid builder, the store, the API and the CLI.
export const CHANNEL_NAMES = CHANNELS;
export const ChannelName = z.enum(CHANNEL_NAMES);
export const ImputeStrategyName = z.enum(['linear', 'mean', 'median', 'forward_fill', 'zero']);

/** How raw readings become the regular grid (DESIGN.md §4). */
export const GridOptionsSchema = z
  .object({
    resolutionMin: z.number().int().min(1).max(1440).optional(),
    maxGapMin: z.number().min(0).max(1440).optional(),
    imputation: z.partialRecord(ChannelName, ImputeStrategyName).optional(),
  })
  .strict();
export type GridOptionsInput = z.infer<typeof GridOptionsSchema>;

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
  /** Multiply glucose values in [min, max] by `factor` (unit mix-ups: 1/18.018 or 18.018). */
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

export const SplitSpecSchema = z
  .object({
    kind: z.enum(['temporal', 'patient_holdout', 'hybrid']),
    /** Last fraction of each (non-holdout) patient's time used for testing (temporal, hybrid). */
    testFraction: z.number().min(0).max(0.9).default(0.2),
    /** Fraction before the test part used for validation. */
    valFraction: z.number().min(0).max(0.9).default(0.1),
    /** Time left out between consecutive parts, so targets near a boundary don't leak. */
    gapMin: z.number().min(0).max(525_600).default(0),
    /** Explicit holdout patients (external ids); otherwise a seeded choice of holdoutFraction. */
    holdoutPatients: z.array(z.string().min(1)).optional(),
    holdoutFraction: z.number().min(0).max(0.9).default(0.1),
    seed: z.number().int().min(0).default(1),
  })
  .strict();
export type SplitSpec = z.output<typeof SplitSpecSchema>;

const RangeSchema = z.object({ from: z.number(), to: z.number() });
export const SplitPatientSchema = z.object({
  patientId: z.number().int(),
  role: z.enum(['train', 'holdout']),
  train: RangeSchema.nullable(),
  val: RangeSchema.nullable(),
  test: RangeSchema.nullable(),
});
export const SplitContentSchema = z.object({
  trainPatients: z.array(z.string()),
  holdoutPatients: z.array(z.string()),
  /** Patients left out because they have no usable readings. */
  excludedPatients: z.array(z.string()),
  /** external id → time boundaries, [from, to) in epoch ms. */
  patients: z.record(z.string(), SplitPatientSchema),
});
export type SplitContent = z.infer<typeof SplitContentSchema>;

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

// ---------- data import ----------

export const ImportFormat = z.enum([
  'dexcom-clarity',
  'libreview',
  'nightscout',
  'tidepool',
  'ohiot1dm-xml',
  'glucose-ml',
  'glupredkit',
  'seed-csv',
  'medtronic-carelink',
  'nightscout-csv',
  'generic-csv',
]);
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
    glucose: z
      .object({ column: z.string().min(1), unit: GlucoseUnit, kind: z.enum(['cgm', 'scan', 'smbg']).default('cgm') })
      .strict()
      .optional(),
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

// ---------- training, prediction, evaluation (issue 6) ----------

const RunId = z.number().int().positive();
const DataSelection = { dataset: EntityRef, split: EntityRef };

export const TrainStartRequestSchema = z
  .object({
    ...DataSelection,
    /** TTMConfig (camelCase or the seed's snake_case); validated by the engine. */
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

// ---------- reports ----------

export const ReportRequestSchema = z
  .object({
    /** Data report of this dataset… */
    dataset: EntityRef.optional(),
    /** …restricted to one patient (external id), or */
    patient: z.string().min(1).max(200).optional(),
    /** model report of this run (`dataset` then names the data when the run does not). */
    run: z.number().int().positive().optional(),
    /** Output .html path on the service's machine; default <dataDir>/reports/<name>.html. */
    out: z.string().min(1).max(4096).optional(),
    /** Display unit; default: the glucoseUnit setting. */
    unit: GlucoseUnit.optional(),
    overwrite: z.boolean().default(true),
    operationId: OperationId.optional(),
  })
  .strict()
  .refine((r) => r.dataset !== undefined || r.run !== undefined, { message: 'give a dataset (data report) or a run (model report)' })
  .refine((r) => r.patient === undefined || r.run === undefined, { message: 'patient applies to data reports only' });

export const ReportResultSchema = z.object({
  kind: z.enum(['data', 'model']),
  path: z.string(),
  bytes: z.number().int(),
  title: z.string(),
  unit: GlucoseUnit,
  sections: z.array(z.string()),
});
export type ReportResult = z.infer<typeof ReportResultSchema>;

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
        predictionLength: z.number().int().positive().max(100_000).optional(),
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
