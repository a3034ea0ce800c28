/**
 * Data marks: lines (broken at missing values), bands between two curves, scatter points,
 * bars and horizontal spans. Pure functions of a frame and the data; output is SVG markup.
 */
import { markup, type SafeHtml } from '../html.js';
import type { Frame } from './frame.js';
import { px, rect, strokeAttrs, type Stroke } from './primitives.js';

type Num = number | null | undefined;

const ok = (v: Num): v is number => v !== null && v !== undefined && Number.isFinite(v);

/** Path data through the points, starting a new sub-path after every missing value. */
export function pathData(f: Frame, xs: ArrayLike<number>, ys: ArrayLike<Num>): string {
  let d = '';
  let pen = false;
  for (let i = 0; i < xs.length; i++) {
    const y = ys[i];
    if (!ok(y) || !ok(xs[i])) {
      pen = false;
      continue;
    }
    d += `${pen ? 'L' : 'M'}${px(f.x(xs[i]!))} ${px(f.y(y))}`;
    pen = true;
  }
  return d;
}

export function linePath(f: Frame, xs: ArrayLike<number>, ys: ArrayLike<Num>, s: Stroke, clipId?: string): SafeHtml {
  const d = pathData(f, xs, ys);
  if (d === '') return markup``;
  return markup`<path d="${d}" fill="none" ${strokeAttrs(s)} stroke-linejoin="round" stroke-linecap="round" ${clipId !== undefined ? markup` clip-path="url(#${clipId})"` : ''}/>`;
}

/** Filled band between `lo` and `hi`; one polygon per run of points where both are present. */
export function band(f: Frame, xs: ArrayLike<number>, lo: ArrayLike<Num>, hi: ArrayLike<Num>, fill: string, opacity = 0.3, clipId?: string): SafeHtml {
  const polys: string[] = [];
  let run: number[] = [];
  const flush = (): void => {
    if (run.length >= 2) {
      const top = run.map((i) => `${px(f.x(xs[i]!))},${px(f.y(hi[i] as number))}`);
      const bottom = run.map((i) => `${px(f.x(xs[i]!))},${px(f.y(lo[i] as number))}`).reverse();
      polys.push([...top, ...bottom].join(' '));
    }
    run = [];
  };
  for (let i = 0; i < xs.length; i++) {
    if (ok(lo[i]) && ok(hi[i]) && ok(xs[i])) run.push(i);
    else flush();
  }
  flush();
  const clip = clipId !== undefined ? markup` clip-path="url(#${clipId})"` : '';
  return markup`${polys.map((p) => markup`<polygon points="${p}" fill="${fill}" fill-opacity="${opacity}" stroke="none" ${clip}/>`)}`;
}

export interface ScatterStyle {
  color: string;
  radius?: number;
  opacity?: number;
}

/** Points as one path of tiny squares: far smaller than one <circle> per point. */
export function scatter(f: Frame, xs: ArrayLike<number>, ys: ArrayLike<number>, s: ScatterStyle, clipId?: string): SafeHtml {
  const r = s.radius ?? 1.2;
  let d = '';
  for (let i = 0; i < xs.length; i++) {
    if (!ok(xs[i]) || !ok(ys[i])) continue;
    const x = f.x(xs[i]!) - r;
    const y = f.y(ys[i]!) - r;
    d += `M${px(x)} ${px(y)}h${px(2 * r)}v${px(2 * r)}h${px(-2 * r)}z`;
  }
  if (d === '') return markup``;
  return markup`<path d="${d}" fill="${s.color}" fill-opacity="${s.opacity ?? 0.5}" stroke="none" ${clipId !== undefined ? markup` clip-path="url(#${clipId})"` : ''}/>`;
}

/** A horizontal span across the plot between two y values (e.g. the 70–180 mg/dL target band). */
export function hspan(f: Frame, y0: number, y1: number, fill: string, opacity = 0.15): SafeHtml {
  const a = Math.max(f.top, Math.min(f.bottom, f.y(y1)));
  const b = Math.max(f.top, Math.min(f.bottom, f.y(y0)));
  return rect(f.left, a, f.right - f.left, b - a, fill, { opacity });
}

export function vrule(f: Frame, x: number, s: Stroke): SafeHtml {
  return markup`<line x1="${px(f.x(x))}" y1="${px(f.top)}" x2="${px(f.x(x))}" y2="${px(f.bottom)}" ${strokeAttrs(s)}/>`;
}

export function hrule(f: Frame, y: number, s: Stroke): SafeHtml {
  return markup`<line x1="${px(f.left)}" y1="${px(f.y(y))}" x2="${px(f.right)}" y2="${px(f.y(y))}" ${strokeAttrs(s)}/>`;
}

/** Vertical bars centred on xs, `width` in domain units, from 0 (or the domain floor) to y. */
export function bars(f: Frame, xs: ArrayLike<number>, ys: ArrayLike<Num>, width: number, fill: string): SafeHtml {
  const base = f.y(Math.max(0, f.y.domain[0]));
  const out: SafeHtml[] = [];
  for (let i = 0; i < xs.length; i++) {
    const y = ys[i];
    if (!ok(y)) continue;
    const x0 = f.x(xs[i]! - width / 2);
    const x1 = f.x(xs[i]! + width / 2);
    const top = f.y(y);
    out.push(rect(x0, Math.min(top, base), x1 - x0, Math.abs(base - top), fill));
  }
  return markup`${out}`;
}

/** A polyline through (x, y) pairs in domain units (error-grid zone boundaries). */
export function polyline(f: Frame, points: readonly (readonly [number, number])[], s: Stroke, clipId?: string): SafeHtml {
  const pts = points.map(([x, y]) => `${px(f.x(x))},${px(f.y(y))}`).join(' ');
  return markup`<polyline points="${pts}" fill="none" ${strokeAttrs(s)}${clipId !== undefined ? markup` clip-path="url(#${clipId})"` : ''}/>`;
}
