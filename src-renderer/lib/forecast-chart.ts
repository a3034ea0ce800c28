/**
 * Data for the forecast chart: x in minutes from the forecast origin; history (solid) up to
 * the origin, the actual future (dotted) after it, and per model its forecast with the
 * interval bounds (a band). Pure functions, unit-tested.
 */
import type { StoredForecast } from '../../src-main/engine/api/contract.js';
import type { TraceData } from './trace-data.js';

/** Dash patterns that tell models apart without colour (greyscale, colour-blind readers); the actual future is dotted. */
export const MODEL_DASHES: readonly (readonly number[])[] = [[], [10, 5], [12, 4, 2, 4], [4, 4]];
export const ACTUAL_DASH: readonly number[] = [2, 4];
export const MODEL_DASH_NAMES = ['solid', 'dashed', 'dash-dot', 'short dashes'] as const;
/** Theme colours of the forecast models in order (the chart and the page's legend use the same). */
export const MODEL_COLOUR_KEYS = ['accent', 'carbs', 'imputed', 'insulin'] as const;

export interface ModelForecasts {
  name: string;
  /** Ascending by origin (one patient). */
  items: StoredForecast[];
}

export interface ForecastChartData {
  /** Minutes from the origin. */
  x: number[];
  history: (number | null)[];
  actual: (number | null)[];
  models: { name: string; forecast: (number | null)[]; lower: (number | null)[]; upper: (number | null)[] }[];
}

/** The glucose value (mmol/L) of the trace's bin at `ts`, or null. */
export function traceValueAt(trace: TraceData, ts: number): number | null {
  if (trace.ts.length === 0) return null;
  const i = Math.round((ts - trace.ts[0]!) / (trace.stepMin * 60_000));
  if (i < 0 || i >= trace.ts.length || trace.ts[i] !== ts) return null;
  return trace.glucose[i] ?? null;
}

/** The item of a model at exactly this origin, or null. */
export function forecastAt(items: readonly StoredForecast[], originTs: number): StoredForecast | null {
  let lo = 0;
  let hi = items.length - 1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    const t = items[mid]!.originTs;
    if (t === originTs) return items[mid]!;
    if (t < originTs) lo = mid + 1;
    else hi = mid - 1;
  }
  return null;
}

/**
 * Builds the chart's aligned series for one origin: `historyMin` minutes of history, the
 * steps of the longest forecast after it; values converted by `convert` (mmol/L → display).
 */
export function forecastChartData(
  trace: TraceData,
  originTs: number,
  models: readonly ModelForecasts[],
  historyMin: number,
  convert: (mmol: number) => number,
): ForecastChartData {
  const stepMin = trace.stepMin;
  const found = models.map((m) => forecastAt(m.items, originTs));
  const forecastLength = Math.max(0, ...found.map((f) => f?.values.length ?? 0));
  const before = Math.floor(historyMin / stepMin);
  const x: number[] = [];
  const history: (number | null)[] = [];
  const actual: (number | null)[] = [];
  const conv = (v: number | null | undefined): number | null => (v === null || v === undefined || !Number.isFinite(v) ? null : convert(v));
  for (let k = -before; k <= forecastLength; k++) {
    const t = originTs + k * stepMin * 60_000;
    const g = conv(traceValueAt(trace, t));
    x.push(k * stepMin);
    history.push(k <= 0 ? g : null);
    actual.push(k >= 0 ? g : null);
  }
  const out = found.map((f, mi) => {
    const forecast: (number | null)[] = [];
    const lower: (number | null)[] = [];
    const upper: (number | null)[] = [];
    for (let k = -before; k <= forecastLength; k++) {
      const h = k - 1; // step k forecasts index k-1
      // the forecast line starts at the last observed value, so it visibly leaves the origin
      forecast.push(f === null ? null : k === 0 ? history[before]! : h >= 0 && h < f.values.length ? conv(f.values[h]) : null);
      lower.push(f !== null && f.lower !== null && h >= 0 && h < f.lower.length ? conv(f.lower[h]) : null);
      upper.push(f !== null && f.upper !== null && h >= 0 && h < f.upper.length ? conv(f.upper[h]) : null);
    }
    return { name: models[mi]!.name, forecast, lower, upper };
  });
  return { x, history, actual, models: out };
}

/** The next origin index after a key: ←/→ one step, PageUp/PageDown an hour, Home/End the ends. */
export function stepOrigin(index: number, count: number, key: string, stepMin: number): number | null {
  if (count === 0) return null;
  const hour = Math.max(1, Math.round(60 / stepMin));
  let next: number;
  switch (key) {
    case 'ArrowLeft':
      next = index - 1;
      break;
    case 'ArrowRight':
      next = index + 1;
      break;
    case 'PageUp':
      next = index - hour;
      break;
    case 'PageDown':
      next = index + hour;
      break;
    case 'Home':
      next = 0;
      break;
    case 'End':
      next = count - 1;
      break;
    default:
      return null;
  }
  return Math.min(count - 1, Math.max(0, next));
}
