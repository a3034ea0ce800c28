/**
 * Example forecasts and error-grid pairs from stored rolling-origin forecasts (`forecasts`
 * rows: Float32 mmol/L blobs per patient × origin) against the patient's grid. Only observed
 * targets are compared (an imputed target is the imputer's guess, never scored).
 */
import { loadPatientGrid } from '../data/grid/access.js';
import type { PatientGrid } from '../data/grid/build.js';
import { MGDL_PER_MMOL } from '../units.js';
import type { Store } from '../store/index.js';
import type { ExampleForecast } from './model-schema.js';

function floats(b: Buffer): Float32Array {
  // Copy: SQLite buffers need not be 4-byte aligned.
  const c = new Uint8Array(b.byteLength);
  c.set(b);
  return new Float32Array(c.buffer, 0, b.byteLength / 4);
}

/** Most forecast rows read for one report: enough for stable best/median/worst picks and a dense error grid. */
export const MAX_FORECAST_ROWS = 20_000;
/** Most points drawn on one error grid (sampled evenly). */
export const MAX_GRID_POINTS = 4_000;

export interface ForecastSamples {
  rows: number;
  pairs: { referenceMgdl: number[]; predictionMgdl: number[]; totalPairs: number };
  examples: ExampleForecast[];
}

export function forecastRowCount(store: Store, runId: number): number {
  return store.forecasts.count(runId);
}

export function sampleForecasts(store: Store, runId: number): ForecastSamples | null {
  const rows = store.forecasts.firstOfRun(runId, MAX_FORECAST_ROWS);
  if (rows.length === 0) return null;
  const grids = new Map<string, PatientGrid>();
  const gridOf = (pid: number, step: number): PatientGrid => {
    const key = `${pid}:${step}`;
    let g = grids.get(key);
    if (g === undefined) grids.set(key, (g = loadPatientGrid(store, pid, { resolutionMin: step })));
    return g;
  };
  const names = new Map<number, { name: string; offset: number }>();
  const patientInfo = (pid: number): { name: string; offset: number } => {
    let p = names.get(pid);
    if (p === undefined) {
      const row = store.patients.get(pid);
      names.set(pid, (p = { name: row.externalId, offset: row.utcOffsetMin ?? 0 }));
    }
    return p;
  };
  const ref: number[] = [];
  const pred: number[] = [];
  const scored: { i: number; rmse: number }[] = [];
  const parsed = rows.map((r, i) => {
    const g = gridOf(r.patientId, r.stepMin);
    const f = floats(r.values);
    const stepMs = r.stepMin * 60_000;
    const originBin = Math.round((r.originTs - g.startTs) / stepMs);
    const bg = g.channels.bg_mM;
    const mask = g.masks.bg_mM;
    let sq = 0;
    let k = 0;
    for (let h = 0; h < f.length; h++) {
      const b = originBin + h + 1;
      if (b < 0 || b >= g.length || mask[b] !== 1 || !Number.isFinite(bg[b]!)) continue;
      const y = bg[b]! * MGDL_PER_MMOL;
      const p = f[h]! * MGDL_PER_MMOL;
      ref.push(y);
      pred.push(p);
      sq += (p - y) ** 2;
      k++;
    }
    // A window joins the ranking only when most of its targets were observed.
    if (k >= Math.max(1, Math.ceil(f.length / 2))) scored.push({ i, rmse: Math.sqrt(sq / k) });
    return { r, g, f, originBin };
  });
  const total = ref.length;
  const stride = Math.max(1, Math.ceil(total / MAX_GRID_POINTS));
  const sref: number[] = [];
  const spred: number[] = [];
  for (let i = 0; i < total; i += stride) {
    sref.push(ref[i]!);
    spred.push(pred[i]!);
  }
  scored.sort((a, b) => a.rmse - b.rmse);
  const picks: { label: ExampleForecast['label']; at: number }[] =
    scored.length === 0
      ? []
      : [
          { label: 'best', at: 0 },
          { label: 'median', at: Math.floor((scored.length - 1) / 2) },
          { label: 'worst', at: scored.length - 1 },
        ];
  const examples: ExampleForecast[] = picks.map(({ label, at }) => {
    const { i, rmse } = scored[at]!;
    const { r, g, f, originBin } = parsed[i]!;
    const H = f.length;
    const histLen = Math.min(288, Math.max(24, 2 * H));
    const bg = g.channels.bg_mM;
    const mask = g.masks.bg_mM;
    const val = (b: number): number | null => (b >= 0 && b < g.length && mask[b] === 1 && Number.isFinite(bg[b]!) ? bg[b]! * MGDL_PER_MMOL : null);
    const bounds = (b: Buffer | null): number[] | null => {
      if (b === null) return null;
      const v = Array.from(floats(b), (x) => x * MGDL_PER_MMOL);
      // ±Infinity bounds (too few calibration residuals) cannot be drawn: show no band.
      return v.every(Number.isFinite) ? v : null;
    };
    const lower = bounds(r.lower);
    const upper = bounds(r.upper);
    const meta = r.meta === null ? {} : (JSON.parse(r.meta) as { level?: number | null });
    const info = patientInfo(r.patientId);
    return {
      label,
      patient: info.name,
      originTs: r.originTs,
      utcOffsetMin: info.offset,
      stepMin: r.stepMin,
      rmseMgdl: rmse,
      historyMgdl: Array.from({ length: histLen }, (_, j) => val(originBin - histLen + 1 + j)),
      actualMgdl: Array.from({ length: H }, (_, h) => val(originBin + h + 1)),
      forecastMgdl: Array.from(f, (v) => v * MGDL_PER_MMOL),
      lowerMgdl: lower !== null && upper !== null ? lower : null,
      upperMgdl: lower !== null && upper !== null ? upper : null,
      level: typeof meta.level === 'number' ? meta.level : null,
    };
  });
  return { rows: rows.length, pairs: { referenceMgdl: sref, predictionMgdl: spred, totalPairs: total }, examples };
}
