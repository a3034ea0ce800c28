/**
 * ModelReportInput: everything a model report shows, as one zod-typed value, so the
 * training/evaluation side can fill it directly (or buildModelReportInput gathers it from the
 * store). Glucose figures are in mg/dL; the renderer converts to the display unit.
 * Each optional part is null with a reason in `unavailable` when it cannot be shown.
 */
import { z } from 'zod';

const nullableNum = z.number().nullable();

export const ZonePercentSchema = z.object({
  n: z.number().int().min(0),
  A: nullableNum,
  B: nullableNum,
  C: nullableNum,
  D: nullableNum,
  E: nullableNum,
  aPlusB: nullableNum,
});

export const StepMetricSchema = z.object({
  step: z.number().int().min(1),
  minutes: z.number(),
  n: z.number().int().min(0),
  rmseMgdl: nullableNum,
  maeMgdl: nullableNum,
  /** % */
  mard: nullableNum,
  biasMgdl: nullableNum,
});

/** Hypoglycaemia detection of one level at one horizon: event = observed target at +minutes below the threshold. */
export const HypoSchema = z.object({
  level: z.union([z.literal(1), z.literal(2)]),
  thresholdMgdl: z.number(),
  /** Lead time scored (30, 60, 120 …). */
  minutes: z.number(),
  /** Windows counted: observed target at +minutes. */
  windows: z.number().int().min(0),
  /** Windows whose target at +minutes is imputed (not counted). */
  skippedWindows: z.number().int().min(0),
  tp: z.number().int().min(0),
  fp: z.number().int().min(0),
  tn: z.number().int().min(0),
  fn: z.number().int().min(0),
  sensitivity: nullableNum,
  precision: nullableNum,
  specificity: nullableNum,
  mcc: nullableNum,
});

export const CoverageSchema = z.object({
  /** Nominal level, e.g. 0.8. */
  level: z.number().gt(0).lt(1),
  /** Empirical fraction in [0, 1]. */
  coverage: nullableNum,
  meanWidthMgdl: nullableNum,
  n: z.number().int().min(0),
});

export const ModelEvaluationSchema = z.object({
  model: z.string().min(1),
  /** True for persistence, ridge, AR… (the reference points), false for the model under test. */
  baseline: z.boolean(),
  /** What the row is beside the model under test, shown after its name (e.g. "base model, zero-shot"). */
  role: z.string().optional(),
  windows: z.number().int().min(0),
  scoredTargets: z.number().int().min(0),
  perStep: z.array(StepMetricSchema),
  overall: StepMetricSchema.omit({ step: true, minutes: true }),
  trajectoryRmseMgdl: nullableNum,
  trajectoryRmseMinutes: z.number().nullable(),
  clarke: ZonePercentSchema,
  parkes: ZonePercentSchema,
  /** Per level and reported minute; empty when the stored evaluation predates per-horizon scoring. */
  hypoByHorizon: z.array(HypoSchema),
  coverage: z.array(CoverageSchema),
});
export type ModelEvaluation = z.output<typeof ModelEvaluationSchema>;

export const EvaluationGroupSchema = z.object({
  /** e.g. in_distribution, unseen_patients. */
  group: z.string().min(1),
  windows: z.number().int().min(0),
  patients: z.number().int().min(0).nullable(),
  models: z.array(ModelEvaluationSchema),
});

export const EvaluationSchema = z.object({
  resolutionMin: z.number().int().min(1),
  contextLength: z.number().int().min(1),
  forecastLength: z.number().int().min(1),
  stride: z.number().int().min(1),
  levels: z.array(z.number()),
  calibrationWindows: z.number().int().min(0),
  groups: z.array(EvaluationGroupSchema),
  notes: z.array(z.string()),
  createdAt: z.string().nullable(),
});
export type ReportEvaluation = z.output<typeof EvaluationSchema>;

export const ErrorGridPairsSchema = z.object({
  model: z.string(),
  /** Sampled pairs (evenly, when there are more than the chart can show). */
  referenceMgdl: z.array(z.number()),
  predictionMgdl: z.array(z.number()),
  totalPairs: z.number().int().min(0),
  source: z.string(),
});

export const ExampleForecastSchema = z.object({
  label: z.enum(['best', 'median', 'worst']),
  patient: z.string(),
  originTs: z.number(),
  utcOffsetMin: z.number(),
  stepMin: z.number().int().min(1),
  rmseMgdl: z.number(),
  historyMgdl: z.array(z.number().nullable()),
  actualMgdl: z.array(z.number().nullable()),
  forecastMgdl: z.array(z.number()),
  lowerMgdl: z.array(z.number()).nullable(),
  upperMgdl: z.array(z.number()).nullable(),
  level: z.number().nullable(),
});
export type ExampleForecast = z.output<typeof ExampleForecastSchema>;

export const CurveSchema = z.object({
  name: z.string(),
  points: z.array(z.object({ step: z.number(), epoch: z.number().nullable(), value: z.number() })),
});

export const ModelReportInputSchema = z.object({
  generatedAt: z.string(),
  run: z.object({
    id: z.number().int(),
    kind: z.string(),
    status: z.string(),
    createdAt: z.string(),
    startedAt: z.string().nullable(),
    finishedAt: z.string().nullable(),
    device: z.string().nullable(),
    seed: z.number().int().nullable(),
    error: z.string().nullable(),
    outputDir: z.string().nullable(),
  }),
  model: z
    .object({
      id: z.number().int().nullable(),
      name: z.string(),
      source: z.string(),
      repo: z.string().nullable(),
      revision: z.string().nullable(),
      path: z.string().nullable(),
      /** Architecture facts from config.json (context and forecast length, parameters …). */
      facts: z.array(z.tuple([z.string(), z.string()])),
    })
    .nullable(),
  /** The run's configuration, flattened to key → value for the table. */
  config: z.record(z.string(), z.unknown()),
  data: z.object({
    dataset: z.object({ id: z.number().int(), name: z.string(), source: z.string(), resolutionMin: z.number().int(), fingerprint: z.string() }).nullable(),
    split: z
      .object({
        id: z.number().int(),
        name: z.string(),
        version: z.number().int(),
        kind: z.string(),
        contentHash: z.string(),
        trainPatients: z.number().int(),
        holdoutPatients: z.number().int(),
      })
      .nullable(),
  }),
  versions: z.record(z.string(), z.string()),
  durations: z.array(z.tuple([z.string(), z.number().nullable()])),
  curves: z.array(CurveSchema),
  evaluation: EvaluationSchema.nullable(),
  /**
   * A fine-tune run: the model it started from, evaluated zero-shot on the same windows. Its
   * rows are also in `evaluation` (after the fine-tuned model); null with
   * `unavailable.baseComparison` when no such evaluation is stored.
   */
  baseComparison: z
    .object({
      base: z.string(),
      tuned: z.string(),
      groups: z.array(z.object({ group: z.string(), windows: z.number().int().min(0), base: ModelEvaluationSchema, tuned: ModelEvaluationSchema })),
    })
    .nullable()
    .optional(),
  errorGrid: ErrorGridPairsSchema.nullable(),
  examples: z.array(ExampleForecastSchema),
  /** Part → why it is missing (curves, evaluation, errorGrid, examples, model, data). */
  unavailable: z.record(z.string(), z.string()),
});
export type ModelReportInput = z.output<typeof ModelReportInputSchema>;
