/**
 * Accuracy benchmark (`npm run bench -- accuracy`): what a researcher would run, through the
 * StudioApi (training and scoring in worker processes), on
 *   1. the simulated demo cohort (12 patients × 30 days, resources/demo-cohort.json), hybrid
 *      split: zero-shot TTM, frozen-backbone fine-tuned TTM, persistence, ridge, log-AR2;
 *   2. the real D1NAMO sample (Glucose-ML CSVs, ../shared/fixtures/formats/d1namo-glucose-ml),
 *      patient-holdout split: the same five forecasters on unseen patients.
 *
 * No pretrained IBM weights are available offline, so the "pretrained" base is a TTM trained
 * from scratch here on a separate simulated cohort (24 patients × 30 days, another seed) —
 * a stand-in for the bundled model, and saved as a bare HF directory (config.json +
 * model.safetensors) so zero-shot uses it exactly as it would a hub model. Context 96 steps
 * (8 h), horizon 24 steps (2 h) at 5 min.
 */
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ApiResponse } from '../../src-main/engine/api/contract.js';
import { StudioService } from '../../src-main/engine/api/service.js';
import type { EvaluationReport } from '../../src-main/engine/forecast/evaluation-report.js';
import { createLogger } from '../../src-main/engine/logger.js';
import type { BenchRow, BenchSection } from '../harness.js';

const D1NAMO = new URL('../../../../shared/fixtures/formats/d1namo-glucose-ml/', import.meta.url).pathname;

function reportOf(r: ApiResponse<'forecast.evaluate'>): EvaluationReport {
  const rep = r.result?.report as EvaluationReport | undefined;
  if (rep === undefined) throw new Error(`evaluation run ${r.runId} ended ${r.status}: ${r.error ?? ''}`);
  return rep;
}

