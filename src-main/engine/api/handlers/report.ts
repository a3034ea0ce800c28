/**
 * API handler of reports: gathers, renders and writes one self-contained HTML report with
 * progress events. PDF is printed from that file by the front end that has a browser engine
 * (Electron's printToPDF in the app, headless chromium in the CLI), so the service never
 * launches a browser itself.
 */
import { existsSync } from 'node:fs';
import { isAbsolute, join, resolve } from 'node:path';
import { StudioError } from '../../errors.js';
import { generateReport, type ReportRequest } from '../../report/generate.js';
import type { Handlers } from './context.js';
import { readSettings } from './core.js';
import { dataReportName } from './datasets.js';

export const reportHandlers = {
  'reports.generate': async (req, ctx) => {
    const unit = req.unit ?? readSettings(ctx).glucoseUnit;
    let request: ReportRequest;
    let name: string;
    if (req.run !== undefined) {
      ctx.store.runs.get(req.run); // NOT_FOUND with a hint before any work
      request = { kind: 'model', run: req.run, unit, ...(req.dataset !== undefined ? { dataset: req.dataset } : {}) };
      name = `run-${req.run}-model-report`;
    } else {
      const dataset = ctx.store.datasets.resolve(req.dataset!);
      request = { kind: 'data', dataset: dataset.id, unit, ...(req.patient !== undefined ? { patient: req.patient } : {}) };
      name = dataReportName(dataset.name, req.patient);
    }
    const out = req.out !== undefined ? (isAbsolute(req.out) ? req.out : resolve(req.out)) : join(ctx.layout.reports, `${name}.html`);
    if (!/\.html?$/i.test(out))
      throw new StudioError('INVALID_INPUT', `The report is HTML: give an output path ending in .html (got ${out}). PDF is printed from the HTML.`);
    if (!req.overwrite && existsSync(out)) throw new StudioError('CONFLICT', `${out} exists; choose another path or allow overwriting.`);
    const result = await ctx.operations.run(request.kind === 'data' ? 'Writing the data report' : 'Writing the model report', 'steps', req.operationId, (p) =>
      generateReport(ctx.store, request, out, { signal: p.signal, onProgress: (done, total, message) => p.update(done, total, message) }),
    );
    return { kind: result.kind, path: result.path, bytes: result.bytes, title: result.title, unit, sections: result.sections };
  },
} satisfies Partial<Handlers>;
