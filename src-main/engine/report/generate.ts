/**
 * Report generation entry point shared by the API handler, the CLI and the bench: gathers
 * the input from the store, renders the HTML, and writes it atomically (temp file + rename).
 */
import type { GlucoseUnit } from '../units.js';
import type { Store } from '../store/index.js';
import { writeFileAtomic } from '../util/atomic-write.js';
import { buildDataReportInput } from './data-input.js';
import { renderDataReport } from './data-report.js';
import { buildModelReportInput } from './model-input.js';
import { renderModelReport } from './model-report.js';

export type ReportRequest =
  | { kind: 'data'; dataset: string | number; patient?: string; unit: GlucoseUnit }
  | { kind: 'model'; run: number; dataset?: string | number; unit: GlucoseUnit };

export interface GenerateOptions {
  signal?: AbortSignal;
  onProgress?: (done: number, total: number, message: string) => void;
}

export interface GeneratedReport {
  path: string;
  bytes: number;
  kind: 'data' | 'model';
  title: string;
  sections: string[];
}

/** The HTML of a report, without writing it. */
export async function renderReport(store: Store, req: ReportRequest, o: GenerateOptions = {}): Promise<{ html: string; title: string }> {
  if (req.kind === 'data') {
    const input = await buildDataReportInput(store, {
      dataset: req.dataset,
      unit: req.unit,
      ...(req.patient !== undefined ? { patient: req.patient } : {}),
      ...(o.signal !== undefined ? { signal: o.signal } : {}),
      ...(o.onProgress !== undefined ? { onProgress: o.onProgress } : {}),
    });
    const html = renderDataReport(input);
    return { html, title: titleOf(html) };
  }
  const input = await buildModelReportInput(store, {
    run: req.run,
    unit: req.unit,
    ...(req.dataset !== undefined ? { dataset: req.dataset } : {}),
    ...(o.signal !== undefined ? { signal: o.signal } : {}),
    ...(o.onProgress !== undefined ? { onProgress: o.onProgress } : {}),
  });
  const html = renderModelReport(input, req.unit);
  return { html, title: titleOf(html) };
}

function titleOf(html: string): string {
  const m = /<title>([^<]*)<\/title>/.exec(html);
  return (
    m?.[1]
      ?.replace(/&amp;/g, '&')
      .replace(/&lt;/g, '<')
      .replace(/&gt;/g, '>')
      .replace(/&quot;/g, '"')
      .replace(/&#39;/g, "'") ?? ''
  );
}

export async function generateReport(store: Store, req: ReportRequest, outPath: string, o: GenerateOptions = {}): Promise<GeneratedReport> {
  const { html, title } = await renderReport(store, req, o);
  await writeFileAtomic(outPath, html);
  const sections = [...html.matchAll(/<section class="[^"]*" id="([a-z0-9-]+)"/g)].map((m) => m[1]!);
  return { path: outPath, bytes: Buffer.byteLength(html, 'utf8'), kind: req.kind, title, sections };
}
