/**
 * Accuracy benchmark (`npm run bench -- accuracy`): the default bundled model on open real
 * type-1 CGM (../shared/fixtures/cgm-open, protocol in scripts/models/cgm-open.ts), through the
 * StudioApi as a researcher would run it, every row beside persistence, ridge and log-AR2 on
 * the same windows:
 *
 *   1. held-out people: the five BrisT1D-Open people the model never trained on, zero-shot;
 *   2. leave-cohort-out: HUPA-UCM and D1NAMO (never trained on), zero-shot, test part of a
 *      temporal split (HUPA-UCM 80/10/10, D1NAMO 40/10/50; ridge fitted on the first part);
 *   3. fine-tuning on a new cohort: HUPA-UCM, zero-shot vs the app's default fine-tune
 *      (TTMConfig defaults: frozen backbone, early stopping, best checkpoint by validation).
 *
 * A benchmark, never a test: nothing here asserts accuracy. `--quick` scores every 24th window
 * and caps the fine-tune at 60 steps, so CI can run it in about a minute.
 */
import { cpus } from 'node:os';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { StudioService } from '../../src-main/engine/api/service.js';
import { DEFAULT_BUNDLED_MODEL, registerBundledModels } from '../../src-main/engine/first-start.js';
import { createLogger } from '../../src-main/engine/logger.js';
import { accuracyRows, accuracyTable, ensureCohort, ratios, reportOf, type AccuracyRow } from '../../scripts/models/cgm-open.js';
import type { BenchRow, BenchSection } from '../harness.js';

export const accuracyBench: BenchSection = async (ctx) => {
  const dir = mkdtempSync(join(tmpdir(), 'ttm-bench-accuracy-'));
  const service = new StudioService({ dataDir: dir, logger: createLogger({ logsDir: join(dir, 'logs') }) });
  const stride = ctx.quick ? 24 : 3;
  const t0 = performance.now();
  const out: BenchRow[] = [];
  const all: AccuracyRow[] = [];
  const model = DEFAULT_BUNDLED_MODEL;
  try {
    registerBundledModels(service.store);
    const add = (rows: AccuracyRow[]): void => {
      all.push(...rows);
      for (const r of rows) {
        for (const [key, label] of [
          ['rmse30', 'RMSE@30'],
          ['rmse60', 'RMSE@60'],
          ['rmse120', 'RMSE@120'],
          ['mae30', 'MAE@30'],
          ['mae60', 'MAE@60'],
        ] as const) {
          const v = r[key];
          if (v !== null)
            out.push({
              section: 'accuracy',
              name: `${r.row} · ${r.model} ${label}`,
              value: v,
              unit: 'mg/dL',
              spread: 0,
              repeats: 1,
              note: `${r.windows} windows`,
            });
        }
        if (r.clarkeAB30 !== null)
          out.push({ section: 'accuracy', name: `${r.row} · ${r.model} Clarke A+B@30`, value: r.clarkeAB30, unit: '%', spread: 0, repeats: 1 });
        if (r.hypoMcc30 !== null)
          out.push({ section: 'accuracy', name: `${r.row} · ${r.model} hypo MCC@30`, value: r.hypoMcc30, unit: '', spread: 0, repeats: 1 });
      }
      const q = ratios(rows, rows[0]?.model ?? '');
      const row = rows[0]?.row ?? '';
      if (q.best60 !== null)
        out.push({ section: 'accuracy', name: `${row} · TTM RMSE@60 / best baseline`, value: q.best60, unit: '×', spread: 0, repeats: 1, note: q.best60Name });
      if (q.persistence60 !== null)
        out.push({ section: 'accuracy', name: `${row} · TTM RMSE@60 / persistence`, value: q.persistence60, unit: '×', spread: 0, repeats: 1 });
    };

    if (await ensureCohort(service, 'bris')) {
      const rep = reportOf(await service.invoke('forecast.evaluate', { model, dataset: 'bris', split: 'main', stride }));
      add(accuracyRows('held-out people (BrisT1D-Open)', rep, 'unseen_patients', 'ttm zero-shot'));
    } else ctx.log('accuracy: BrisT1D-Open not found under ../shared/fixtures/cgm-open; held-out-people row skipped');
    if (await ensureCohort(service, 'd1namo')) {
      const rep = reportOf(await service.invoke('forecast.evaluate', { model, dataset: 'd1namo', split: 'temporal', stride }));
      add(accuracyRows('leave-cohort-out D1NAMO', rep, 'in_distribution', 'ttm zero-shot'));
    }
    let samplesPerSecond: number | null = null;
    if (await ensureCohort(service, 'hupa')) {
      const zs = reportOf(await service.invoke('forecast.evaluate', { model, dataset: 'hupa', split: 'temporal', stride }));
      const t = performance.now();
      const ft = await service.invoke('train.start', {
        dataset: 'hupa',
        split: 'temporal',
        model,
        name: 'hupa-fine-tuned',
        wait: true,
        config: { threads: 2 },
        options: ctx.quick ? { maxSteps: 60 } : {},
      });
      if (ft.status !== 'completed') throw new Error(`fine-tuning on HUPA-UCM ended ${ft.status}: ${ft.error ?? ''}`);
      samplesPerSecond = Number(ft.result?.samplesPerSecond);
      ctx.log(
        `accuracy: HUPA-UCM default fine-tune: ${String(ft.result?.steps)} steps in ${((performance.now() - t) / 1000).toFixed(0)} s, validation loss ${Number(ft.result?.initialValidLoss).toFixed(4)} → ${Number(ft.result?.bestValidLoss).toFixed(4)} (best step ${String(ft.result?.bestStep)})`,
      );
      const ev = reportOf(await service.invoke('forecast.evaluate', { model: 'hupa-fine-tuned', dataset: 'hupa', split: 'temporal', stride }));
      add(accuracyRows('leave-cohort-out HUPA-UCM', zs, 'in_distribution', 'ttm zero-shot'));
      add(accuracyRows('HUPA-UCM fine-tuned', ev, 'in_distribution', 'ttm fine-tuned (app default)'));
    }
    const wallS = (performance.now() - t0) / 1000;
    ctx.log(
      `accuracy: ${model}, test windows every ${stride} origin(s), mg/dL; ${cpus().length} × ${cpus()[0]?.model ?? 'CPU'}; wall ${wallS.toFixed(0)} s; fine-tune ${samplesPerSecond === null ? '—' : samplesPerSecond.toFixed(0)} samples/s\n${accuracyTable(all)}`,
    );
    out.push({
      section: 'accuracy',
      name: 'accuracy section wall time',
      value: wallS,
      unit: 's',
      spread: 0,
      repeats: 1,
      note: `${cpus().length} × ${cpus()[0]?.model ?? 'CPU'}`,
    });
    if (samplesPerSecond !== null)
      out.push({ section: 'accuracy', name: 'HUPA-UCM fine-tune training rate', value: samplesPerSecond, unit: 'samples/s', spread: 0, repeats: 1 });
    return out;
  } finally {
    service.close();
    rmSync(dir, { recursive: true, force: true });
  }
};
