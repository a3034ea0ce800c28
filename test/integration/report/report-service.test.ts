/**
 * reports.generate end to end on a real SQLite store: a data report whose clinical numbers
 * come from hand-built readings (and skip what must be skipped), the unit setting and its
 * override, progress events, and a model report built from an evaluation and forecasts that
 * the real evaluation code stored (bench/sections/report.ts's fixture).
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { seedReportFixture, type ReportFixture } from '../../../bench/sections/report.js';
import type { ApiEvent } from '../../../src-main/engine/api/contract.js';
import { StudioService } from '../../../src-main/engine/api/service.js';
import { createLogger } from '../../../src-main/engine/logger.js';
import { buildDataReportInput } from '../../../src-main/engine/report/data-input.js';
import { DATA_REPORT_SECTIONS } from '../../../src-main/engine/report/data-report.js';
import { MAX_GRID_POINTS, sampleForecasts } from '../../../src-main/engine/report/forecast-samples.js';
import { buildModelReportInput } from '../../../src-main/engine/report/model-input.js';
import { MODEL_REPORT_SECTIONS } from '../../../src-main/engine/report/model-report.js';
import { checkReportHtml } from '../../../src-main/engine/report/validate.js';
import { READING_FLAGS, Store, type NewReading } from '../../../src-main/engine/store/index.js';
import { tempDir } from '../../helpers/tmp.js';

let tmp: { dir: string; cleanup: () => void };
let service: StudioService;
let fixture: ReportFixture;
const MIN = 60_000;
const T0 = Date.UTC(2024, 0, 1) - 60 * MIN; // local midnight at UTC+1

beforeAll(async () => {
  tmp = tempDir('ttm-report-');
  const store = Store.open(join(tmp.dir, 'studio.sqlite'));
  fixture = await seedReportFixture(store, { patients: 3, days: 12 });
  // Hand-built patient: 14 days at 5 min, value 100 + 5·(local hour) mg/dL, UTC+1.
  const d = store.datasets.create({ name: 'golden', resolutionMin: 5 });
  const p = store.patients.ensure(d.id, 'g1', { utcOffsetMin: 60 });
  const rows: NewReading[] = [];
  for (let i = 0; i < 14 * 288; i++) {
    const hour = Math.floor((i % 288) / 12);
    rows.push({
      patientId: p.id,
      importId: null,
      ts: T0 + i * 5 * MIN,
      utcOffsetMin: 60,
      kind: 'cgm' as const,
      bgMm: (100 + 5 * hour) / 18.018,
      flags: 0,
      sourceRow: i,
    });
  }
  // Neither a finger stick nor a reading a fix removed may count.
  rows.push({ patientId: p.id, importId: null, ts: T0 + 7 * MIN, utcOffsetMin: 60, kind: 'smbg' as const, bgMm: 30, flags: 0, sourceRow: null });
  rows.push({
    patientId: p.id,
    importId: null,
    ts: T0 + 9 * MIN,
    utcOffsetMin: 60,
    kind: 'cgm' as const,
    bgMm: 25,
    flags: READING_FLAGS.removed,
    sourceRow: null,
  });
  store.transaction(() => store.readings.insertMany(rows));
  store.close();
  service = new StudioService({ dataDir: tmp.dir, logger: createLogger({ logsDir: join(tmp.dir, 'logs') }) });
});

afterAll(() => {
  service?.close();
  tmp?.cleanup();
});

/** The evaluation row the fixture's train run stored (its dataset, split and metrics JSON). */
function runEvaluation(store: Store): { dataset_id: number; split_id: number; metrics_json: string } {
  return store.db.prepare('SELECT dataset_id, split_id, metrics_json FROM evaluations WHERE run_id = ?').get(fixture.runId) as {
    dataset_id: number;
    split_id: number;
    metrics_json: string;
  };
}

function cells(html: string, label: string): string[] {
  const row = [...html.matchAll(/<tr>(.*?)<\/tr>/g)].map((m) => m[1]!).find((r) => r.startsWith(`<td>${label}</td>`));
  if (row === undefined) throw new Error(`no row ${label}`);
  return [...row.matchAll(/<td[^>]*>(.*?)<\/td>/g)].map((m) => m[1]!.replace(/<[^>]+>/g, ''));
}

