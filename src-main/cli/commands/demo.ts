/**
 * `ttm-studio demo`: the whole pipeline, headless, on the embedded demo recipe, in a few
 * minutes on a laptop: simulate → quality check → hybrid split → zero-shot with the bundled
 * model → short frozen-backbone fine-tune → evaluation beside the baselines → forecasts →
 * HTML reports. Everything goes through the StudioApi, so the data directory it leaves
 * behind opens in the app (and every step can be repeated by hand with the other commands).
 *
 * It works in a fresh data directory under --out unless --data-dir is given, so trying the
 * demo never touches a researcher's own store.
 */
import { existsSync, mkdirSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { Option, type Command } from 'commander';
import type { ApiResponse, QualityReport, ReportResult } from '../../engine/api/contract.js';
import { StudioService } from '../../engine/api/service.js';
import { StudioError } from '../../engine/errors.js';
import { DEFAULT_BUNDLED_MODEL, bundledModelsDir, registerBundledModels } from '../../engine/first-start.js';
import { headlineRows, type EvaluationReport, type HeadlineRow } from '../../engine/forecast/evaluation-report.js';
import { createLogger } from '../../engine/logger.js';
import { dataDirLayout } from '../../engine/paths.js';
import { readDemoRecipe } from '../../engine/sim/demo.js';
import type { GlobalOptions } from '../context.js';
import { createOutput, table, type Output } from '../output.js';
import { intArg } from './train-args.js';

/** The bundled model the demo starts from (models/<this>/, also the default for zero-shot). */
export const DEMO_BASE_MODEL = DEFAULT_BUNDLED_MODEL;

export interface DemoOptions {
  out: string;
  force: boolean;
  threads: number;
  /** Test-size knobs (hidden): a smaller cohort and a shorter fine-tune. */
  patients?: number;
  days?: number;
  maxSteps: number;
  stride: number;
}

/** A row of the demo's comparison table. */
export type DemoRow = HeadlineRow;

export interface DemoResult {
  out: string;
  dataDir: string;
  dataset: string;
  split: string;
  baseModel: string;
  quality: { patients: number; readings: number; errors: number; warnings: number; usableWindows: number };
  runs: { zeroShotEvaluation: number; fineTune: number; fineTunedEvaluation: number; predict: number };
  fineTune: { steps: number | null; initialValidLoss: number | null; bestValidLoss: number | null; modelName: string };
  checkpoint: string;
  tensorboard: string;
  reports: { model: string; data: string };
  evaluationJson: string;
  forecastsCsv: string;
  rows: DemoRow[];
  timings: Record<string, number>;
}

const num = (v: unknown): number | null => (typeof v === 'number' && Number.isFinite(v) ? v : null);

function reportOf(r: ApiResponse<'forecast.evaluate'>, what: string): EvaluationReport {
  const rep = r.result?.report as EvaluationReport | undefined;
  if (r.status === 'cancelled') throw new StudioError('CANCELLED', `The ${what} (run ${r.runId}) was cancelled.`);
  if (r.status !== 'completed' || rep === undefined)
    throw new StudioError('INTERNAL', `The ${what} (run ${r.runId}) ended ${r.status}: ${r.error ?? 'no report'}.`);
  return rep;
}

/** RMSE/MAE at 30 and 60 min per group; `rename` names the TTM's rows, `onlyTtm` keeps only its rows. */
function rowsOf(report: EvaluationReport, rename: string, onlyTtm = false): DemoRow[] {
  return headlineRows(report, { rename, onlyEvaluated: onlyTtm });
}

const MODEL_ORDER = ['TTM zero-shot', 'TTM fine-tuned', 'persistence', 'ridge', 'ar2'];
const modelRank = (m: string): number => (MODEL_ORDER.includes(m) ? MODEL_ORDER.indexOf(m) : MODEL_ORDER.length);
const groupRank = (g: string): number => (g === 'in_distribution' ? 0 : 1);

export function demoTable(rows: readonly DemoRow[]): string {
  // One decimal everywhere (mg/dL), right-aligned by padding: the table helper trims zeros.
  const r1 = (v: number | null): string => (v === null ? '—' : v.toFixed(1)).padStart(7);
  return table(
    ['group', 'model', 'RMSE@30', ' MAE@30', 'RMSE@60', ' MAE@60', 'windows'],
    rows.map((r) => [
      r.group === 'in_distribution' ? 'in-distribution' : 'unseen patients',
      r.model,
      r1(r.rmse30),
      r1(r.mae30),
      r1(r.rmse60),
      r1(r.mae60),
      String(r.windows).padStart(7),
    ]),
  );
}

/** Runs the demo in `dataDir` (created if needed); progress goes to `out` (stderr). */
export async function runDemo(dataDir: string, o: DemoOptions, out: Output): Promise<DemoResult> {
  const outDir = resolve(o.out);
  mkdirSync(outDir, { recursive: true });
  const service = new StudioService({ dataDir, logger: createLogger({ logsDir: dataDirLayout(dataDir).logs }) });
  // Worker runs are not operations: remember the active one so Ctrl+C can stop it too.
  let activeRun: number | null = null;
  const unsubscribe = service.subscribe((e) => {
    if (e.type === 'run') activeRun = e.status === 'running' ? e.runId : null;
    out.progress(e);
  });
  let cancelled = false;
  const onSigint = (): void => {
    out.info('\nCancelling… (press Ctrl+C again to force quit)');
    cancelled = true;
    service.operations.cancelAll(new Error('Cancelled from the terminal (Ctrl+C).'));
    if (activeRun !== null) service.training.cancel(activeRun);
    process.removeListener('SIGINT', onSigint);
  };
  process.on('SIGINT', onSigint);
  const timings: Record<string, number> = {};
  const t0 = performance.now();
  let tStage = t0;
  let stageNo = 0;
  const STAGES = 7;
  const stage = (label: string): void => {
    if (cancelled) throw new StudioError('CANCELLED', 'The demo was cancelled.');
    out.endProgress();
    out.info(`[${++stageNo}/${STAGES}] ${label}`);
  };
  const done = (key: string): void => {
    const now = performance.now();
    timings[key] = Math.round(now - tStage) / 1000;
    tStage = now;
  };
  try {
    // The bundled model: registered like the app does at every start.
    const bundled = registerBundledModels(service.store);
    if (!bundled.includes(DEMO_BASE_MODEL)) {
      throw new StudioError(
        'NOT_FOUND',
        `The bundled model ${DEMO_BASE_MODEL} is missing from ${bundledModelsDir() ?? 'models/'}; reinstall TTM Studio or run \`npm run model:train-bundled\` in the project folder.`,
      );
    }

    stage('Simulating the demo cohort');
    const recipe = readDemoRecipe();
    let datasetName: string;
    if (o.patients === undefined && o.days === undefined) {
      const res = await service.invoke('datasets.ensureDemo', {});
      datasetName = res.dataset.name;
    } else {
      // A reduced cohort (tests): the demo recipe's seed and start, fewer patients or days.
      const patients = o.patients ?? recipe.settings.patients;
      const days = o.days ?? recipe.settings.days;
      datasetName = `${recipe.name} ${patients}p ${days}d`;
      if (service.store.datasets.list().every((d) => d.name !== datasetName)) {
        await service.invoke('datasets.simulate', { name: datasetName, patients, days, seed: recipe.settings.seed, start: recipe.settings.start });
      }
    }
    done('simulate');

    stage('Checking data quality');
    const q: QualityReport = await service.invoke('quality.check', { dataset: datasetName });
    out.info(
      `      ${q.summary.patients} patients, ${q.summary.readings.toLocaleString('en-US')} readings, ${q.summary.errors} errors, ${q.summary.warnings} warnings, ${q.summary.usableWindows.toLocaleString('en-US')} usable windows`,
    );
    done('quality');

    stage('Splitting (hybrid: unseen patients + the last 20 % of the others)');
    // About one patient in six held out entirely (2 of the 12 demo patients); of the others
    // the last 20 % of their time is test and the 10 % before it validation.
    const split = await service.invoke('splits.create', {
      dataset: datasetName,
      name: 'demo-hybrid',
      spec: { kind: 'hybrid', testFraction: 0.2, valFraction: 0.1, holdoutFraction: 0.17, seed: 1 },
    });
    done('split');

    stage(`Zero-shot evaluation of the bundled model (${DEMO_BASE_MODEL})`);
    const zs = await service.invoke('forecast.evaluate', { model: DEMO_BASE_MODEL, dataset: datasetName, split: split.name, stride: o.stride });
    const zsReport = reportOf(zs, 'zero-shot evaluation');
    done('zeroShot');

    stage(`Fine-tuning the decoder and head (frozen backbone; at most ${o.maxSteps} steps)`);
    const ftName = 'demo-fine-tuned';
    const ft = await service.invoke('train.start', {
      dataset: datasetName,
      split: split.name,
      model: DEMO_BASE_MODEL,
      name: ftName,
      wait: true,
      config: {
        trainingMode: 'fine_tune',
        freezeBackbone: true,
        batchSize: 64,
        // The bundled model was trained on the same simulator: a gentle rate adapts the head
        // to this cohort without undoing it (1e-3 raised the validation loss here).
        learningRate: 1e-4,
        // The step budget (maxSteps, which caps epochs × steps per epoch) sets the length and
        // the one-cycle schedule; epochs only mark validation points (one per pass over the
        // thinned windows), so allow more than the budget needs.
        numEpochs: 100,
        earlyStoppingPatience: 3,
        seed: 5,
        threads: o.threads,
      },
      // Overlapping windows thinned by 3: the head sees the whole cohort within the step budget.
      options: { schedule: 'one-cycle', trainStride: 3, maxSteps: o.maxSteps },
    });
    if (ft.status === 'cancelled') throw new StudioError('CANCELLED', `The demo was cancelled during fine-tuning (run ${ft.runId}).`);
    if (ft.status !== 'completed') throw new StudioError('INTERNAL', `Fine-tuning (run ${ft.runId}) ended ${ft.status}: ${ft.error ?? ''}`);
    const ftResult = ft.result ?? {};
    const modelName = typeof ftResult.modelName === 'string' ? ftResult.modelName : ftName;
    done('fineTune');

    stage('Evaluating the fine-tuned model beside persistence, ridge and log-AR2');
    const ev = await service.invoke('forecast.evaluate', { model: modelName, dataset: datasetName, split: split.name, stride: o.stride });
    const ftReport = reportOf(ev, 'evaluation of the fine-tuned model');
    const forecastsCsv = join(outDir, 'forecasts.csv');
    const pr = await service.invoke('forecast.predict', { model: modelName, dataset: datasetName, split: split.name, every: 12, out: forecastsCsv });
    if (pr.status !== 'completed') throw new StudioError('INTERNAL', `Forecasting (run ${pr.runId}) ended ${pr.status}: ${pr.error ?? ''}`);
    done('evaluate');

    stage('Writing the reports');
    const modelReport: ReportResult = await service.invoke('reports.generate', { run: ft.runId, out: join(outDir, 'model-report.html') });
    const dataReport: ReportResult = await service.invoke('reports.generate', { dataset: datasetName, out: join(outDir, 'data-report.html') });
    done('reports');

    const rows = [...rowsOf(zsReport, 'TTM zero-shot'), ...rowsOf(ftReport, 'TTM fine-tuned', true)].sort(
      (a, b) => groupRank(a.group) - groupRank(b.group) || modelRank(a.model) - modelRank(b.model),
    );
    const detail = await service.invoke('runs.get', { run: ft.runId });
    const runDir = detail.outputDir ?? join(dataDirLayout(dataDir).runs, String(ft.runId));
    const evaluationJson = join(outDir, 'evaluation.json');
    const result: DemoResult = {
      out: outDir,
      dataDir,
      dataset: datasetName,
      split: split.name,
      baseModel: DEMO_BASE_MODEL,
      quality: {
        patients: q.summary.patients,
        readings: q.summary.readings,
        errors: q.summary.errors,
        warnings: q.summary.warnings,
        usableWindows: q.summary.usableWindows,
      },
      runs: { zeroShotEvaluation: zs.runId, fineTune: ft.runId, fineTunedEvaluation: ev.runId, predict: pr.runId },
      fineTune: { steps: num(ftResult.steps), initialValidLoss: num(ftResult.initialValidLoss), bestValidLoss: num(ftResult.bestValidLoss), modelName },
      checkpoint: String(ftResult.modelDir ?? join(runDir, 'checkpoints')),
      tensorboard: join(runDir, 'logs'),
      reports: { model: modelReport.path, data: dataReport.path },
      evaluationJson,
      forecastsCsv,
      rows,
      timings: { ...timings, total: Math.round(performance.now() - t0) / 1000 },
    };
    // The full reports (every metric, per horizon) for scripts; the table above is a summary.
    writeFileSync(evaluationJson, `${JSON.stringify({ demo: result, zeroShot: zsReport, fineTuned: ftReport }, null, 2)}\n`);
    return result;
  } finally {
    process.removeListener('SIGINT', onSigint);
    out.endProgress();
    unsubscribe();
    service.close();
  }
}

export function humanDemo(r: DemoResult): string {
  const loss = (v: number | null): string => (v === null ? '—' : v.toFixed(4));
  return [
    `Demo finished in ${r.timings.total?.toFixed(0) ?? '?'} s.`,
    '',
    `  data directory     ${r.dataDir}`,
    `  dataset / split    ${r.dataset} / ${r.split} (hybrid)`,
    `  quality            ${r.quality.patients} patients, ${r.quality.readings.toLocaleString('en-US')} readings, ${r.quality.errors} errors, ${r.quality.warnings} warnings`,
    `  base model         ${r.baseModel} (bundled; simulated-data TTM, not for clinical use)`,
    `  runs               zero-shot evaluation ${r.runs.zeroShotEvaluation}, fine-tune ${r.runs.fineTune}, evaluation ${r.runs.fineTunedEvaluation}, forecasts ${r.runs.predict}`,
    `  fine-tune          ${r.fineTune.steps ?? '?'} steps, validation loss ${loss(r.fineTune.initialValidLoss)} → ${loss(r.fineTune.bestValidLoss)}; model "${r.fineTune.modelName}"`,
    `  checkpoint         ${r.checkpoint}`,
    `  TensorBoard        tensorboard --logdir ${r.tensorboard}`,
    `  model report       ${r.reports.model}`,
    `  data report        ${r.reports.data}`,
    `  evaluation (JSON)  ${r.evaluationJson}`,
    `  forecasts (CSV)    ${r.forecastsCsv}`,
    '',
    'Test windows, mg/dL (RMSE and MAE at 30 and 60 minutes):',
    demoTable(r.rows),
    '',
    `Open it in the app: ttm-studio --data-dir ${r.dataDir} serve   (or the desktop app with this data directory)`,
  ].join('\n');
}

export function register(program: Command): void {
  program
    .command('demo')
    .description(
      'Run the whole pipeline on the demo cohort in a few minutes: simulate, check, split, zero-shot with the bundled model, fine-tune, evaluate against baselines, HTML reports',
    )
    .option('--out <dir>', 'folder for the reports, evaluation JSON, forecasts and (without --data-dir) the data directory', './ttm-studio-demo')
    .option('--force', 'replace the data directory a previous demo left in --out')
    .option('--threads <n>', 'onnxruntime threads', intArg('--threads'), 2)
    // Test-size knobs: a smaller cohort and a shorter fine-tune (not part of the documented demo).
    .addOption(new Option('--patients <n>').argParser(intArg('--patients')).hideHelp())
    .addOption(new Option('--days <n>').argParser(intArg('--days')).hideHelp())
    .addOption(new Option('--max-steps <n>').argParser(intArg('--max-steps')).default(600).hideHelp())
    .addOption(new Option('--stride <k>').argParser(intArg('--stride')).default(3).hideHelp())
    .addHelpText(
      'after',
      '\nThe data directory is <out>/data unless the global --data-dir is given.\n\nExamples:\n  ttm-studio demo\n  ttm-studio demo --out /tmp/demo --force\n  ttm-studio --data-dir ~/studio demo --out ~/demo-reports',
    )
    .action(async (opts: DemoOptions & { force?: boolean }, command: Command) => {
      const globals = command.optsWithGlobals<GlobalOptions>();
      const output = createOutput(globals.json === true);
      const outDir = resolve(opts.out);
      // Only the explicit flag picks the data directory: the demo must not fill the app's own
      // store (TTM_STUDIO_DATA_DIR / the default) with demo runs by accident.
      let dataDir: string;
      if (globals.dataDir !== undefined) {
        dataDir = resolve(globals.dataDir);
      } else {
        dataDir = join(outDir, 'data');
        if (existsSync(dataDir) && readdirSync(dataDir).length > 0) {
          if (opts.force !== true) throw new StudioError('CONFLICT', `${dataDir} holds a previous demo; pass --force to replace it, or choose another --out.`);
          rmSync(dataDir, { recursive: true, force: true });
        }
      }
      const result = await runDemo(dataDir, { ...opts, force: opts.force === true }, output);
      output.result(result, () => humanDemo(result));
    });
}
