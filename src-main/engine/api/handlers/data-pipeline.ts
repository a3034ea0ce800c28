/**
 * API handlers of the data pipeline: simulated cohorts and the demo, patient traces for
 * charts, quality checks and fixes, splits. Thin: validation is the contract's, work is the
 * engine's (engine/data, engine/sim).
 */
import { StudioError } from '../../errors.js';
import { loadPatientGrid, sliceGrid } from '../../data/grid/access.js';
import { binRange } from '../../data/grid/build.js';
import { CHANNELS } from '../../data/grid/channels.js';
import { applyQualityFixes, fixesFromReport, latestQualityReport, qualitySettingsFor, runQualityCheck } from '../../data/quality/index.js';
import { createSplit, validateSplit } from '../../data/splits.js';
import { ensureDemoDataset } from '../../sim/demo.js';
import { simulateIntoStore } from '../../sim/output.js';
import { SimulationSettingsSchema } from '../../sim/settings.js';
import type { PatientRow, Store } from '../../store/index.js';
import type { SplitRow } from '../../store/splits.js';
import { SplitSpecSchema, type PatientTrace } from '../contract.js';
import type { CallContext, Handlers } from '../service.js';

/** Most grid points one trace request returns (70 days at 5 min). */
const MAX_TRACE_POINTS = 20_160;

function summaryOf(ctx: CallContext, datasetId: number) {
  const s = ctx.store.datasets.list().find((d) => d.id === datasetId);
  if (s === undefined) throw new StudioError('NOT_FOUND', `Dataset ${datasetId} does not exist.`);
  return s;
}

function resolvePatient(store: Store, datasetId: number, ref: string | number): PatientRow {
  if (typeof ref === 'string') {
    const p = store.patients.find(datasetId, ref);
    if (p !== undefined) return p;
    if (!/^\d+$/.test(ref)) throw new StudioError('NOT_FOUND', `No patient "${ref}" in this dataset. List them with \`ttm-studio datasets show\`.`);
    ref = Number(ref);
  }
  const found = store.patients.list(datasetId).find((p) => p.id === ref);
  if (found === undefined) throw new StudioError('NOT_FOUND', `No patient ${ref} in this dataset.`);
  return found;
}

function splitSummary(row: SplitRow) {
  const content = validateSplit(row.content);
  return {
    id: row.id,
    datasetId: row.datasetId,
    name: row.name,
    version: row.version,
    kind: row.kind,
    spec: SplitSpecSchema.parse(row.spec),
    locked: row.locked,
    contentHash: row.contentHash,
    createdAt: row.createdAt,
    trainPatients: content.trainPatients.length,
    holdoutPatients: content.holdoutPatients.length,
  };
}

const round4 = (v: number): number => Math.round(v * 1e4) / 1e4;

export const dataPipelineHandlers = {
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
  'patients.trace': (req, ctx) => {
    const dataset = ctx.store.datasets.resolve(req.dataset);
    const patient = resolvePatient(ctx.store, dataset.id, req.patient);
    const grid = loadPatientGrid(ctx.store, patient.id, {
      resolutionMin: req.grid?.resolutionMin ?? dataset.resolutionMin,
      maxGapMin: req.grid?.maxGapMin,
      imputation: req.grid?.imputation,
    });
    // default view: the last 7 days
    const stepMs = grid.stepMin * 60_000;
    const to = req.to ?? grid.startTs + grid.length * stepMs;
    const from = req.from ?? to - 7 * 86_400_000;
    const range = binRange(grid, from, to);
    if (range.to - range.from > MAX_TRACE_POINTS) {
      throw new StudioError(
        'INVALID_INPUT',
        `That range has ${range.to - range.from} grid points; ask for at most ${MAX_TRACE_POINTS} (${Math.floor((MAX_TRACE_POINTS * grid.stepMin) / 1440)} days at ${grid.stepMin} min).`,
      );
    }
    const slice = sliceGrid(grid, range.from, range.to);
    const channels = req.channels ?? CHANNELS.filter((c) => !grid.absent.includes(c));
    const trace: PatientTrace = {
      patientId: patient.id,
      externalId: patient.externalId,
      startTs: slice.startTs,
      stepMin: slice.stepMin,
      length: slice.length,
      channels: {},
      masks: {},
      segments: slice.segments,
      absent: slice.absent,
    };
    for (const c of channels) {
      trace.channels[c] = Array.from(slice.channels[c], (v) => (Number.isFinite(v) ? round4(v) : null));
      trace.masks[c] = Array.from(slice.masks[c]);
    }
    return trace;
  },
  'quality.check': async (req, ctx) => {
    const dataset = ctx.store.datasets.resolve(req.dataset);
    const settings = qualitySettingsFor(ctx.store, dataset.id, req.settings);
    return ctx.operations.run(`Checking ${dataset.name}`, 'patients', req.operationId, (p) =>
      runQualityCheck(ctx.store, dataset.id, settings, { signal: p.signal, onProgress: (done, total) => p.update(done, total) }),
    );
  },
  'quality.latest': (req, ctx) => latestQualityReport(ctx.store, ctx.store.datasets.resolve(req.dataset).id),
  'quality.fix': (req, ctx) => {
    const dataset = ctx.store.datasets.resolve(req.dataset);
    if ((req.fixes === undefined) === (req.findings === undefined))
      throw new StudioError('INVALID_INPUT', 'Give either `fixes` or `findings` (indices into a quality report), not both or neither.');
    let fixes = req.fixes;
    if (fixes === undefined) {
      const report = req.reportId !== undefined ? ctx.store.quality.report(req.reportId) : null;
      if (report !== null && report.datasetId !== dataset.id)
        throw new StudioError('INVALID_INPUT', `Quality report ${req.reportId} belongs to another dataset.`);
      const latest = latestQualityReport(ctx.store, dataset.id);
      const chosen = req.reportId === undefined ? latest : latest !== null && latest.reportId === req.reportId ? latest : null;
      if (chosen === null)
        throw new StudioError(
          'NOT_FOUND',
          `No current quality report for "${dataset.name}": run \`ttm-studio check ${dataset.name}\` first (fixes refer to its findings).`,
        );
      fixes = fixesFromReport(chosen, req.findings);
    }
    const applied = applyQualityFixes(ctx.store, dataset.id, fixes);
    ctx.emit({ type: 'data.changed', what: 'datasets' });
    return applied;
  },
  'splits.create': (req, ctx) => {
    const dataset = ctx.store.datasets.resolve(req.dataset);
    const row = createSplit(ctx.store, dataset.id, req.name, req.spec);
    ctx.emit({ type: 'data.changed', what: 'datasets' });
    return { ...splitSummary(row), content: validateSplit(row.content) };
  },
  'splits.list': (req, ctx) => {
    const datasetId = req.dataset === undefined ? undefined : ctx.store.datasets.resolve(req.dataset).id;
    return ctx.store.splits.list(datasetId).map(splitSummary);
  },
  'splits.get': (req, ctx) => {
    const dataset = ctx.store.datasets.resolve(req.dataset);
    const row = ctx.store.splits.find(dataset.id, req.name, req.version);
    if (row === undefined)
      throw new StudioError(
        'NOT_FOUND',
        `No split "${req.name}"${req.version !== undefined ? ` version ${req.version}` : ''} for dataset "${dataset.name}". List them with \`ttm-studio splits list\`.`,
      );
    return { ...splitSummary(row), content: validateSplit(row.content) };
  },
} satisfies Partial<Handlers>;