describe('reports.generate', () => {
  it('data report: golden numbers from stored readings, in the unit of the setting, with progress', async () => {
    await service.invoke('settings.update', { glucoseUnit: 'mmol/L' });
    const events: ApiEvent[] = [];
    const off = service.subscribe((e) => events.push(e));
    const r = await service.invoke('reports.generate', { dataset: 'golden', operationId: 'report-op-1' });
    off();
    expect(r.kind).toBe('data');
    expect(r.unit).toBe('mmol/L');
    expect(r.path).toBe(join(tmp.dir, 'reports', 'golden-data-report.html'));
    const html = readFileSync(r.path, 'utf8');
    expect(r.bytes).toBe(Buffer.byteLength(html));
    expect(checkReportHtml(html, [...DATA_REPORT_SECTIONS, 'patient-' + r.sections.find((s) => s.startsWith('patient-'))!.slice(8)]).errors).toEqual([]);
    expect(r.sections).toEqual(['overview', 'time-in-ranges', expect.stringMatching(/^patient-\d+$/), 'quality', 'methods']);
    // days, wear, readings, mean, SD, CV, GMI, ranges (4032 CGM readings; smbg and removed ones left out)
    expect(cells(html, 'g1')).toEqual(['g1', '14.0', '100.0', '4,032', '8.7', '1.92', '22.0', '7.1', '0.0', '0.0', '70.8', '29.2', '0.0']);
    expect(cells(html, 'GMI')).toEqual(['GMI', '7.1 % (54 mmol/mol)']);
    // No quality report existed: the default check ran and its findings are in the report.
    expect(html).toContain('No stored quality report existed');
    expect(html).toMatch(/Quality report \d+ of /);
    const progress = events.filter((e) => e.type === 'progress' && e.operationId === 'report-op-1');
    expect(progress.length).toBeGreaterThan(0);
    expect(events).toContainEqual({ type: 'operation.end', operationId: 'report-op-1', status: 'completed' });
  });

  it('--unit overrides the setting; one patient only; another output path', async () => {
    const out = join(tmp.dir, 'out', 'g1.html');
    const r = await service.invoke('reports.generate', { dataset: 'golden', patient: 'g1', unit: 'mg/dL', out });
    expect(r.path).toBe(out);
    const html = readFileSync(out, 'utf8');
    expect(cells(html, 'g1').slice(0, 8)).toEqual(['g1', '14.0', '100.0', '4,032', '158', '34.6', '22.0', '7.1']);
    expect(html).toContain('Patients in this report</td><td>1 (filtered to &quot;g1&quot;)');
  });

  it('model report of a run with a stored evaluation and forecasts: every section, the stored numbers', async () => {
    const r = await service.invoke('reports.generate', { run: fixture.runId, unit: 'mg/dL' });
    expect(r.kind).toBe('model');
    const html = readFileSync(r.path, 'utf8');
    expect(checkReportHtml(html, MODEL_REPORT_SECTIONS).errors).toEqual([]);
    expect(r.sections).toEqual([...MODEL_REPORT_SECTIONS]);
    expect(html).not.toContain('not available</strong>');
    // The RMSE at 60 min of each model, as stored by forecast/evaluate.ts, appears in the table.
    const store = Store.open(join(tmp.dir, 'studio.sqlite'));
    const stored = JSON.parse(
      (store.db.prepare('SELECT metrics_json FROM evaluations WHERE run_id = ?').get(fixture.runId) as { metrics_json: string }).metrics_json,
    ) as {
      groups: {
        group: string;
        models: {
          model: string;
          full: {
            point: { perStep: { minutes: number; rmseMgdl: number }[] };
            hypoByHorizon: { level: number; minutes: number; windows: number; tp: number; fn: number }[];
          };
        }[];
      }[];
    };
    store.close();
    const g = stored.groups[0]!;
    expect(g.models.map((m) => m.model)).toEqual([`${fixture.datasetName}-model`, 'persistence', 'ridge', 'ar2']);
    for (const m of g.models) {
      const rmse60 = m.full.point.perStep.find((s) => s.minutes === 60)!.rmseMgdl.toFixed(1);
      expect(html).toMatch(
        new RegExp(`<td>60 min</td><td>(<strong>)?${m.model}.*?</td><td class="num">[\\d,]+</td><td class="num">${rmse60.replace('.', '\\.')}</td>`),
      );
      // …and its hypoglycaemia detection at +60 min (level 1): counted windows and observed lows.
      const h60 = m.full.hypoByHorizon.find((h) => h.level === 1 && h.minutes === 60)!;
      const count = (v: number) => v.toLocaleString('en-US');
      expect(html).toMatch(
        new RegExp(
          `<td>\\+60 min</td><td>[^<]*</td><td>(<strong>)?${m.model}.*?</td><td class="num">${count(h60.windows)}</td><td class="num">${count(h60.tp + h60.fn)}</td>`,
        ),
      );
    }
    expect(html).toContain('<title>Clarke error grid</title>');
    expect(html).toContain('<title>Parkes error grid (type 1)</title>');
    expect(html.match(/<title>(best|median|worst) window<\/title>/g)).toHaveLength(3);
    expect(html).toContain('Training and validation loss');
    expect(html).toContain('The data are simulated');
    expect(html).toContain(`Model trained by this run</td><td>${fixture.datasetName}-model (id ${fixture.modelId})`);
  });

  it('a fine-tune run: titled with the fine-tuned model, compared with its base (zero-shot) on the same windows, every row under its registered name', async () => {
    const store = Store.open(join(tmp.dir, 'studio.sqlite'));
    const ev = runEvaluation(store);
    const stored = JSON.parse(ev.metrics_json) as { groups: { models: { model: string; full: { point: { perStep: { rmseMgdl: number }[] } } }[] }[] };
    const base = store.models.upsert({ name: 'base-ttm', source: 'bundled', path: join(tmp.dir, 'nowhere-base'), config: {} });
    const tuned = store.models.upsert({ name: 'tuned-ttm', source: 'trained', path: join(tmp.dir, 'nowhere-tuned'), config: { trainingMode: 'fine_tune' } });
    const ft = store.runs.create({ kind: 'train', datasetId: ev.dataset_id, splitId: ev.split_id, modelId: base.id, config: {} });
    store.runs.finish(ft.id, 'completed', { result: { modelId: tuned.id, modelName: tuned.name } });
    // Evaluations as older versions stored them: the model's row called "ttm" / "ttm-zero-shot".
    const as = (name: string, scale: number): string => {
      const copy = structuredClone(stored);
      for (const g of copy.groups) {
        g.models[0]!.model = name;
        for (const st of g.models[0]!.full.point.perStep) st.rmseMgdl *= scale;
      }
      return JSON.stringify(copy);
    };
    const insert = store.db.prepare('INSERT INTO evaluations (run_id, model_id, dataset_id, split_id, metrics_json, created_at) VALUES (?, ?, ?, ?, ?, ?)');
    const zsRun = store.runs.create({ kind: 'evaluate', datasetId: ev.dataset_id, splitId: ev.split_id, modelId: base.id, config: {} });
    insert.run(zsRun.id, base.id, ev.dataset_id, ev.split_id, as('ttm-zero-shot', 1.25), new Date().toISOString());
    const evRun = store.runs.create({ kind: 'evaluate', datasetId: ev.dataset_id, splitId: ev.split_id, modelId: tuned.id, config: {} });
    insert.run(evRun.id, tuned.id, ev.dataset_id, ev.split_id, as('ttm', 1), new Date().toISOString());
    // The fine-tuned model's forecasts live in a predict run of another id: the caption must not cite it.
    const pr = store.runs.create({ kind: 'predict', datasetId: ev.dataset_id, splitId: ev.split_id, modelId: tuned.id, config: {} });
    store.db
      .prepare(
        'INSERT INTO forecasts (run_id, patient_id, origin_ts, step_min, values_blob, lower_blob, upper_blob, meta_json) SELECT ?, patient_id, origin_ts, step_min, values_blob, lower_blob, upper_blob, meta_json FROM forecasts WHERE run_id = ?',
      )
      .run(pr.id, fixture.runId);
    store.close();

    const html = readFileSync((await service.invoke('reports.generate', { run: ft.id, unit: 'mg/dL' })).path, 'utf8');
    expect(checkReportHtml(html, MODEL_REPORT_SECTIONS).errors).toEqual([]);
    expect(html).toContain(`<title>Model report: tuned-ttm, run ${ft.id}`);
    expect(html).toContain(`Model trained by this run</td><td>tuned-ttm (id ${tuned.id})`);
    expect(html).toContain(`Base model (fine-tuned from)</td><td>base-ttm (id ${base.id})`);
    // Both models in the tables, by name; "ttm" nowhere as a model.
    expect(html).toMatch(/<td>60 min<\/td><td><strong>tuned-ttm<\/strong><\/td>/);
    expect(html).toMatch(/<td>60 min<\/td><td>base-ttm <span class="note">\(base model, zero-shot\)<\/span><\/td>/);
    expect(html).not.toMatch(/<td>(<strong>)?ttm(-zero-shot)?(<\/strong>)?<\/td>/);
    // The comparison table: base RMSE 25 % above the fine-tuned one at 60 min, on the same windows.
    expect(html).toContain('Fine-tuned against its base model');
    expect(html).toMatch(/<td>60 min<\/td><td class="num">[\d,]+<\/td><td class="num">[\d.]+<\/td><td class="num">[\d.]+<\/td><td class="num">−20\.0 %<\/td>/);
    // The error grid names the fine-tuned model and no run but this one.
    const caption = html.slice(html.indexOf('Clarke error grid.'), html.indexOf('</figcaption>', html.indexOf('Clarke error grid.')));
    expect(caption).toContain('pairs of tuned-ttm');
    expect(caption).not.toMatch(/run \d/);
  });

  it('a fine-tune run whose base model was evaluated on other windows says so instead of comparing', async () => {
    const store = Store.open(join(tmp.dir, 'studio.sqlite'));
    const ev = runEvaluation(store);
    const base = store.models.upsert({ name: 'base-2', source: 'bundled', path: join(tmp.dir, 'nowhere-b2'), config: {} });
    const tuned = store.models.upsert({ name: 'tuned-2', source: 'trained', path: join(tmp.dir, 'nowhere-t2'), config: {} });
    const ft = store.runs.create({ kind: 'train', datasetId: ev.dataset_id, splitId: ev.split_id, modelId: base.id, config: {} });
    store.runs.finish(ft.id, 'completed', { result: { modelId: tuned.id, modelName: tuned.name } });
    const other = JSON.parse(ev.metrics_json) as { stride: number };
    other.stride += 1;
    const insert = store.db.prepare('INSERT INTO evaluations (run_id, model_id, dataset_id, split_id, metrics_json, created_at) VALUES (?, ?, ?, ?, ?, ?)');
    insert.run(null, base.id, ev.dataset_id, ev.split_id, JSON.stringify(other), new Date().toISOString());
    insert.run(null, tuned.id, ev.dataset_id, ev.split_id, ev.metrics_json, new Date().toISOString());
    store.close();
    const html = readFileSync((await service.invoke('reports.generate', { run: ft.id, unit: 'mg/dL' })).path, 'utf8');
    expect(html).toContain(
      '<strong>The comparison with the base model not available</strong> because the stored evaluation of the base model base-2 scored other windows',
    );
    expect(html).not.toContain('(base model, zero-shot)');
  });

  it('reads architecture facts from the model directory when the store holds only the training mode', async () => {
    const dir = join(tmp.dir, 'models', 'trained-x');
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, 'config.json'), JSON.stringify({ context_length: 512, prediction_length: 96, d_model: 192 }));
    const store = Store.open(join(tmp.dir, 'studio.sqlite'));
    const m = store.models.upsert({ name: 'trained-x', source: 'trained', path: dir, config: { trainingMode: 'fine_tune' } });
    const run = store.runs.create({ kind: 'evaluate', modelId: m.id, config: {} });
    store.close();
    const html = readFileSync((await service.invoke('reports.generate', { run: run.id, dataset: 'golden' })).path, 'utf8');
    expect(html).toContain('Context length (steps)</td><td>512');
    expect(html).toContain('Prediction length (steps)</td><td>96');
    expect(html).toContain('<title>Model report: trained-x, run');
  });

  it('a from-scratch training run (no base model) describes the model it produced', async () => {
    const store = Store.open(join(tmp.dir, 'studio.sqlite'));
    const m = store.models.upsert({ name: 'scratch-1', source: 'trained', path: join(tmp.dir, 'nowhere'), config: { context_length: 64 } });
    const run = store.runs.create({ kind: 'train', config: {} });
    store.runs.finish(run.id, 'completed', { result: { modelId: m.id, modelName: m.name } });
    store.close();
    const html = readFileSync((await service.invoke('reports.generate', { run: run.id, dataset: 'golden' })).path, 'utf8');
    expect(html).toContain('<title>Model report: scratch-1, run');
    expect(html).toContain('Role</td><td>trained from scratch by this run');
    expect(html).toContain('Context length (steps)</td><td>64');
    expect(html).not.toContain('Model provenance not available');
  });

  it('a run with nothing to show yet degrades section by section', async () => {
    const store = Store.open(join(tmp.dir, 'studio.sqlite'));
    const run = store.runs.create({ kind: 'train', config: { note: 'fresh' } });
    store.close();
    const r = await service.invoke('reports.generate', { run: run.id, dataset: 'golden' });
    const html = readFileSync(r.path, 'utf8');
    expect(checkReportHtml(html, MODEL_REPORT_SECTIONS).errors).toEqual([]);
    expect(html).toContain(`<strong>Training curves not available</strong> because run ${run.id} recorded no training metrics yet (status queued).`);
    expect(html).toContain('<strong>Evaluation tables not available</strong> because no evaluation of this run is stored yet;');
    expect(html).toContain('<strong>Error-grid points not available</strong> because no rolling-origin forecasts are stored');
    expect(html).toContain('golden (id '); // --dataset describes the data the run row does not name
  });

  it('examples are ordered best ≤ median ≤ worst and compare only observed targets', () => {
    const store = Store.open(join(tmp.dir, 'studio.sqlite'));
    try {
      const s = sampleForecasts(store, fixture.runId)!;
      expect(s.rows).toBe(fixture.forecastRows);
      expect(s.examples.map((e) => e.label)).toEqual(['best', 'median', 'worst']);
      const [best, med, worst] = s.examples.map((e) => e.rmseMgdl) as [number, number, number];
      expect(best).toBeLessThanOrEqual(med);
      expect(med).toBeLessThanOrEqual(worst);
      for (const e of s.examples) {
        expect(e.forecastMgdl).toHaveLength(24);
        expect(e.actualMgdl).toHaveLength(24);
        // RMSE recomputed over the observed (non-null) actuals of the drawn window.
        const pairs = e.actualMgdl.flatMap((a, h) => (a === null ? [] : [(e.forecastMgdl[h]! - a) ** 2]));
        expect(pairs.length).toBeGreaterThanOrEqual(12);
        expect(Math.sqrt(pairs.reduce((x, y) => x + y, 0) / pairs.length)).toBeCloseTo(e.rmseMgdl, 3);
      }
      expect(s.pairs.totalPairs).toBeLessThanOrEqual(fixture.forecastRows * 24);
      expect(s.pairs.referenceMgdl.length).toBeLessThanOrEqual(MAX_GRID_POINTS);
      expect(s.pairs.referenceMgdl.length).toBe(s.pairs.predictionMgdl.length);
    } finally {
      store.close();
    }
  });

  it('stops when cancelled', async () => {
    const store = Store.open(join(tmp.dir, 'studio.sqlite'));
    try {
      await expect(buildDataReportInput(store, { dataset: 'golden', unit: 'mg/dL', signal: AbortSignal.abort() })).rejects.toMatchObject({ code: 'CANCELLED' });
      await expect(buildModelReportInput(store, { run: fixture.runId, unit: 'mg/dL', signal: AbortSignal.abort() })).rejects.toMatchObject({
        code: 'CANCELLED',
      });
    } finally {
      store.close();
    }
  });

  it('refuses bad requests with actionable errors', async () => {
    await expect(service.invoke('reports.generate', {})).rejects.toMatchObject({ code: 'INVALID_INPUT' });
    await expect(service.invoke('reports.generate', { dataset: 'golden', out: join(tmp.dir, 'x.pdf') })).rejects.toMatchObject({
      code: 'INVALID_INPUT',
      message: expect.stringMatching(/ending in \.html/),
    });
    await expect(service.invoke('reports.generate', { run: 9999 })).rejects.toMatchObject({ code: 'NOT_FOUND' });
    await expect(service.invoke('reports.generate', { dataset: 'golden', patient: 'nobody' })).rejects.toMatchObject({ code: 'NOT_FOUND' });
    await expect(service.invoke('reports.generate', { dataset: 'golden', out: join(tmp.dir, 'out', 'g1.html'), overwrite: false })).rejects.toMatchObject({
      code: 'CONFLICT',
    });
  });
});
