/**
 * The evaluation report as the Evaluate page reads it (the shape `forecast.evaluate` stores,
 * engine/forecast/evaluation-report.ts), unit selection of its numbers, error-grid point pairs
 * and display downsampling. Pure functions, unit-tested.
 */
import type { StoredForecast } from '../../src-main/engine/api/contract.js';
import type { EvaluationReport, GroupReport, ModelSummary } from '../../src-main/engine/forecast/evaluation-report.js';
import type { HypoAtHorizon, HypoLevel } from '../../src-main/engine/metrics/hypo.js';
import type { TraceData } from './trace-data.js';
import { traceValueAt } from './forecast-chart.js';
import { MGDL_PER_MMOL, type GlucoseUnit } from './units.js';

export type { EvaluationReport, GroupReport, ModelSummary } from '../../src-main/engine/forecast/evaluation-report.js';

export const GROUP_TITLES: Record<GroupReport['group'], string> = {
  in_distribution: 'In-distribution patients (test tail of training patients)',
  unseen_patients: 'Unseen patients (held out)',
};

/**
 * A run's `result.report`, when it looks like an evaluation report; null otherwise. Reports
 * stored before the forecast length was named `forecastLength` call it `horizon`.
 */
export function reportOf(result: Record<string, unknown> | null): EvaluationReport | null {
  const r = result?.report as (Partial<EvaluationReport> & { horizon?: unknown }) | undefined;
  if (r === undefined || r === null || !Array.isArray(r.groups)) return null;
  if (typeof r.forecastLength === 'number') return r as EvaluationReport;
  if (typeof r.horizon !== 'number') return null;
  const { horizon, ...rest } = r;
  return { ...rest, forecastLength: horizon } as EvaluationReport;
}

/** A glucose error (RMSE, MAE, bias) in the display unit from its mg/dL and mmol/L figures. */
export function errorIn(unit: GlucoseUnit, mgdl: number | null, mmoll: number | null): number | null {
  return unit === 'mg/dL' ? mgdl : (mmoll ?? (mgdl === null ? null : mgdl / MGDL_PER_MMOL));
}

export function formatError(v: number | null, unit: GlucoseUnit): string {
  return v === null || !Number.isFinite(v) ? '—' : v.toFixed(unit === 'mg/dL' ? 1 : 2);
}

export function formatRatio(v: number | null, digits = 2): string {
  return v === null || !Number.isFinite(v) ? '—' : v.toFixed(digits);
}

export function formatPct(v: number | null): string {
  return v === null || !Number.isFinite(v) ? '—' : `${v.toFixed(1)} %`;
}

/**
 * A model's hypoglycaemia detection of `level` at `minutes` ahead (event = observed reading at
 * +minutes below the threshold); null when not scored there, or when the report was stored
 * before per-horizon scoring and has no `hypoByHorizon`.
 */
export function hypoAtMinutes(m: ModelSummary, minutes: number, level: HypoLevel = 1): HypoAtHorizon | null {
  const list = m.hypoByHorizon as readonly HypoAtHorizon[] | undefined;
  return list?.find((h) => h.level === level && h.minutes === minutes) ?? null;
}

/**
 * A report with its model's rows under the registered name: reports stored before models were
 * named call the model's rows "ttm" or "ttm-zero-shot"; `name` is the run's model as
 * `models.list` names it. Reports that carry `model` are returned as they are.
 */
export function withModelName(r: EvaluationReport, name: string | null): EvaluationReport {
  if (r.model !== undefined || name === null) return r;
  const legacy = (m: string): boolean => m === 'ttm' || m === 'ttm-zero-shot';
  return { ...r, groups: r.groups.map((g) => ({ ...g, models: g.models.map((m, i) => (i === 0 && legacy(m.model) ? { ...m, model: name } : m)) })) };
}

/** The model names of a report in order (the TTM first, then the baselines). */
export function modelNames(r: EvaluationReport): string[] {
  const out: string[] = [];
  for (const g of r.groups) for (const m of g.models) if (!out.includes(m.model)) out.push(m.model);
  return out;
}

/**
 * (reference, forecast) pairs in mg/dL at horizon step `step` (1-based) for error-grid
 * scatter plots: every stored forecast whose target was observed in the trace.
 */
export function errorGridPairs(items: readonly StoredForecast[], traces: ReadonlyMap<string, TraceData>, step: number): [number, number][] {
  const out: [number, number][] = [];
  for (const it of items) {
    const tr = traces.get(it.patient);
    const f = it.values[step - 1];
    if (tr === undefined || f === undefined || !Number.isFinite(f)) continue;
    const ref = traceValueAt(tr, it.originTs + step * it.stepMin * 60_000);
    if (ref === null) continue;
    out.push([ref * MGDL_PER_MMOL, f * MGDL_PER_MMOL]);
  }
  return out;
}

/** At most `max` points, evenly spread over the input (deterministic); zone % are computed elsewhere on all points. */
export function downsample<T>(points: readonly T[], max: number): T[] {
  if (points.length <= max) return [...points];
  const out: T[] = [];
  const stride = points.length / max;
  for (let i = 0; i < max; i++) out.push(points[Math.floor(i * stride)]!);
  return out;
}
