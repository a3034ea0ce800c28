/**
 * The report document: one self-contained HTML file (inline CSS and SVG, no scripts, no
 * network) with a header of facts, a table of contents and one <section id=…> per part.
 * Shared table helpers live here so every table is built the same way.
 */
import { markup, join, type HtmlValue, type SafeHtml, trusted } from './html.js';
import { pageRule, paperSize, REPORT_CSS } from './styles.js';

export interface ReportSection {
  /** Stable anchor, also what tests look for ([a-z0-9-]+). */
  id: string;
  title: string;
  body: SafeHtml;
  /** Start this section on a new printed page. */
  newPage?: boolean;
}

export interface ReportDocument {
  title: string;
  subtitle: string;
  /** Facts shown in the header (label, value). */
  meta: readonly (readonly [string, string])[];
  sections: readonly ReportSection[];
  footer: string;
}

export function renderDocument(doc: ReportDocument): string {
  for (const s of doc.sections) if (!/^[a-z0-9-]+$/.test(s.id)) throw new Error(`Report section id "${s.id}" must be [a-z0-9-]+.`);
  const page = markup`<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"/><meta name="viewport" content="width=device-width, initial-scale=1"/><meta name="generator" content="TTM Studio"/><title>${doc.title}</title><style>${trusted(REPORT_CSS)}${trusted(pageRule(paperSize()))}</style></head><body><header class="report-head"><h1>${doc.title}</h1><div class="subtitle">${doc.subtitle}</div><dl class="meta">${doc.meta.map(
    ([k, v]) => markup`<dt>${k}</dt><dd>${v}</dd>`,
  )}</dl></header><nav class="toc"><strong>Contents</strong><ol>${doc.sections.map((s) => markup`<li><a href="#${s.id}">${s.title}</a></li>`)}</ol></nav><main>${join(
    doc.sections.map((s) => markup`<section class="report-section${s.newPage === true ? ' page' : ''}" id="${s.id}"><h2>${s.title}</h2>${s.body}</section>`),
    '\n',
  )}</main><footer class="report-foot">${doc.footer}</footer></body></html>
`;
  return page.value;
}

export interface Column {
  label: string;
  /** Right-aligned numbers, so digits line up for comparison down a column. */
  num?: boolean;
  /** Unit shown under the header, e.g. "mg/dL". */
  unit?: string;
}

export function dataTable(
  columns: readonly Column[],
  rows: readonly (readonly HtmlValue[])[],
  o: { caption?: string; className?: string; totalRow?: readonly HtmlValue[] } = {},
): SafeHtml {
  const head = columns.map(
    (c) =>
      markup`<th${c.num === true ? trusted(' class="num"') : ''}>${c.label}${c.unit !== undefined ? markup`<br/><span class="note">${c.unit}</span>` : ''}</th>`,
  );
  const cell = (v: HtmlValue, i: number): SafeHtml => markup`<td${columns[i]?.num === true ? trusted(' class="num"') : ''}>${v}</td>`;
  return markup`<table${o.className !== undefined ? markup` class="${o.className}"` : ''}>${
    o.caption !== undefined ? markup`<caption>${o.caption}</caption>` : ''
  }<thead><tr>${head}</tr></thead><tbody>${rows.map((r) => markup`<tr>${r.map(cell)}</tr>`)}${
    o.totalRow !== undefined ? markup`<tr class="total">${o.totalRow.map(cell)}</tr>` : ''
  }</tbody></table>`;
}

/** Two-column facts table (label, value). */
export function keyValueTable(rows: readonly (readonly [string, HtmlValue])[]): SafeHtml {
  return markup`<table class="kv"><tbody>${rows.map(([k, v]) => markup`<tr><td>${k}</td><td>${v}</td></tr>`)}</tbody></table>`;
}

/** The one way a report says a part is missing: what, and why. */
export function unavailable(what: string, reason: string): SafeHtml {
  return markup`<p class="unavailable"><strong>${what} not available</strong> because ${reason}</p>`;
}

export function figure(svg: SafeHtml, caption: string): SafeHtml {
  return markup`<figure>${svg}<figcaption>${caption}</figcaption></figure>`;
}
