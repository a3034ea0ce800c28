/**
 * `datasets.list`, `.get`, `.patients`, `.delete`, `.simulate` and `.ensureDemo` (imports,
 * `datasets.detect`/`.preview`/`.import`, are data-import.ts's), and where a dataset's data
 * reports are written.
 */
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { StudioError } from '../../errors.js';
import { ensureDemoDataset } from '../../sim/demo.js';
import { simulateIntoStore } from '../../sim/output.js';
import { SimulationSettingsSchema } from '../../sim/settings.js';
import type { CallContext, Handlers } from './context.js';

/** A file name from free text (dataset names may hold spaces and dots). */
function slug(s: string): string {
  return s.replace(/[^A-Za-z0-9._-]+/g, '-').replace(/^-+|-+$/g, '') || 'report';
}

/** Base name of a dataset's data report in the reports folder (reports.generate's default). */
export function dataReportName(datasetName: string, patient?: string): string {
  return `${slug(datasetName)}${patient !== undefined ? `-${slug(patient)}` : ''}-data-report`;
}

/** The default data-report files of a dataset and of each of its patients (.html and a printed .pdf). */
export function datasetReportFiles(reportsDir: string, datasetName: string, patients: readonly string[]): string[] {
  const names = [dataReportName(datasetName), ...patients.map((p) => dataReportName(datasetName, p))];
  return names.flatMap((n) => [join(reportsDir, `${n}.html`), join(reportsDir, `${n}.pdf`)]);
}

function summaryOf(ctx: CallContext, datasetId: number) {
  const s = ctx.store.datasets.list().find((d) => d.id === datasetId);
  if (s === undefined) throw new StudioError('NOT_FOUND', `Dataset ${datasetId} does not exist.`);
  return s;
}

export const datasetHandlers = {
  'datasets.list': (_req, ctx) => ctx.store.datasets.list(),
  'datasets.get': (req, ctx) => {
    const d = ctx.store.datasets.resolve(req.dataset);
    const summary = ctx.store.datasets.list().find((s) => s.id === d.id);
    if (summary === undefined) throw new StudioError('NOT_FOUND', `Dataset ${String(req.dataset)} does not exist.`);
    return summary;
  },
  'datasets.patients': (req, ctx) => ctx.store.datasets.patients(ctx.store.datasets.resolve(req.dataset).id),
  'datasets.delete': async (req, ctx) => {
    const d = ctx.store.datasets.resolve(req.dataset);
    const inUse = ctx.store.runs.list({ status: 'running' }).filter((r) => r.datasetId === d.id);
    if (inUse.length > 0) throw new StudioError('CONFLICT', `Dataset "${d.name}" is used by running run ${inUse[0]!.id}; cancel it first.`);
    const reports = datasetReportFiles(
      ctx.layout.reports,
      d.name,
      ctx.store.patients.list(d.id).map((p) => p.externalId),
    );
    // Rows of patients, readings, events, grids, imports, quality reports and splits go with the
    // dataset (ON DELETE CASCADE); its data reports in the reports folder go too.
    ctx.store.transaction(() => ctx.store.datasets.delete(d.id));
    for (const f of reports) await rm(f, { force: true }).catch(() => undefined);
    ctx.emit({ type: 'data.changed', what: 'datasets' });
    return { deleted: d.name };
  },
  'datasets.simulate': async (req, ctx) => {
    const settings = SimulationSettingsSchema.parse({ patients: req.patients, days: req.days, seed: req.seed, start: req.start });
    const dataset = await ctx.operations.run('Simulating cohort', 'patients', req.operationId, (p) =>
      simulateIntoStore(ctx.store, settings, { name: req.name }, { signal: p.signal, onProgress: (done, total) => p.update(done, total) }),
    );
    ctx.emit({ type: 'data.changed', what: 'datasets' });
    return summaryOf(ctx, dataset.id);
  },
  'datasets.ensureDemo': async (req, ctx) => {
    const { dataset, created } = await ctx.operations.run('Creating the demo cohort', 'patients', req.operationId, (p) =>
      ensureDemoDataset(ctx.store, { signal: p.signal, onProgress: (done, total) => p.update(done, total) }),
    );
    if (created) ctx.emit({ type: 'data.changed', what: 'datasets' });
    return { dataset: summaryOf(ctx, dataset.id), created };
  },
} satisfies Partial<Handlers>;
