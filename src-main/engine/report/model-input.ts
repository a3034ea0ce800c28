/**
 * Gathers a ModelReportInput from the store for one run: the run row and its config, model
 * and data provenance, training curves (run_metrics), the latest evaluation (evaluations),
 * and stored forecasts for the error grids and example windows. Whatever is missing is left
 * null with a reason a person can act on; nothing here fails because a part is absent.
 */
import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { SplitContentSchema } from '../data/split-schema.js';
import { StudioError } from '../errors.js';
import type { GlucoseUnit } from '../units.js';
import { isTrainingRun, type EvaluationRow, type RunRow, type Store } from '../store/index.js';
import { appVersion, onnxruntimeVersion } from '../system.js';
import { RunInfoSchema } from '../ttm/checkpoint.js';
import { evaluationFromJson } from './evaluation-json.js';
import { forecastRowCount, sampleForecasts } from './forecast-samples.js';
import { ModelReportInputSchema, type ModelReportInput, type ReportEvaluation } from './model-schema.js';

export interface ModelReportOptions {
  run: number;
  /** Dataset to describe when the run row does not name one. */
  dataset?: string | number;
  unit: GlucoseUnit;
  signal?: AbortSignal;
  onProgress?: (done: number, total: number, message: string) => void;
}

/** Nested config → "a.b.c" keys with JSON-ish values, for a flat table. */
export function flattenConfig(value: unknown, prefix = '', out: Record<string, unknown> = {}): Record<string, unknown> {
  if (value !== null && typeof value === 'object' && !Array.isArray(value)) {
    for (const [k, v] of Object.entries(value as Record<string, unknown>)) flattenConfig(v, prefix === '' ? k : `${prefix}.${k}`, out);
  } else if (prefix !== '') out[prefix] = value;
  return out;
}

const ms = (a: string | null, b: string | null): number | null => (a === null || b === null ? null : Date.parse(b) - Date.parse(a));

/** A fingerprint of a dataset's raw inputs (patients and their readings/events), stable while nothing changes. */
export function datasetFingerprint(store: Store, datasetId: number): string {
  const h = createHash('sha256');
  for (const p of store.patients.list(datasetId)) h.update(`${p.externalId}\u0000${store.grids.inputFingerprint(p.id)}\n`);
  return h.digest('hex');
}

function numberFrom(r: Record<string, unknown> | null, key: string): number | null {
  const v = r?.[key];
  return typeof v === 'number' && Number.isFinite(v) ? v : null;
}

function stringFrom(r: Record<string, unknown> | null, key: string): string | null {
  const v = r?.[key];
  return typeof v === 'string' ? v : null;
}

/** The model the run trained into (train runs) or used, for locating later evaluations. */
function producedModelId(run: RunRow): number | null {
  return numberFrom(run.result, 'modelId') ?? (isTrainingRun(run.kind) ? null : run.modelId);
}

function latestEvaluation(store: Store, run: RunRow): EvaluationRow | null {
  const own = store.evaluations.latestOfRun(run.id);
  if (own !== null) return own;
  const mid = producedModelId(run);
  return mid === null ? null : store.evaluations.latestOfModel(mid);
}

function modelNameOf(store: Store, id: number | null): string | null {
  return id === null ? null : store.models.nameOf(id);
}

const ZERO_SHOT_ROLE = 'base model, zero-shot';
const DELETED = 'a deleted model';

/**
 * A fine-tune run's comparison with the model it started from: the latest evaluation of the
 * base model on the same dataset and split, if it scored the same windows (same geometry,
 * stride and window count per group) as the fine-tuned model's. Its rows go into `evaluation`
 * right after the fine-tuned model's, so every table shows both.
 */
