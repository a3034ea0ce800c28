/**
 * A chart frame: the plot area inside margins, its x and y scales, and the axes with ticks,
 * tick labels, light grid lines and axis titles that always name the unit.
 */
import { markup, type SafeHtml } from '../html.js';
import { line, px, text } from './primitives.js';
import { linearScale, niceTicks, type LinearScale } from './scale.js';

export interface Margins {
  top: number;
  right: number;
  bottom: number;
  left: number;
}

export interface Frame {
  width: number;
  height: number;
  margin: Margins;
  /** Plot area in pixels. */
  left: number;
  right: number;
  top: number;
  bottom: number;
  x: LinearScale;
  y: LinearScale;
}

export const DEFAULT_MARGINS: Margins = { top: 12, right: 14, bottom: 40, left: 52 };

export function frame(
  width: number,
  height: number,
  xDomain: readonly [number, number],
  yDomain: readonly [number, number],
  margin: Margins = DEFAULT_MARGINS,
): Frame {
  const left = margin.left;
  const right = width - margin.right;
  const top = margin.top;
  const bottom = height - margin.bottom;
  return { width, height, margin, left, right, top, bottom, x: linearScale(xDomain, [left, right]), y: linearScale(yDomain, [bottom, top]) };
}

export interface AxisOptions {
  /** Axis title including the unit, e.g. "Glucose (mg/dL)". */
  label: string;
  ticks?: readonly number[];
  format?: (v: number) => string;
  /** Draw light grid lines across the plot at the ticks. */
  grid?: boolean;
}

/**
 * Tick labels with as many decimals as the tick spacing needs (0.25 steps print as
 * 0.25, not 0.3); very small or large spacings switch to exponent notation.
 */
export function tickFormatter(ticks: readonly number[]): (v: number) => string {
  const step = ticks.length > 1 ? Math.abs(ticks[1]! - ticks[0]!) : Math.abs(ticks[0] ?? 1);
  if (!(step > 0)) return (v) => String(v);
  const decimals = Math.max(0, -Math.floor(Math.log10(step) + 1e-9));
  if (decimals > 2 || step >= 1e6) return (v) => (v === 0 ? '0' : v.toExponential(1).replace('.0e', 'e'));
  // Steps like 2.5 × 10^k need one more decimal than their magnitude.
  const d = Math.abs(Math.round(step * 10 ** decimals) - step * 10 ** decimals) < 1e-9 ? decimals : decimals + 1;
  return (v) => v.toFixed(d);
}

/** Both axes of a frame: the box, ticks, labels and titles. */
export function axes(f: Frame, xo: AxisOptions, yo: AxisOptions): SafeHtml {
  const xt = xo.ticks ?? niceTicks(f.x.domain[0], f.x.domain[1], 6);
  const yt = yo.ticks ?? niceTicks(f.y.domain[0], f.y.domain[1], 5);
  const xf = xo.format ?? tickFormatter(xt);
  const yf = yo.format ?? tickFormatter(yt);
  const gridColor = '#e3e3e3';
  const parts: SafeHtml[] = [];
  for (const v of yt) {
    const y = f.y(v);
    if (yo.grid !== false) parts.push(line(f.left, y, f.right, y, { color: gridColor, width: 0.5 }));
    parts.push(line(f.left - 4, y, f.left, y, { color: '#444', width: 0.8 }));
    parts.push(text(f.left - 6, y + 3.5, yf(v), { anchor: 'end', color: '#333' }));
  }
  for (const v of xt) {
    const x = f.x(v);
    if (xo.grid === true) parts.push(line(x, f.top, x, f.bottom, { color: gridColor, width: 0.5 }));
    parts.push(line(x, f.bottom, x, f.bottom + 4, { color: '#444', width: 0.8 }));
    parts.push(text(x, f.bottom + 14, xf(v), { anchor: 'middle', color: '#333' }));
  }
  parts.push(
    markup`<rect x="${px(f.left)}" y="${px(f.top)}" width="${px(f.right - f.left)}" height="${px(f.bottom - f.top)}" fill="none" stroke="#555" stroke-width="0.8"/>`,
  );
  parts.push(text((f.left + f.right) / 2, f.bottom + 29, xo.label, { anchor: 'middle', color: '#222', size: 10.5 }));
  parts.push(text(13, (f.top + f.bottom) / 2, yo.label, { anchor: 'middle', color: '#222', size: 10.5, rotate: -90 }));
  return markup`<g class="axes">${parts}</g>`;
}

/** A clip path for the plot area, so lines running off-scale do not spill over the axes. */
export function clipDef(f: Frame, id: string): SafeHtml {
  return markup`<defs><clipPath id="${id}"><rect x="${px(f.left)}" y="${px(f.top)}" width="${px(f.right - f.left)}" height="${px(f.bottom - f.top)}"/></clipPath></defs>`;
}