export const accuracyBench: BenchSection = async (ctx) => {
  const dir = mkdtempSync(join(tmpdir(), 'ttm-bench-accuracy-'));
  const service = new StudioService({ dataDir: dir, logger: createLogger({ logsDir: join(dir, 'logs') }) });
  const rows: BenchRow[] = [];
  const epochs = ctx.quick ? 1 : 3;
  const t0 = performance.now();
  const add = (dataset: string, group: string, model: string, minutes: number, metric: string, value: number | null, note: string): void => {
    if (value === null) return;
    rows.push({ section: 'accuracy', name: `${dataset} ${group} ${model} ${metric}@${minutes}`, value, unit: 'mg/dL', spread: 0, repeats: 1, note });
  };
  const summary: string[] = [];
  /** Adds RMSE/MAE at 30 and 60 min of each (group, model); `only` limits the models (baselines once). */
  const record = (dataset: string, report: EvaluationReport, rename: Record<string, string>, note: string, only?: readonly string[]): void => {
    for (const g of report.groups) {
      for (const m of g.models) {
        if (only !== undefined && !only.includes(m.model)) continue;
        const name = rename[m.model] ?? m.model;
        const at = (min: number) => m.at.find((x) => x.minutes === min);
        const f = (v: number | null | undefined): string => (v === null || v === undefined ? '—' : v.toFixed(1).padStart(5));
        summary.push(
          `${dataset.padEnd(12)} ${g.group.padEnd(16)} ${name.padEnd(15)} RMSE@30 ${f(at(30)?.rmseMgdl)}  MAE@30 ${f(at(30)?.maeMgdl)}  RMSE@60 ${f(at(60)?.rmseMgdl)}  MAE@60 ${f(at(60)?.maeMgdl)}  (${g.windows} windows)`,
        );
        for (const min of [30, 60]) {
          add(dataset, g.group, name, min, 'RMSE', at(min)?.rmseMgdl ?? null, `${g.windows} windows; ${note}`);
          add(dataset, g.group, name, min, 'MAE', at(min)?.maeMgdl ?? null, `${g.windows} windows; ${note}`);
        }
      }
    }
  };
  try {
    // 1. Base model: from scratch on a pretraining cohort disjoint from the demo cohort.
    await service.invoke('datasets.simulate', { name: 'pretrain', patients: ctx.quick ? 8 : 24, days: 30, seed: 101 });
    await service.invoke('splits.create', { dataset: 'pretrain', name: 'p', spec: { kind: 'temporal', testFraction: 0.05, valFraction: 0.1 } });
    const pre = await service.invoke('train.start', {
      dataset: 'pretrain',
      split: 'p',
      name: 'sim-pretrained',
      wait: true,
      config: {
        trainingMode: 'from_scratch',
        freezeBackbone: false,
        contextLength: 96,
        forecastLength: 24,
        batchSize: 128,
        learningRate: 2e-3,
        numEpochs: epochs,
        earlyStoppingPatience: 0,
        seed: 11,
        threads: 2,
      },
      options: { schedule: 'one-cycle', trainStride: 3, maxTrainWindows: ctx.quick ? 8000 : 40_000, maxValWindows: 1024, evalStride: 6 },
    });
    if (pre.status !== 'completed') throw new Error(`pretraining ended ${pre.status}: ${pre.error ?? ''}`);
    ctx.log(`accuracy: pretrained from scratch in ${((performance.now() - t0) / 1000).toFixed(0)} s (best val loss ${String(pre.result?.bestValidLoss)})`);
    // A bare HF directory, as the bundled model will be: zero-shot fits its scaler on each study's training part.
    const baseDir = join(dir, 'models', 'sim-pretrained-hf');
    mkdirSync(baseDir, { recursive: true });
    for (const f of ['config.json', 'model.safetensors']) copyFileSync(join(String(pre.result?.modelDir), f), join(baseDir, f));
    await service.invoke('models.import', { path: baseDir, name: 'base' });

    const study = async (dataset: string, split: string, note: string): Promise<void> => {
      const zs = await service.invoke('forecast.evaluate', { model: 'base', dataset, split, stride: 3 });
      const ft = await service.invoke('train.start', {
        dataset,
        split,
        model: 'base',
        name: `${dataset}-ft`,
        wait: true,
        config: {
          trainingMode: 'fine_tune',
          freezeBackbone: true,
          batchSize: 64,
          learningRate: 1e-3,
          numEpochs: epochs,
          earlyStoppingPatience: 3,
          seed: 5,
          threads: 2,
        },
        options: { schedule: 'one-cycle', trainStride: 2, evalStride: 3 },
      });
      if (ft.status !== 'completed') throw new Error(`fine-tuning on ${dataset} ended ${ft.status}: ${ft.error ?? ''}`);
      const before = Number(ft.result?.initialValidLoss);
      const after = Number(ft.result?.bestValidLoss);
      ctx.log(`accuracy: ${dataset} fine-tuning (frozen backbone): validation loss ${before.toFixed(4)} → ${after.toFixed(4)} (scaled units)`);
      rows.push({
        section: 'accuracy',
        name: `${dataset} fine-tune val loss before→after`,
        value: after - before,
        unit: 'Δ scaled MSE',
        spread: 0,
        repeats: 1,
        note: `${before.toFixed(4)} → ${after.toFixed(4)}`,
      });
      const ev = await service.invoke('forecast.evaluate', { model: `${dataset}-ft`, dataset, split, stride: 3 });
      record(dataset, reportOf(zs), {}, note);
      record(dataset, reportOf(ev), { ttm: 'ttm-fine-tuned' }, note, ['ttm']);
      ctx.log(`accuracy: ${dataset} done (${((performance.now() - t0) / 1000).toFixed(0)} s)`);
    };

    // 2. Demo cohort, hybrid split.
    await service.invoke('datasets.ensureDemo', {});
    const demo = service.store.datasets.list().find((d) => d.source === 'demo')!;
    await service.invoke('splits.create', {
      dataset: demo.id,
      name: 'h',
      spec: { kind: 'hybrid', testFraction: 0.2, valFraction: 0.1, holdoutFraction: 0.17, seed: 1 },
    });
    await study(demo.name, 'h', 'demo cohort, hybrid split');

    // 3. D1NAMO (real data), patient holdout.
    if (existsSync(D1NAMO)) {
      // One CSV per patient; metadata.csv describes the cohort and is not a glucose file.
      const files = readdirSync(D1NAMO)
        .filter((f) => /^\d+\.csv$/.test(f))
        .map((f) => join(D1NAMO, f));
      await service.invoke('datasets.import', { paths: files, dataset: 'd1namo', create: true, format: 'glucose-ml' });
      await service.invoke('splits.create', {
        dataset: 'd1namo',
        name: 'ph',
        spec: { kind: 'patient_holdout', holdoutFraction: 0.25, valFraction: 0.2, seed: 3 },
      });
      await study('d1namo', 'ph', 'D1NAMO Glucose-ML sample, patient holdout');
    } else {
      ctx.log(`accuracy: D1NAMO sample not found at ${D1NAMO}; skipped`);
    }
    ctx.log(`accuracy: summary (mg/dL, test windows every 3rd origin)\n${summary.join('\n')}`);
    return rows;
  } finally {
    service.close();
    rmSync(dir, { recursive: true, force: true });
  }
};
