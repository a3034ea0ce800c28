/**
 * Reads an `evaluations.metrics_json` (forecast/evaluation-report.ts's EvaluationReport) into the
 * report's evaluation shape. Parsed with zod, loosely: unknown keys are ignored, so a newer
 * writer that adds fields still reports; a missing required field yields a clear reason.
 */
import { z } from 'zod';
import { GLUCOSE_UNITS, type GlucoseUnit, toMgdl } from '../units.js';
import { formatZodIssues, withRenamedKey } from '../util/json.js';
import type { ModelEvaluation, ReportEvaluation } from './model-schema.js';

const n = z.number().nullable();
const Zone = z.looseObject({ n: z.number(), percent: z.looseObject({ A: n, B: n, C: n, D: n, E: n }), aPlusB: n });
const Step = z.looseObject({ step: z.number(), minutes: z.number(), n: z.number(), rmseMgdl: n, maeMgdl: n, mard: n, biasMgdl: n });
const Unit = z.enum(GLUCOSE_UNITS);
const Hypo = z.looseObject({
  level: z.union([z.literal(1), z.literal(2)]),
  threshold: z.number(),
  unit: Unit,
  minutes: z.number(),
  windows: z.number(),
  skippedWindows: z.number(),
  tp: z.number(),
  fp: z.number(),
  tn: z.number(),
  fn: z.number(),
  sensitivity: n,
  precision: n,
  specificity: n,
  mcc: n,
});
const Coverage = z.looseObject({ overall: z.looseObject({ n: z.number(), coverage: n, meanWidth: n }) });
const StoredModel = z.looseObject({
  model: z.string(),
  windows: z.number(),
  scoredTargets: z.number(),
  trajectoryRmseMgdl: n,
  trajectoryRmseMinutes: z.number().nullable().optional(),
  full: z.looseObject({
    point: z.looseObject({ resolutionMin: z.number(), perStep: z.array(Step), overall: Step.omit({ step: true, minutes: true }) }),
    clarke: z.looseObject({ overall: Zone }),
    parkes: z.looseObject({ overall: Zone }),
    unit: Unit.optional(),
    /** Absent before per-horizon hypoglycaemia scoring: the report then says so. */
    hypoByHorizon: z.array(Hypo).optional(),
    /** The old any-in-horizon scores: read only for the unit of evaluations stored before `unit`. */
    hypo: z.looseObject({ level1: z.looseObject({ unit: Unit }) }).optional(),
    coverage: z.record(z.string(), Coverage),
  }),
});
const StoredEvaluationV2Schema = z.looseObject({
  resolutionMin: z.number(),
  contextLength: z.number(),
  forecastLength: z.number(),
  stride: z.number(),
  levels: z.array(z.number()),
  calibrationWindows: z.number(),
  groups: z.array(z.looseObject({ group: z.string(), windows: z.number(), patients: z.number().optional(), models: z.array(StoredModel) })),
  notes: z.array(z.string()),
});
/** Evaluations stored before the forecast length was named `forecastLength` call it `horizon`. */
export const StoredEvaluationSchema = z.preprocess((raw) => withRenamedKey(raw, 'horizon', 'forecastLength'), StoredEvaluationV2Schema);

export const BASELINE_NAMES: ReadonlySet<string> = new Set(['persistence', 'ridge', 'ar2', 'linear', 'log-ar2']);

const zone = (z0: z.output<typeof Zone>) => ({
  n: z0.n,
  A: z0.percent.A,
  B: z0.percent.B,
  C: z0.percent.C,
  D: z0.percent.D,
  E: z0.percent.E,
  aPlusB: z0.aPlusB,
});

function model(m: z.output<typeof StoredModel>, index: number): ModelEvaluation {
  const f = m.full;
  // Hypo thresholds and interval widths are in the unit the evaluation ran in.
  const toMg = (v: number | null, unit: GlucoseUnit): number | null => (v === null ? null : toMgdl(v, unit));
  // forecast.evaluate has always scored in mmol/L
  const unit = f.unit ?? f.hypo?.level1.unit ?? 'mmol/L';
  return {
    model: m.model,
    baseline: BASELINE_NAMES.has(m.model.toLowerCase()) || index > 0,
    windows: m.windows,
    scoredTargets: m.scoredTargets,
    perStep: f.point.perStep.map((s) => ({
      step: s.step,
      minutes: s.minutes,
      n: s.n,
      rmseMgdl: s.rmseMgdl,
      maeMgdl: s.maeMgdl,
      mard: s.mard,
      biasMgdl: s.biasMgdl,
    })),
    overall: {
      n: f.point.overall.n,
      rmseMgdl: f.point.overall.rmseMgdl,
      maeMgdl: f.point.overall.maeMgdl,
      mard: f.point.overall.mard,
      biasMgdl: f.point.overall.biasMgdl,
    },
    trajectoryRmseMgdl: m.trajectoryRmseMgdl,
    trajectoryRmseMinutes: m.trajectoryRmseMinutes ?? null,
    clarke: zone(f.clarke.overall),
    parkes: zone(f.parkes.overall),
    hypoByHorizon: (f.hypoByHorizon ?? []).map((h) => ({
      level: h.level,
      thresholdMgdl: toMg(h.threshold, h.unit)!,
      minutes: h.minutes,
      windows: h.windows,
      skippedWindows: h.skippedWindows,
      tp: h.tp,
      fp: h.fp,
      tn: h.tn,
      fn: h.fn,
      sensitivity: h.sensitivity,
      precision: h.precision,
      specificity: h.specificity,
      mcc: h.mcc,
    })),
    coverage: Object.entries(f.coverage)
      .map(([level, c]) => ({ level: Number(level), coverage: c.overall.coverage, meanWidthMgdl: toMg(c.overall.meanWidth, unit), n: c.overall.n }))
      .filter((c) => c.level > 0 && c.level < 1)
      .sort((a, b) => a.level - b.level),
  };
}

/** Row names of the evaluated model in evaluations stored before models were named by their registered name. */
const LEGACY_MODEL_NAMES: ReadonlySet<string> = new Set(['ttm', 'ttm-zero-shot']);

/**
 * The report's evaluation, or the reason the stored JSON cannot be read. `modelName` is the
 * evaluated model's registered name: an older evaluation's first row called "ttm" or
 * "ttm-zero-shot" is shown under it, so every table names the model the way the app does.
 */
export function evaluationFromJson(json: unknown, createdAt: string | null, modelName?: string | null): { evaluation: ReportEvaluation } | { reason: string } {
  const parsed = StoredEvaluationSchema.safeParse(json);
  if (!parsed.success)
    return {
      reason: `the stored evaluation has an unexpected shape (${formatZodIssues(parsed.error).slice(0, 300)}); re-run the evaluation with this version.`,
    };
  const e = parsed.data;
  return {
    evaluation: {
      resolutionMin: e.resolutionMin,
      contextLength: e.contextLength,
      forecastLength: e.forecastLength,
      stride: e.stride,
      levels: e.levels,
      calibrationWindows: e.calibrationWindows,
      groups: e.groups.map((g) => ({
        group: g.group,
        windows: g.windows,
        patients: g.patients ?? null,
        models: g.models.map((m, i) => {
          const r = model(m, i);
          return i === 0 && modelName !== undefined && modelName !== null && LEGACY_MODEL_NAMES.has(r.model) ? { ...r, model: modelName } : r;
        }),
      })),
      notes: e.notes,
      createdAt,
    },
  };
}
