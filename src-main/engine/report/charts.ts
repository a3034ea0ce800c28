/**
 * The report's glucose charts, built from the SVG toolkit: AGP, time-in-ranges bars, line
 * charts (training curves, RMSE by horizon), Clarke and Parkes error grids and example
 * forecasts. Inputs are in mg/dL; each chart converts to the display unit once.
 */
import type { AgpProfile, TimeInRanges } from '../metrics/clinical.js';
import { CLARKE_GRID_MAX_MGDL, CLARKE_LABELS, CLARKE_LINES } from '../metrics/clarke.js';
import { PARKES_GRID_MAX_MGDL, PARKES_LABELS, PARKES_T1_LOWER, PARKES_T1_UPPER } from '../metrics/parkes.js';
import { type GlucoseUnit, mgdlToUnit, RANGE_EDGES_MGDL as EDGE } from '../units.js';
import { rangeLabels, toUnit } from './format.js';
import { markup, type SafeHtml } from './html.js';
import {
  axes,
  band,
  clipDef,
  extent,
  frame,
  hrule,
  hspan,
  legend,
  linePath,
  niceDomain,
  niceTicks,
  polyline,
  rect,
  scatter,
  svg,
  text,
  vrule,
  type LegendItem,
} from './svg/index.js';
import { FORECAST_STYLE, RANGE_COLORS, TARGET_BAND_FILL, TARGET_BAND_OPACITY, type SeriesStyle } from './theme.js';

const W = 680;

/** Clip-path ids must be unique within the document: charts are numbered as they are made. */
let clipCounter = 0;
const nextClip = (): string => `clip${++clipCounter}`;

/** Restarts clip ids, so the same input renders byte-identical documents. */
export function resetChartIds(): void {
  clipCounter = 0;
}

/** Axis labels: whole mg/dL; mmol/L with one decimal so 10.0 reads as the consensus edge it is. */
const unitFmt =
  (unit: GlucoseUnit) =>
  (v: number): string =>
    unit === 'mg/dL' || v === 0 ? v.toFixed(0) : v.toFixed(1);

/** Glucose ticks: the consensus edges, so the axis itself shows where the ranges change. */
function glucoseTicks(unit: GlucoseUnit, maxMgdl: number): number[] {
  // 54 is drawn as a dashed reference line only: its label would collide with 70's.
  const mg = [0, EDGE.low, EDGE.high, EDGE.veryHigh, 300, 350, 400, 500].filter((v) => v <= maxMgdl);
  return mg.map((v) => (unit === 'mg/dL' ? v : Number(mgdlToUnit(v, unit).toFixed(1))));
}

export function agpChart(agp: AgpProfile, unit: GlucoseUnit, title: string): SafeHtml {
  const s = agp.smoothedMgdl;
  const maxMg = Math.max(350, ...(s[4]!.filter((v) => v !== null) as number[]));
  const top = maxMg > 350 ? 400 : 350;
  const f = frame(W, 300, [0, 24], [0, toUnit(top, unit)], { top: 12, right: 14, bottom: 70, left: 52 });
  const clip = nextClip();
  // Hour bins are centred on h + 0.5; the ends repeat the midnight neighbour average so the
  // curve runs edge to edge, as the profile is circular.
  const xs = [0, ...Array.from({ length: 24 }, (_, h) => h + 0.5), 24];
  const curve = (k: number): (number | null)[] => {
    const v = s[k]!.map((x) => (x === null ? null : toUnit(x, unit)));
    const a = v[23] ?? null;
    const b = v[0] ?? null;
    const edge = a !== null && b !== null ? (a + b) / 2 : null;
    return [edge, ...v, edge];
  };
  const [p5, p25, p50, p75, p95] = [0, 1, 2, 3, 4].map(curve) as [
    (number | null)[],
    (number | null)[],
    (number | null)[],
    (number | null)[],
    (number | null)[],
  ];
  const u = (mg: number): number => toUnit(mg, unit);
  const blue = '#1c4e80';
  const items: LegendItem[] = [
    { label: 'Median (50th)', kind: 'line', color: blue, width: 2.2 },
    { label: '25th–75th percentile', kind: 'band', color: blue, opacity: 0.45 },
    { label: '5th–95th percentile', kind: 'band', color: blue, opacity: 0.18 },
    { label: `Target range ${rangeLabels(unit).inRange} ${unit}`, kind: 'band', color: TARGET_BAND_FILL, opacity: 0.25 },
  ];
  const lg = legend(items, f.left, f.bottom + 38, f.right - f.left);
  return svg(
    { width: W, height: 300, title },
    clipDef(f, clip),
    hspan(f, u(EDGE.low), u(EDGE.high), TARGET_BAND_FILL, TARGET_BAND_OPACITY + 0.05),
    hrule(f, u(EDGE.low), { color: RANGE_COLORS.inRange, width: 0.8 }),
    hrule(f, u(EDGE.high), { color: RANGE_COLORS.inRange, width: 0.8 }),
    hrule(f, u(EDGE.veryLow), { color: RANGE_COLORS.veryLow, width: 0.6, dash: '3 3' }),
    hrule(f, u(EDGE.veryHigh), { color: RANGE_COLORS.veryHigh, width: 0.6, dash: '3 3' }),
    band(f, xs, p5, p95, blue, 0.18, clip),
    band(f, xs, p25, p75, blue, 0.45, clip),
    linePath(f, xs, p50, { color: blue, width: 2.2 }, clip),
    axes(
      f,
      { label: 'Time of day (h, local time)', ticks: [0, 3, 6, 9, 12, 15, 18, 21, 24], format: (v) => `${String(v).padStart(2, '0')}:00` },
      { label: `Glucose (${unit})`, ticks: glucoseTicks(unit, top), format: unitFmt(unit) },
    ),
    lg.svg,
  );
}

