/**
 * SVG primitives: the root element, coordinates rounded to 0.1 px (smaller files, no visible
 * difference in print) and stroke styles. Every text goes through the escaping template.
 */
import { markup, type HtmlValue, type SafeHtml } from '../html.js';

/** Coordinates to one decimal; keeps a 3,000-point scatter well under 100 kB. */
export function px(v: number): string {
  return (Math.round(v * 10) / 10).toString();
}

export interface Stroke {
  color: string;
  width?: number;
  /** SVG dasharray, e.g. "6 3"; distinguishes series without colour (greyscale prints, colour-blind readers). */
  dash?: string;
  opacity?: number;
}

export function strokeAttrs(s: Stroke): SafeHtml {
  return markup` stroke="${s.color}" stroke-width="${s.width ?? 1.5}"${s.dash !== undefined ? markup` stroke-dasharray="${s.dash}"` : ''}${
    s.opacity !== undefined ? markup` stroke-opacity="${s.opacity}"` : ''
  }`;
}

export interface SvgOptions {
  width: number;
  height: number;
  /** Accessible name, also the tooltip in viewers. */
  title: string;
  className?: string;
}

/** The root <svg>: fixed viewBox, scales to its container's width in print. */
export function svg(o: SvgOptions, ...children: HtmlValue[]): SafeHtml {
  return markup`<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ${o.width} ${o.height}" width="${o.width}" height="${o.height}" role="img" class="${o.className ?? 'chart'}" font-family="Helvetica, Arial, sans-serif" font-size="10"><title>${o.title}</title>${children}</svg>`;
}

export function text(
  x: number,
  y: number,
  content: string,
  o: { anchor?: 'start' | 'middle' | 'end'; size?: number; color?: string; weight?: string; rotate?: number } = {},
): SafeHtml {
  const transform = o.rotate !== undefined ? markup` transform="rotate(${o.rotate} ${px(x)} ${px(y)})"` : '';
  return markup`<text x="${px(x)}" y="${px(y)}" text-anchor="${o.anchor ?? 'start'}" ${o.size !== undefined ? markup` font-size="${o.size}"` : ''} fill="${o.color ?? '#222'}" ${o.weight !== undefined ? markup` font-weight="${o.weight}"` : ''}${transform} >${content}</text>`;
}

export function rect(x: number, y: number, w: number, h: number, fill: string, o: { opacity?: number; stroke?: string } = {}): SafeHtml {
  return markup`<rect x="${px(x)}" y="${px(y)}" width="${px(Math.max(0, w))}" height="${px(Math.max(0, h))}" fill="${fill}" ${o.opacity !== undefined ? markup` fill-opacity="${o.opacity}"` : ''}${o.stroke !== undefined ? markup` stroke="${o.stroke}" stroke-width="0.5"` : ''}/>`;
}

export function line(x1: number, y1: number, x2: number, y2: number, s: Stroke): SafeHtml {
  return markup`<line x1="${px(x1)}" y1="${px(y1)}" x2="${px(x2)}" y2="${px(y2)}" ${strokeAttrs(s)}/>`;
}
