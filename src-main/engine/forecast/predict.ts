/**
 * Rolling-origin forecasts: one forecast per window origin (every window or every k-th) for
 * the chosen patients and time range, with split-conformal intervals calibrated on the
 * validation part, written to the store (`forecasts`, one row per patient × origin, Float32
 * blobs in mmol/L) and/or a CSV in long form:
 *
 *   datetime,p_num,origin,horizon_min,forecast,lower,upper,actual
 *
 * `datetime` is the forecast's target instant, `origin` the last context instant (both ISO
 * UTC); values in mmol/L; `lower`/`upper` at the widest calibrated level (95 % by default);
 * `actual` empty where the target was not observed (imputed or missing).
 */
import { StudioError } from '../errors.js';
import type { SplitPart } from '../data/splits.js';
import type { WindowDescriptor } from '../data/windows.js';
import type { Store } from '../store/index.js';
import { writeStreamAtomic } from '../util/atomic-write.js';
import { calibrateConformal, conformalIntervals } from './conformal.js';
import { partWindows, type PreparedData } from '../data/prepared-data.js';
import { glucoseWindows } from '../ttm/study-model.js';
import type { WindowModel } from './window-models.js';

export interface RollingForecastOptions {
  contextLength: number;
  forecastLength: number;
  part?: SplitPart;
  /** Every k-th window origin (1 = every window). */
  every?: number;
  patients?: readonly string[];
  fromTs?: number;
  toTs?: number;
  levels?: readonly number[];
}

export interface RollingForecasts {
  windows: WindowDescriptor[];
  forecastLength: number;
  stepMin: number;
  /** [W, H] mmol/L. */
  forecast: Float64Array;
  target: Float64Array;
  targetMask: Uint8Array;
  /** Bounds at each calibrated level ([W, H] each); empty without validation windows. */
  intervals: { level: number; lower: Float64Array; upper: Float64Array }[];
  /** Empirical coverage of each level over the scored targets of these windows. */
  coverage: { level: number; coverage: number | null; n: number }[];
}

export async function rollingForecasts(model: WindowModel, data: PreparedData, o: RollingForecastOptions): Promise<RollingForecasts> {
  const geometry = { contextLength: o.contextLength, forecastLength: o.forecastLength };
  const levels = o.levels ?? [0.8, 0.95];
  const windows = partWindows(data, o.part ?? 'test', {
    contextLength: o.contextLength,
    forecastLength: o.forecastLength,
    stride: o.every ?? 1,
    ...(o.patients !== undefined ? { patients: o.patients } : {}),
    ...(o.fromTs !== undefined ? { fromTs: o.fromTs } : {}),
    ...(o.toTs !== undefined ? { toTs: o.toTs } : {}),
  });
  if (windows.length === 0) throw new StudioError('INVALID_INPUT', 'No forecast origin fits the chosen patients, part and time range.');
  const truth = glucoseWindows(data, windows, o.contextLength, o.forecastLength);
  const forecast = await model.forecast(data, windows, geometry);
  const cal = partWindows(data, 'val', { contextLength: o.contextLength, forecastLength: o.forecastLength, role: 'train' });
  let intervals: RollingForecasts['intervals'] = [];
  if (cal.length > 0 && levels.length > 0) {
    const ct = glucoseWindows(data, cal, o.contextLength, o.forecastLength);
    const cf = await model.forecast(data, cal, geometry);
    const c = calibrateConformal(
      { windows: cal.length, forecastLength: o.forecastLength, target: ct.target, forecast: cf, targetMask: ct.targetMask },
      { levels },
    );
    intervals = conformalIntervals(c, forecast, windows.length);
  }
  const coverage = intervals.map((iv) => {
    let n = 0;
    let inside = 0;
    for (let i = 0; i < forecast.length; i++) {
      if (truth.targetMask[i] === 0) continue;
      n++;
      if (truth.target[i]! >= iv.lower[i]! && truth.target[i]! <= iv.upper[i]!) inside++;
    }
    return { level: iv.level, coverage: n === 0 ? null : inside / n, n };
  });
  const stepMin = data.resolutionMin;
  return { windows, forecastLength: o.forecastLength, stepMin, forecast, target: truth.target, targetMask: truth.targetMask, intervals, coverage };
}

const fmt = (v: number): string => (Number.isFinite(v) ? String(Math.round(v * 1e4) / 1e4) : '');

/** Writes the long-form CSV atomically (temp file + rename). Returns the number of rows. */
export async function writeForecastCsv(path: string, data: PreparedData, r: RollingForecasts, contextLength: number): Promise<number> {
  const widest = r.intervals.length === 0 ? null : r.intervals.reduce((a, b) => (b.level > a.level ? b : a));
  const stepMs = r.stepMin * 60_000;
  let rows = 0;
  await writeStreamAtomic(path, async (write) => {
    await write('datetime,p_num,origin,horizon_min,forecast,lower,upper,actual\n');
    for (let w = 0; w < r.windows.length; w++) {
      const win = r.windows[w]!;
      const grid = data.grids.get(win.patientId)!;
      const name = data.names.get(win.patientId) ?? String(win.patientId);
      const originTs = grid.startTs + (win.start + contextLength - 1) * stepMs;
      const origin = new Date(originTs).toISOString();
      let chunk = '';
      for (let h = 0; h < r.forecastLength; h++) {
        const i = w * r.forecastLength + h;
        const ts = new Date(originTs + (h + 1) * stepMs).toISOString();
        const actual = r.targetMask[i] === 1 ? fmt(r.target[i]!) : '';
        chunk += `${ts},${name},${origin},${(h + 1) * r.stepMin},${fmt(r.forecast[i]!)},${widest === null ? '' : fmt(widest.lower[i]!)},${widest === null ? '' : fmt(widest.upper[i]!)},${actual}\n`;
        rows++;
      }
      await write(chunk);
    }
  });
  return rows;
}

/** Stores the forecasts of a run (one row per patient × origin), in one transaction. */
export function storeForecasts(store: Store, runId: number, data: PreparedData, r: RollingForecasts, contextLength: number): number {
  const widest = r.intervals.length === 0 ? null : r.intervals.reduce((a, b) => (b.level > a.level ? b : a));
  const blob = (a: Float64Array, w: number): Buffer => Buffer.from(Float32Array.from(a.subarray(w * r.forecastLength, (w + 1) * r.forecastLength)).buffer);
  const meta = JSON.stringify({ unit: 'mmol/L', level: widest?.level ?? null, forecastLength: r.forecastLength });
  store.transaction(() =>
    store.forecasts.addMany(
      r.windows.map((win, w) => {
        const grid = data.grids.get(win.patientId)!;
        return {
          runId,
          patientId: win.patientId,
          originTs: grid.startTs + (win.start + contextLength - 1) * r.stepMin * 60_000,
          stepMin: r.stepMin,
          values: blob(r.forecast, w),
          lower: widest ? blob(widest.lower, w) : null,
          upper: widest ? blob(widest.upper, w) : null,
          meta,
        };
      }),
    ),
  );
  return r.windows.length;
}