export interface TirRow {
  label: string;
  tir: TimeInRanges;
}

const BANDS = ['veryLow', 'low', 'inRange', 'high', 'veryHigh'] as const;

/** Horizontal 100 % stacked bars, one per row, in the consensus colours. */
export function tirBars(rows: readonly TirRow[], unit: GlucoseUnit, title: string): SafeHtml {
  const rowH = 16;
  const labelW = 110;
  const top = 8;
  const plotW = W - labelW - 20;
  const height = top + rows.length * (rowH + 4) + 58;
  const parts: SafeHtml[] = [];
  rows.forEach((r, i) => {
    const y = top + i * (rowH + 4);
    parts.push(text(labelW - 6, y + rowH / 2 + 3.5, r.label, { anchor: 'end' }));
    let x = labelW;
    if (r.tir.inRange === null) {
      parts.push(text(labelW + 4, y + rowH / 2 + 3.5, 'no valid readings', { color: '#666' }));
      return;
    }
    for (const b of BANDS) {
      const v = r.tir[b] ?? 0;
      const w = (v / 100) * plotW;
      parts.push(rect(x, y, w, rowH, RANGE_COLORS[b]));
      if (w > 26)
        parts.push(text(x + w / 2, y + rowH / 2 + 3.5, `${v.toFixed(v < 10 ? 1 : 0)}%`, { anchor: 'middle', color: b === 'high' ? '#222' : '#fff', size: 9 }));
      x += w;
    }
  });
  const axisY = top + rows.length * (rowH + 4);
  for (const t of [0, 25, 50, 75, 100]) {
    const x = labelW + (t / 100) * plotW;
    parts.push(markup`<line x1="${x}" y1="${axisY}" x2="${x}" y2="${axisY + 4}" stroke="#444" stroke-width="0.8"/>`);
    parts.push(text(x, axisY + 14, `${t}`, { anchor: 'middle' }));
  }
  parts.push(text(labelW + plotW / 2, axisY + 27, 'Share of readings (%)', { anchor: 'middle', size: 10.5 }));
  const labels = rangeLabels(unit);
  const names = { veryLow: 'Very low', low: 'Low', inRange: 'In range', high: 'High', veryHigh: 'Very high' } as const;
  const lg = legend(
    BANDS.map((b) => ({ label: `${names[b]} ${labels[b]} ${unit}`, kind: 'rect' as const, color: RANGE_COLORS[b] })),
    labelW,
    axisY + 34,
    plotW,
  );
  return svg({ width: W, height: height + lg.height - 14, title }, parts, lg.svg);
}

export interface Series {
  label: string;
  xs: readonly number[];
  ys: readonly (number | null)[];
  style: SeriesStyle;
}

