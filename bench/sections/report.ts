/**
 * Report generation time: the data report of a simulated cohort and the model report of a
 * run whose evaluation and forecasts were produced by the real evaluation code (baselines
 * plus a ridge stand-in for the model under test, so no ONNX session is needed), plus the
 * PDF print when Chromium is installed. `seedReportFixture` is shared with the report tests.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createSplit } from '../../src-main/engine/data/splits.js';
import { prepareData } from '../../src-main/engine/data/prepared-data.js';
import { baselineModels, evaluateModels } from '../../src-main/engine/forecast/evaluate.js';
import { rollingForecasts, storeForecasts } from '../../src-main/engine/forecast/predict.js';
import { fitRidgeOnSplit, ridgeWindowModel, type WindowModel } from '../../src-main/engine/forecast/window-models.js';
import { generateReport } from '../../src-main/engine/report/generate.js';
import { findChromium, renderPdf } from '../../src-main/engine/report/pdf.js';
import { simulateIntoStore } from '../../src-main/engine/sim/output.js';
import { SimulationSettingsSchema } from '../../src-main/engine/sim/settings.js';
import { SplitSpecSchema } from '../../src-main/engine/api/contract.js';
import { Store } from '../../src-main/engine/store/index.js';
import { median, spreadOf, timeRepeats, type BenchRow, type BenchSection } from '../harness.js';

export interface ReportFixture {
  datasetName: string;
  runId: number;
  modelId: number;
  evaluationWindows: number;
  forecastRows: number;
}

/**
 * A dataset, a hybrid split, a registered model and a completed train run carrying curves, a
 * stored evaluation (forecast/evaluate.ts) and stored rolling forecasts (forecast/predict.ts).
 */
export async function seedReportFixture(store: Store, o: { name?: string; patients?: number; days?: number; seed?: number } = {}): Promise<ReportFixture> {
  const name = o.name ?? 'report-fixture';
  const settings = SimulationSettingsSchema.parse({ patients: o.patients ?? 4, days: o.days ?? 14, seed: o.seed ?? 3 });
  const dataset = await simulateIntoStore(store, settings, { name });
  const patients = store.patients.list(dataset.id).map((p) => p.externalId);
  const split = createSplit(
    store,
    dataset.id,
    'main',
    SplitSpecSchema.parse({ kind: 'hybrid', testFraction: 0.25, valFraction: 0.15, holdoutPatients: [patients[patients.length - 1]!] }),
  );
  const contextLength = 48;
  const forecastLength = 24;
  const model = store.models.upsert({
    name: `${name}-model`,
    source: 'trained',
    path: '/nonexistent/checkpoints/best',
    config: {
      context_length: contextLength,
      prediction_length: forecastLength,
      num_input_channels: 1,
      patch_length: 8,
      d_model: 16,
      num_layers: 2,
      mode: 'common_channel',
    },
  });
  const run = store.runs.create({
    kind: 'train',
    datasetId: dataset.id,
    splitId: split.id,
    modelId: model.id,
    seed: 42,
    device: 'cpu',
    config: {
      config: { contextLength, forecastLength, learningRate: 0.001, batchSize: 64, trainingMode: 'fine_tune' },
      options: { schedule: 'one-cycle' },
    },
  });
  store.runs.markRunning(run.id, null, 'cpu');
  // Curves shaped like a fine-tune: decaying training loss, a validation loss with a minimum.
  const steps = 120;
  const points = [];
  for (let s = 1; s <= steps; s++) {
    const t = Date.UTC(2024, 0, 1) + s * 1000;
    points.push({ step: s, epoch: s / 40, name: 'train/loss', value: 0.5 * Math.exp(-s / 40) + 0.12 + 0.02 * Math.sin(s), ts: t });
    points.push({ step: s, epoch: s / 40, name: 'train/learning_rate', value: 1e-3 * Math.sin((Math.PI * s) / steps) + 4e-5, ts: t });
    if (s % 20 === 0) points.push({ step: s, epoch: s / 40, name: 'eval/loss', value: 0.2 + 0.25 * Math.exp(-s / 30) + 0.0004 * s, ts: t });
  }
  store.runs.addMetrics(run.id, points);
  store.runs.finish(run.id, 'completed', { result: { modelId: model.id, modelName: model.name, samplesPerSecond: 812, steps } });

  const data = prepareData({ dataset: dataset.id, split: split.id }, { store });
  const geometry = { contextLength, forecastLength };
  const notes: string[] = [];
  const mut: WindowModel = { ...ridgeWindowModel(fitRidgeOnSplit(data, geometry, { lags: 24 }).model), name: `${name}-model` };
  const report = await evaluateModels(data, [mut, ...baselineModels(data, geometry, notes)], { ...geometry, stride: 3 });
  report.notes.push(...notes);
  store.db
    .prepare('INSERT INTO evaluations (run_id, model_id, dataset_id, split_id, metrics_json, created_at) VALUES (?, ?, ?, ?, ?, ?)')
    .run(run.id, model.id, dataset.id, split.id, JSON.stringify(report), new Date().toISOString());
  const forecasts = await rollingForecasts(mut, data, { contextLength, forecastLength, every: 6 });
  const forecastRows = storeForecasts(store, run.id, data, forecasts, contextLength);
  return { datasetName: name, runId: run.id, modelId: model.id, evaluationWindows: report.groups.reduce((a, g) => a + g.windows, 0), forecastRows };
}

export const reportBench: BenchSection = async (ctx) => {
  const dir = mkdtempSync(join(tmpdir(), 'ttm-bench-report-'));
  const rows: BenchRow[] = [];
  try {
    const store = Store.open(join(dir, 'studio.sqlite'));
    const patients = ctx.quick ? 4 : 12;
    const days = ctx.quick ? 14 : 30;
    const fx = await seedReportFixture(store, { patients, days });
    ctx.log(`report: fixture ready (${patients} patients × ${days} days, ${fx.forecastRows} stored forecasts)`);
    const repeats = ctx.quick ? 3 : 5;
    const row = (name: string, d: number[], note: string): BenchRow => ({
      section: 'report',
      name,
      value: median(d),
      unit: 'ms',
      spread: spreadOf(d),
      repeats: d.length,
      note,
    });
    let bytes = 0;
    const dataMs = await timeRepeats(async () => {
      bytes = (await generateReport(store, { kind: 'data', dataset: fx.datasetName, unit: 'mg/dL' }, join(dir, 'data.html'))).bytes;
    }, repeats);
    rows.push(row('data report (HTML)', dataMs, `${patients} patients × ${days} d, ${Math.round(bytes / 1024)} kB`));
    const modelMs = await timeRepeats(async () => {
      bytes = (await generateReport(store, { kind: 'model', run: fx.runId, unit: 'mg/dL' }, join(dir, 'model.html'))).bytes;
    }, repeats);
    rows.push(row('model report (HTML)', modelMs, `${fx.evaluationWindows} evaluation windows, ${fx.forecastRows} forecasts, ${Math.round(bytes / 1024)} kB`));
    let chromium: string | null = null;
    try {
      chromium = findChromium();
    } catch {
      ctx.log('report: no Chromium, PDF timing skipped');
    }
    if (chromium !== null) {
      const pdfMs = await timeRepeats(() => renderPdf(join(dir, 'model.html'), join(dir, 'model.pdf'), { chromiumPath: chromium }), ctx.quick ? 1 : 3, 0);
      rows.push(row('model report PDF (Chromium)', pdfMs, 'headless print of the HTML above, process start included'));
    }
    store.close();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  return rows;
};
