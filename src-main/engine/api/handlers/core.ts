import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { cancelledError, StudioError } from '../../errors.js';
import { readSchemaVersion, type RunRow } from '../../store/index.js';
import { appVersion, cpuCount, executionProviders, onnxruntimeVersion } from '../../system.js';
import { SettingsSchema, type Settings } from '../contract.js';
import type { CallContext, Handlers } from '../service.js';

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

function defaultSettings(): Settings {
  return { glucoseUnit: 'mg/dL', threads: Math.min(cpuCount(), 8), device: 'cpu', theme: 'system' };
}

export function readSettings(ctx: Pick<CallContext, 'store'>): Settings {
  const stored = ctx.store.settings.all();
  const merged = { ...defaultSettings(), ...stored };
  const parsed = SettingsSchema.safeParse(merged);
  // A hand-edited or older settings row must not lock the user out: fall back per field.
  if (parsed.success) return parsed.data;
  const out = defaultSettings();
  for (const key of Object.keys(out) as (keyof Settings)[]) {
    const one = SettingsSchema.shape[key].safeParse(stored[key]);
    if (one.success) (out as Record<string, unknown>)[key] = one.data;
  }
  return out;
}

/** The fields of a run that lists show (runs.list, and the head of runs.get). */
export function runSummary(r: RunRow) {
  return {
    id: r.id,
    kind: r.kind,
    status: r.status,
    datasetId: r.datasetId,
    splitId: r.splitId,
    modelId: r.modelId,
    device: r.device,
    error: r.error,
    createdAt: r.createdAt,
    startedAt: r.startedAt,
    finishedAt: r.finishedAt,
  };
}

let sqliteVersion: string | null = null;

export const coreHandlers = {
  'app.info': (_req, ctx) => {
    sqliteVersion ??= (new Database(':memory:').prepare('SELECT sqlite_version() AS v').get() as { v: string }).v;
    return {
      app: { name: 'TTM Studio', version: appVersion() },
      node: process.versions.node,
      electron: ctx.electronVersion,
      platform: process.platform,
      arch: process.arch,
      cpus: cpuCount(),
      onnxruntime: { version: onnxruntimeVersion(), providers: executionProviders() },
      sqlite: sqliteVersion,
      dataDir: ctx.layout.root,
      databaseFile: ctx.layout.database,
      schemaVersion: readSchemaVersion(ctx.store.db),
    };
  },
  'settings.get': (_req, ctx) => readSettings(ctx),
  'settings.update': (req, ctx) => {
    if (req.threads !== undefined && req.threads > cpuCount() * 4) {
      throw new StudioError('INVALID_INPUT', `threads = ${req.threads} is more than 4× this machine's ${cpuCount()} CPUs; choose 1–${cpuCount()}.`);
    }
    ctx.store.transaction(() => {
      for (const [k, v] of Object.entries(req)) if (v !== undefined) ctx.store.settings.set(k, v);
    });
    ctx.emit({ type: 'data.changed', what: 'settings' });
    return readSettings(ctx);
  },
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
      (ctx.store.db.prepare('SELECT external_id FROM patients WHERE dataset_id = ?').all(d.id) as { external_id: string }[]).map((p) => p.external_id),
    );
    // Rows of patients, readings, events, grids, imports, quality reports and splits go with the
    // dataset (ON DELETE CASCADE); its data reports in the reports folder go too.
    ctx.store.transaction(() => ctx.store.datasets.delete(d.id));
    for (const f of reports) await rm(f, { force: true }).catch(() => undefined);
    ctx.emit({ type: 'data.changed', what: 'datasets' });
    return { deleted: d.name };
  },
  'runs.list': (_req, ctx) => ctx.store.runs.list().map(runSummary),
  'runs.metrics': (req, ctx) => {
    ctx.store.runs.get(req.run);
    return ctx.store.runs.metrics(req.run, req.name);
  },
  'operations.cancel': (req, ctx) => ({ cancelled: ctx.operations.cancel(req.operationId, cancelledError('Operation')) }),
} satisfies Partial<Handlers>;
