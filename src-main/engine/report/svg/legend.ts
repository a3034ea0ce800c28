/**
 * Chart legends: one swatch per series, showing what distinguishes it (colour, dash pattern,
 * band or point), laid out left to right and wrapped to the chart's width.
 */
import { markup, type SafeHtml } from '../html.js';
import { line, px, rect, text } from './primitives.js';

export interface LegendItem {
  label: string;
  kind: 'line' | 'band' | 'point' | 'rect';
  color: string;
  dash?: string;
  width?: number;
  opacity?: number;
}

const CHAR_W = 5.3;

/** Legend items laid out from (x, y) within `maxWidth`; returns the markup and its height. */
export function legend(items: readonly LegendItem[], x: number, y: number, maxWidth: number): { svg: SafeHtml; height: number } {
  const parts: SafeHtml[] = [];
  let cx = x;
  let cy = y;
  for (const it of items) {
    const w = 22 + it.label.length * CHAR_W + 14;
    if (cx > x && cx + w > x + maxWidth) {
      cx = x;
      cy += 14;
    }
    const mid = cy + 5;
    if (it.kind === 'line')
      parts.push(line(cx, mid, cx + 18, mid, { color: it.color, width: it.width ?? 1.8, ...(it.dash !== undefined ? { dash: it.dash } : {}) }));
    else if (it.kind === 'point') parts.push(markup`<rect x="${px(cx + 7)}" y="${px(mid - 2)}" width="4" height="4" fill="${it.color}"/>`);
    else parts.push(rect(cx, mid - 4, 18, 8, it.color, { opacity: it.opacity ?? (it.kind === 'band' ? 0.3 : 1) }));
    parts.push(text(cx + 22, mid + 3.5, it.label, { color: '#222' }));
    cx += w;
  }
  return { svg: markup`<g class="legend">${parts}</g>`, height: cy - y + 14 };
}