/** Lines on shared axes with a legend under the plot. */
export function lineChart(
  series: readonly Series[],
  o: { title: string; xLabel: string; yLabel: string; height?: number; yFromZero?: boolean; logY?: boolean },
): SafeHtml {
  const height = o.height ?? 260;
  const tf = (v: number | null): number | null => (v === null || !Number.isFinite(v) ? null : o.logY === true ? (v > 0 ? Math.log10(v) : null) : v);
  const ys = series.map((s) => s.ys.map(tf));
  const xe = extent(series.flatMap((s) => s.xs)) ?? [0, 1];
  const ye = extent(ys.flat()) ?? [0, 1];
  const yd =
    o.logY === true ? ([Math.floor(ye[0]), Math.ceil(ye[1])] as [number, number]) : niceDomain(o.yFromZero === true ? Math.min(0, ye[0]) : ye[0], ye[1]);
  if (yd[0] === yd[1]) yd[1] = yd[0] + 1;
  const lg0 = legend(
    series.map((s) => ({
      label: s.label,
      kind: 'line' as const,
      color: s.style.color,
      width: s.style.width,
      ...(s.style.dash !== undefined ? { dash: s.style.dash } : {}),
    })),
    52,
    0,
    W - 66,
  );
  const f = frame(W, height, niceDomain(xe[0], xe[1], 8), yd, { top: 12, right: 14, bottom: 44 + lg0.height + 4, left: 56 });
  const clip = nextClip();
  const lg = legend(
    series.map((s) => ({
      label: s.label,
      kind: 'line' as const,
      color: s.style.color,
      width: s.style.width,
      ...(s.style.dash !== undefined ? { dash: s.style.dash } : {}),
    })),
    f.left,
    f.bottom + 38,
    f.right - f.left,
  );
  const yTicks = o.logY === true ? Array.from({ length: yd[1] - yd[0] + 1 }, (_, i) => yd[0] + i) : niceTicks(yd[0], yd[1], 5);
  return svg(
    { width: W, height, title: o.title },
    clipDef(f, clip),
    series.map((s, i) =>
      linePath(f, s.xs, ys[i]!, { color: s.style.color, width: s.style.width, ...(s.style.dash !== undefined ? { dash: s.style.dash } : {}) }, clip),
    ),
    axes(
      f,
      { label: o.xLabel, ticks: niceTicks(f.x.domain[0], f.x.domain[1], 8) },
      {
        label: o.yLabel,
        ticks: yTicks,
        ...(o.logY === true ? { format: (v: number) => (v >= 0 && v <= 3 ? String(10 ** v) : `1e${v}`) } : {}),
      },
    ),
    lg.svg,
  );
}

export interface ErrorGridPoints {
  referenceMgdl: readonly number[];
  predictionMgdl: readonly number[];
}

/** Error grid with zone lines, zone letters and the (reference, forecast) pairs. */
export function errorGridChart(kind: 'clarke' | 'parkes', points: ErrorGridPoints | null, unit: GlucoseUnit, title: string): SafeHtml {
  const maxMg = kind === 'clarke' ? CLARKE_GRID_MAX_MGDL : PARKES_GRID_MAX_MGDL;
  const size = 330;
  const items: LegendItem[] = [
    ...(points === null ? [] : [{ label: '(reference, forecast) pair', kind: 'point' as const, color: '#1c4e80' }]),
    { label: 'Zone boundary', kind: 'line', color: '#333', width: 0.9 },
    { label: 'Identity (perfect forecast)', kind: 'line', color: '#999', width: 0.7, dash: '3 3' },
  ];
  const probe = legend(items, 0, 0, size - 20);
  const height = size + probe.height + 4;
  const u = (mg: number): number => toUnit(mg, unit);
  const f = frame(size, height, [0, u(maxMg)], [0, u(maxMg)], { top: 10, right: 10, bottom: 44 + probe.height + 4, left: 50 });
  const lg = legend(items, 10, f.bottom + 38, size - 20);
  const clip = nextClip();
  const lineStyle = { color: '#333', width: 0.9 };
  const conv = (pts: readonly (readonly [number, number])[]): [number, number][] => pts.map(([r, p]) => [u(r), u(p)]);
  const lines: SafeHtml[] = [];
  if (kind === 'clarke') for (const l of CLARKE_LINES) lines.push(polyline(f, conv(l), lineStyle, clip));
  else {
    for (const l of Object.values(PARKES_T1_UPPER)) lines.push(polyline(f, conv(l), lineStyle, clip));
    for (const l of Object.values(PARKES_T1_LOWER)) lines.push(polyline(f, conv(l), lineStyle, clip));
  }
  const labels = (kind === 'clarke' ? CLARKE_LABELS : PARKES_LABELS).map(([z, r, p]) =>
    text(f.x(u(r)), f.y(u(p)) + 4, z, { anchor: 'middle', size: 12, weight: '600', color: '#555' }),
  );
  const step = unit === 'mg/dL' ? 100 : 5;
  const ticks = niceTicks(0, u(maxMg), Math.round(u(maxMg) / step));
  const pts =
    points === null ? markup`` : scatter(f, points.referenceMgdl.map(u), points.predictionMgdl.map(u), { color: '#1c4e80', radius: 1.1, opacity: 0.45 }, clip);
  return svg(
    { width: size, height, title },
    clipDef(f, clip),
    pts,
    polyline(
      f,
      [
        [0, 0],
        [u(maxMg), u(maxMg)],
      ],
      { color: '#999', width: 0.7, dash: '3 3' },
      clip,
    ),
    lines,
    labels,
    axes(f, { label: `Reference glucose (${unit})`, ticks, format: unitFmt(unit) }, { label: `Forecast glucose (${unit})`, ticks, format: unitFmt(unit) }),
    lg.svg,
  );
}