function baseComparison(
  store: Store,
  run: RunRow,
  tunedRow: EvaluationRow,
  evaluation: ReportEvaluation,
): { comparison: NonNullable<ModelReportInput['baseComparison']> } | { reason: string } | null {
  const produced = producedModelId(run);
  if (run.kind !== 'train' || run.modelId === null || produced === null || produced === run.modelId) return null;
  const baseName = modelNameOf(store, run.modelId) ?? `model ${run.modelId}`;
  const tunedName = modelNameOf(store, produced) ?? `model ${produced}`;
  const how = `evaluate ${baseName} on the same dataset and split with the same stride, then generate the report again.`;
  if (tunedRow.modelId !== produced) return { reason: `the stored evaluation is not one of the fine-tuned model ${tunedName}.` };
  const row = store.evaluations.latestOfModel(run.modelId, { datasetId: tunedRow.datasetId, splitId: tunedRow.splitId });
  if (row === null) return { reason: `no zero-shot evaluation of the base model ${baseName} on this dataset and split is stored; ${how}` };
  const parsed = evaluationFromJson(row.metrics, row.createdAt, baseName);
  if ('reason' in parsed) return { reason: `the base model's evaluation cannot be read: ${parsed.reason}` };
  const b = parsed.evaluation;
  const same =
    b.resolutionMin === evaluation.resolutionMin &&
    b.contextLength === evaluation.contextLength &&
    b.forecastLength === evaluation.forecastLength &&
    b.stride === evaluation.stride &&
    b.groups.length === evaluation.groups.length &&
    b.groups.every((g) => evaluation.groups.some((t) => t.group === g.group && t.windows === g.windows));
  if (!same)
    return {
      reason: `the stored evaluation of the base model ${baseName} scored other windows (stride ${b.stride}, ${b.groups.map((g) => `${g.windows} ${g.group.replace(/_/g, ' ')}`).join(', ')} windows); ${how}`,
    };
  const groups = evaluation.groups.flatMap((t) => {
    const g = b.groups.find((x) => x.group === t.group)!;
    const base = g.models[0];
    const tuned = t.models[0];
    return base === undefined || tuned === undefined
      ? []
      : [{ group: t.group, windows: t.windows, base: { ...base, baseline: false, role: ZERO_SHOT_ROLE }, tuned }];
  });
  return { comparison: { base: baseName, tuned: tunedName, groups } };
}

/** This run's forecasts, else those of the latest predict run of the model it produced. */
function forecastRun(store: Store, run: RunRow): number | null {
  if (forecastRowCount(store, run.id) > 0) return run.id;
  const mid = producedModelId(run);
  if (mid === null) return null;
  return store.forecasts.latestPredictRunOfModel(mid);
}

/** The model whose forecasts a run stored (a fine-tune's predictions come from the trained model, not the base). */
function forecastModelName(store: Store, runId: number): string | null {
  const r = store.runs.get(runId);
  const id = isTrainingRun(r.kind) ? (numberFrom(r.result, 'modelId') ?? r.modelId) : r.modelId;
  if (id === null) return null;
  try {
    return store.models.resolve(id).name;
  } catch {
    return null;
  }
}

function versionsOf(run: RunRow): { versions: Record<string, string>; recorded: boolean } {
  const dir = stringFrom(run.result, 'modelDir');
  if (dir !== null) {
    const file = join(dir, 'run.json');
    if (existsSync(file)) {
      const parsed = RunInfoSchema.safeParse(JSON.parse(readFileSync(file, 'utf8')));
      if (parsed.success && Object.keys(parsed.data.versions).length > 0) return { versions: parsed.data.versions, recorded: true };
    }
  }
  return { versions: { 'TTM Studio': appVersion(), node: process.versions.node, 'onnxruntime-node': onnxruntimeVersion() }, recorded: false };
}

/** The HF config.json of a model directory as a plain record; empty when absent or unreadable. */
function hfConfigAt(dir: string): Record<string, unknown> {
  const file = join(dir, 'config.json');
  if (!existsSync(file)) return {};
  try {
    const v = JSON.parse(readFileSync(file, 'utf8')) as unknown;
    return v !== null && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : {};
  } catch {
    return {};
  }
}

const FACT_KEYS: readonly [string, string][] = [
  ['context_length', 'Context length (steps)'],
  ['prediction_length', 'Prediction length (steps)'],
  ['prediction_filter_length', 'Prediction filter length'],
  ['num_input_channels', 'Input channels'],
  ['patch_length', 'Patch length'],
  ['d_model', 'd_model'],
  ['num_layers', 'Backbone layers'],
  ['decoder_num_layers', 'Decoder layers'],
  ['mode', 'Channel mode'],
];