export interface ForecastExampleData {
  stepMin: number;
  /** Oldest first, ending at the origin (minutes ≤ 0). */
  historyMgdl: readonly (number | null)[];
  actualMgdl: readonly (number | null)[];
  forecastMgdl: readonly number[];
  lowerMgdl: readonly number[] | null;
  upperMgdl: readonly number[] | null;
  level: number | null;
}

/** History solid, actual future dotted, forecast with its interval band, origin marked: distinct without colour. */
export function forecastChart(e: ForecastExampleData, unit: GlucoseUnit, title: string): SafeHtml {
  const H = e.forecastMgdl.length;
  const L = e.historyMgdl.length;
  const hx = Array.from({ length: L }, (_, i) => (i - (L - 1)) * e.stepMin);
  const fx = Array.from({ length: H }, (_, i) => (i + 1) * e.stepMin);
  const u = (v: number | null): number | null => (v === null ? null : toUnit(v, unit));
  const all = [...e.historyMgdl, ...e.actualMgdl, ...e.forecastMgdl, ...(e.lowerMgdl ?? []), ...(e.upperMgdl ?? [])];
  const ye = extent(all) ?? [70, 180];
  // Glucose is never below 0: conformal lower bounds can be, and would stretch the axis.
  const yd = niceDomain(u(Math.max(0, Math.min(40, ye[0])))!, u(Math.min(500, Math.max(250, ye[1])))!, 5);
  const lastHist = e.historyMgdl[L - 1] ?? null;
  // The forecast line starts at the last observed value so it visibly leaves the origin.
  const fX = [0, ...fx];
  const fY = [u(lastHist), ...e.forecastMgdl.map(u)];
  const aX = [0, ...fx];
  const aY = [u(lastHist), ...e.actualMgdl.map(u)];
  const items: LegendItem[] = [
    { label: 'History (observed)', kind: 'line', ...FORECAST_STYLE.history },
    { label: 'Actual (future)', kind: 'line', ...FORECAST_STYLE.actual },
    { label: 'Forecast', kind: 'line', ...FORECAST_STYLE.forecast },
  ];
  if (e.lowerMgdl !== null && e.level !== null)
    items.push({ label: `${Math.round(e.level * 100)} % interval`, kind: 'band', color: FORECAST_STYLE.band, opacity: 0.2 });
  items.push({ label: 'Forecast origin', kind: 'line', ...FORECAST_STYLE.origin });
  items.push({ label: `Target ${rangeLabels(unit).inRange} ${unit}`, kind: 'band', color: TARGET_BAND_FILL, opacity: 0.25 });
  const width = 330;
  const probe = legend(items, 50, 0, width - 60);
  const height = 210 + probe.height;
  const f = frame(width, height, [hx[0] ?? 0, H * e.stepMin], yd, { top: 10, right: 10, bottom: 44 + probe.height + 2, left: 50 });
  const clip = nextClip();
  const lg = legend(items, f.left - 40, f.bottom + 38, f.right - f.left + 40);
  return svg(
    { width, height, title },
    clipDef(f, clip),
    hspan(f, toUnit(70, unit), toUnit(180, unit), TARGET_BAND_FILL, TARGET_BAND_OPACITY + 0.05),
    e.lowerMgdl !== null && e.upperMgdl !== null ? band(f, fx, e.lowerMgdl.map(u), e.upperMgdl.map(u), FORECAST_STYLE.band, 0.2, clip) : markup``,
    linePath(f, hx, e.historyMgdl.map(u), FORECAST_STYLE.history, clip),
    linePath(f, aX, aY, FORECAST_STYLE.actual, clip),
    linePath(f, fX, fY, FORECAST_STYLE.forecast, clip),
    vrule(f, 0, FORECAST_STYLE.origin),
    axes(
      f,
      { label: 'Minutes from forecast origin', ticks: niceTicks(f.x.domain[0], f.x.domain[1], 6) },
      { label: `Glucose (${unit})`, format: unitFmt(unit) },
    ),
    lg.svg,
  );
}