export async function buildModelReportInput(store: Store, o: ModelReportOptions): Promise<ModelReportInput> {
  const run = store.runs.get(o.run);
  const unavailable: Record<string, string> = {};
  const progress = (d: number, m: string): void => {
    if (o.signal?.aborted === true) throw new StudioError('CANCELLED', 'Report generation was cancelled.');
    o.onProgress?.(d, 5, m);
  };
  progress(0, 'reading the run');

  let model: ModelReportInput['model'] = null;
  // A training run is reported under the model it produced (a fine-tune's base model is named
  // among its facts); a run that produced none (cancelled, failed) under the model it started from.
  const produced = isTrainingRun(run.kind) ? producedModelId(run) : null;
  const modelRef = produced ?? run.modelId;
  if (modelRef !== null) {
    try {
      const m = store.models.resolve(modelRef);
      // Trained models record only their training mode in the store: read the architecture from config.json.
      const cfg = { ...hfConfigAt(m.path), ...m.config };
      const facts = FACT_KEYS.flatMap(([k, label]) =>
        cfg[k] === undefined || cfg[k] === null ? [] : [[label, String(cfg[k] as string | number)] as [string, string]],
      );
      if (isTrainingRun(run.kind) && produced !== null && run.modelId !== null && run.modelId !== produced)
        facts.unshift(['Base model (fine-tuned from)', `${modelNameOf(store, run.modelId) ?? DELETED} (id ${run.modelId})`]);
      if (isTrainingRun(run.kind) && produced !== null) facts.unshift(['Model trained by this run', `${m.name} (id ${m.id})`]);
      if (isTrainingRun(run.kind) && run.modelId === null) facts.unshift(['Role', 'trained from scratch by this run']);
      else if (isTrainingRun(run.kind) && produced === null)
        facts.unshift(['Role', `the model this run started from (run ${run.status}: it produced no model)`]);
      model = { id: m.id, name: m.name, source: m.source, repo: m.repo, revision: m.revision, path: m.path, facts };
    } catch (e) {
      if (!(e instanceof StudioError && e.code === 'NOT_FOUND')) throw e;
      unavailable.model = `model ${modelRef} has been deleted from the store.`;
    }
  } else unavailable.model = 'the run row names no model (a from-scratch run, or one recorded before models were tracked).';

  const datasetId = run.datasetId ?? (o.dataset !== undefined ? store.datasets.resolve(o.dataset).id : null);
  let dataset: ModelReportInput['data']['dataset'] = null;
  if (datasetId !== null) {
    const d = store.datasets.get(datasetId);
    dataset = { id: d.id, name: d.name, source: d.source, resolutionMin: d.resolutionMin, fingerprint: datasetFingerprint(store, d.id) };
  } else unavailable.data = 'the run names no dataset; pass --dataset to describe one.';
  let split: ModelReportInput['data']['split'] = null;
  if (run.splitId !== null) {
    const s = store.splits.get(run.splitId);
    const content = SplitContentSchema.safeParse(s.content);
    split = {
      id: s.id,
      name: s.name,
      version: s.version,
      kind: s.kind,
      contentHash: s.contentHash,
      trainPatients: content.success ? content.data.trainPatients.length : 0,
      holdoutPatients: content.success ? content.data.holdoutPatients.length : 0,
    };
  }

  progress(1, 'reading training curves');
  const byName = new Map<string, { step: number; epoch: number | null; value: number }[]>();
  for (const m of store.runs.metrics(run.id)) {
    if (!Number.isFinite(m.value)) continue;
    let list = byName.get(m.name);
    if (list === undefined) byName.set(m.name, (list = []));
    list.push({ step: m.step, epoch: m.epoch, value: m.value });
  }
  // Training curves first, then validation, then the rest, so the training loss takes the solid style.
  const rank = (n: string): number => (n.startsWith('train/loss') ? 0 : n.startsWith('train/') ? 2 : n.startsWith('eval/') ? 1 : 3);
  const curves = [...byName.entries()].map(([name, points]) => ({ name, points })).sort((a, b) => rank(a.name) - rank(b.name) || a.name.localeCompare(b.name));
  if (curves.length === 0)
    unavailable.curves = isTrainingRun(run.kind)
      ? `run ${run.id} recorded no training metrics yet (status ${run.status}).`
      : `run ${run.id} is of kind ${run.kind.replace('_', '-')}, which does not train.`;

  progress(2, 'reading the evaluation');
  let evaluation: ModelReportInput['evaluation'] = null;
  let comparison: ModelReportInput['baseComparison'] = null;
  const ev = latestEvaluation(store, run);
  if (ev === null)
    unavailable.evaluation = `no evaluation of this run${producedModelId(run) !== null ? ' or of its model' : ''} is stored yet; evaluate the model on the split's test part and generate the report again.`;
  else {
    const r = evaluationFromJson(ev.metrics, ev.createdAt, modelNameOf(store, ev.modelId));
    if ('reason' in r) unavailable.evaluation = r.reason;
    else {
      evaluation = r.evaluation;
      const c = baseComparison(store, run, ev, evaluation);
      if (c !== null && 'reason' in c) unavailable.baseComparison = c.reason;
      else if (c !== null) {
        comparison = c.comparison;
        // The base model's rows right after the fine-tuned model's: every table compares them.
        for (const g of evaluation.groups) {
          const b = comparison.groups.find((x) => x.group === g.group);
          if (b !== undefined) g.models.splice(1, 0, b.base);
        }
      }
    }
  }

  progress(3, 'sampling forecasts');
  let errorGrid: ModelReportInput['errorGrid'] = null;
  let examples: ModelReportInput['examples'] = [];
  const fr = forecastRun(store, run);
  if (fr === null) {
    const why = 'no rolling-origin forecasts are stored for this run or its model; run a prediction on the test part to store them.';
    unavailable.errorGrid = why;
    unavailable.examples = why;
  } else {
    const s = sampleForecasts(store, fr);
    if (s !== null && s.pairs.totalPairs > 0) {
      const origins = `${s.rows.toLocaleString('en-US')} origins`;
      errorGrid = {
        model: forecastModelName(store, fr) ?? model?.name ?? `run ${run.id}`,
        ...s.pairs,
        // Name this run when the forecasts are its own; never another run's id (a predict run the report found by model).
        source: fr === run.id ? `this run's stored forecasts (${origins})` : `the model's latest stored rolling-origin forecasts (${origins})`,
      };
      examples = s.examples;
      if (examples.length === 0) unavailable.examples = 'no stored forecast window has at least half of its targets observed.';
    } else {
      unavailable.errorGrid = `the ${fr === run.id ? "run's" : "model's"} stored forecasts have no observed target to compare with.`;
      unavailable.examples = unavailable.errorGrid;
    }
  }

  progress(4, 'assembling');
  const { versions, recorded } = versionsOf(run);
  if (!recorded) unavailable.versions = 'The run recorded no software versions: these are the versions that generated this report.';
  const durations: [string, number | null][] = [
    ['Queued', ms(run.createdAt, run.startedAt)],
    ['Wall time (start to finish)', ms(run.startedAt, run.finishedAt)],
  ];
  const sps = numberFrom(run.result, 'samplesPerSecond');
  if (sps !== null) durations.push(['Training throughput (samples/s)', sps]);
  const input = {
    generatedAt: new Date().toISOString(),
    run: {
      id: run.id,
      kind: run.kind,
      status: run.status,
      createdAt: run.createdAt,
      startedAt: run.startedAt,
      finishedAt: run.finishedAt,
      device: run.device,
      seed: run.seed,
      error: run.error,
      outputDir: run.outputDir,
    },
    model,
    config: flattenConfig(run.config),
    data: { dataset, split },
    versions,
    durations,
    curves,
    evaluation,
    baseComparison: comparison,
    errorGrid,
    examples,
    unavailable,
  };
  progress(5, 'done');
  // Validate what we assembled with the same schema other producers must satisfy.
  return ModelReportInputSchema.parse(input);
}
