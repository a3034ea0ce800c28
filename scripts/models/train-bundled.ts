/**
 * Trains the default bundled model on open real type-1 CGM (`npm run model:train-bundled`).
 *
 * The TTM r2 512-96 architecture (granite-tsfm config keys, 805k parameters) trained from a
 * seeded random initialisation with the app's own trainer, through the StudioApi (the same
 * worker processes, loop and evaluation the app uses), on the 15 BrisT1D-Open training people
 * of the protocol in cgm-open.ts (beside this script). Recipe choices are made on the validation part of
 * those 15 people (`--select-only` trains and scores there, writing nothing); the held-out
 * people and the left-out cohorts (HUPA-UCM, D1NAMO) are scored once, for the card.
 *
 * Reproducible: seeds fix the initialisation, the window subsample, the batch order and the
 * schedule; the data files are hashed into training-summary.json.
 */
import { createHash } from 'node:crypto';
import { cpSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { saveCheckpoint } from '../../src-main/engine/ttm/checkpoint.js';
import { r2TtmConfig } from '../../src-main/engine/ttm/adapt.js';
import { initializeTtmWeights } from '../../src-main/engine/ttm/init.js';
import { accuracyRows, accuracyTable, COHORTS, cohortFiles, ensureCohort, HELD_OUT_PEOPLE, reportOf, type AccuracyRow } from './cgm-open.js';
import { replaceDirectory } from '../../src-main/engine/util/atomic-write.js';
import { prettifyModelDir, repoRoot, scriptService } from './support.js';

/** The recipe. Every number that shapes the model is here and in training-summary.json. */
export const REAL_RECIPE = {
  modelName: 'ttm-glucose-r2-512-96',
  initSeed: 4242,
  trainSeed: 17,
  batchSize: 64,
  learningRate: 1e-3,
  /** Distinct training windows drawn (steps × batch), then passes over them. */
  steps: 6000,
  epochs: 1,
  /** Loss weighs the first 2 h fully (the clinically judged range), the rest of the 8 h at this weight. */
  lossHorizonSteps: 24 as number | null,
  lossTailWeight: 0.1,
  windowScaling: 'std' as 'std' | 'mean' | 'none',
  weightDecay: 0.01,
  validateEverySteps: 250,
  maxValWindows: 2048,
  evalStride: 6,
  /** Every k-th window origin is scored (validation and test). */
  scoreStride: 3,
};
export type RealRecipe = typeof REAL_RECIPE;

const log = (msg: string): void => {
  process.stderr.write(`[train-bundled ${new Date().toISOString().slice(11, 19)}] ${msg}\n`);
};

/** SHA-256 over the cohort's files (names and bytes), so the card pins the data it was trained on. */
function cohortHash(files: readonly string[]): string {
  const h = createHash('sha256');
  for (const f of files) {
    h.update(f.split('/').pop()!);
    h.update(readFileSync(f));
  }
  return h.digest('hex');
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      out: { type: 'string' },
      'keep-data': { type: 'string' },
      steps: { type: 'string' },
      epochs: { type: 'string' },
      lr: { type: 'string' },
      'loss-horizon': { type: 'string' },
      'loss-tail-weight': { type: 'string' },
      'window-scaling': { type: 'string' },
      'weight-decay': { type: 'string' },
      threads: { type: 'string', default: '2' },
      name: { type: 'string' },
      'select-only': { type: 'boolean', default: false },
    },
  });
  const R: RealRecipe = { ...REAL_RECIPE };
  if (values.steps !== undefined) R.steps = Number(values.steps);
  if (values.epochs !== undefined) R.epochs = Number(values.epochs);
  if (values.lr !== undefined) R.learningRate = Number(values.lr);
  if (values['loss-horizon'] !== undefined) R.lossHorizonSteps = values['loss-horizon'] === 'none' ? null : Number(values['loss-horizon']);
  if (values['loss-tail-weight'] !== undefined) R.lossTailWeight = Number(values['loss-tail-weight']);
  if (values['window-scaling'] !== undefined) R.windowScaling = values['window-scaling'] as RealRecipe['windowScaling'];
  if (values['weight-decay'] !== undefined) R.weightDecay = Number(values['weight-decay']);
  const custom = JSON.stringify(R) !== JSON.stringify(REAL_RECIPE);
  const threads = Number(values.threads);
  // One name per recipe: a data directory kept with --keep-data trains each recipe once, so the
  // final run reuses the candidate chosen on validation instead of training it again.
  const runName = values.name ?? `candidate-${createHash('sha256').update(JSON.stringify(R)).digest('hex').slice(0, 12)}`;
  const out = resolve(values.out ?? join(repoRoot(), 'models', R.modelName));
  if (cohortFiles('bris').length === 0) throw new Error('The BrisT1D-Open files are not in ../shared/fixtures/cgm-open (set TTM_SHARED_FIXTURES).');

  const { service, dataDir } = scriptService(values['keep-data'], 'ttm-train-bundled-', log, 20_000);
  const t0 = performance.now();
  const secs = (from: number): number => Math.round((performance.now() - from) / 1000);
  try {
    let t = performance.now();
    await ensureCohort(service, 'bris');
    const importS = secs(t);

    // Seeded random r2 weights, with the recipe's per-window scaler.
    const initName = `r2-random-${R.initSeed}-${R.windowScaling}`;
    if (!service.store.models.list().some((m) => m.name === initName)) {
      const initDir = join(dataDir, 'init', initName);
      const config = r2TtmConfig(512, 96, { scaling: R.windowScaling === 'none' ? null : R.windowScaling });
      await saveCheckpoint(initDir, { config, weights: initializeTtmWeights(config, R.initSeed) });
      await service.invoke('models.import', { path: initDir, name: initName });
    }

    t = performance.now();
    const resultFile = join(dataDir, 'candidates', `${runName}.json`);
    const res: Record<string, unknown> = existsSync(resultFile) ? (JSON.parse(readFileSync(resultFile, 'utf8')) as Record<string, unknown>) : await train();
    const trainS = typeof res.trainS === 'number' ? res.trainS : secs(t);
    if (!existsSync(resultFile)) {
      mkdirSync(dirname(resultFile), { recursive: true });
      writeFileSync(resultFile, JSON.stringify({ ...res, trainS }));
    } else log(`reusing the trained candidate ${runName} (${resultFile})`);
    log(
      `trained ${String(res.steps)} steps in ${trainS} s (${Number(res.samplesPerSecond).toFixed(0)} samples/s); validation loss ${String(res.initialValidLoss)} → ${String(res.bestValidLoss)} (best step ${String(res.bestStep)})`,
    );

    async function train(): Promise<Record<string, unknown>> {
      const run = await service.invoke('train.start', {
        dataset: 'bris',
        split: COHORTS.bris.split.name,
        model: initName,
        name: runName,
        wait: true,
        config: {
          trainingMode: 'fine_tune',
          freezeBackbone: false,
          batchSize: R.batchSize,
          learningRate: R.learningRate,
          weightDecay: R.weightDecay,
          numEpochs: R.epochs,
          earlyStoppingPatience: 0,
          lossHorizonSteps: R.lossHorizonSteps,
          lossTailWeight: R.lossTailWeight,
          seed: R.trainSeed,
          threads,
        },
        // A seeded subsample of steps × batch distinct windows, `epochs` passes over it.
        options: {
          schedule: 'one-cycle',
          trainStride: 1,
          maxTrainWindows: R.steps * R.batchSize,
          validateEverySteps: Math.min(R.validateEverySteps, R.steps),
          checkpointEverySteps: Math.min(R.validateEverySteps, R.steps),
          maxValWindows: R.maxValWindows,
          evalStride: R.evalStride,
        },
      });
      if (run.status !== 'completed') throw new Error(`training ended ${run.status}: ${run.error ?? ''}`);
      return run.result ?? {};
    }

    // Recipe choices: the validation part of the 15 training people, TTM beside the baselines.
    t = performance.now();
    const val = reportOf(await service.invoke('forecast.evaluate', { model: runName, dataset: 'bris', split: 'main', stride: R.scoreStride, part: 'val' }));
    const selection = accuracyRows('validation (15 training people)', val, 'in_distribution', 'ttm (this model)');
    process.stdout.write(`\n${runName} — recipe ${JSON.stringify(R)}\n${accuracyTable(selection)}\n\n`);
    log(`validation scoring ${secs(t)} s`);
    if (values['select-only']) return;

    // The bundled directory holds only the HF files: zero-shot, the app fits the global scaler
    // on each study's training part, exactly as for a model pulled from the hub.
    const staging = `${out}.staging`;
    rmSync(staging, { recursive: true, force: true });
    mkdirSync(staging, { recursive: true });
    for (const f of ['config.json', 'model.safetensors']) cpSync(join(String(res.modelDir), f), join(staging, f));
    await service.invoke('models.import', { path: staging, name: 'bundled-check' });

    t = performance.now();
    const rows: AccuracyRow[] = [...selection];
    const heldOut = reportOf(await service.invoke('forecast.evaluate', { model: 'bundled-check', dataset: 'bris', split: 'main', stride: R.scoreStride }));
    rows.push(...accuracyRows('held-out people (5, BrisT1D-Open)', heldOut, 'unseen_patients', 'ttm zero-shot'));
    for (const cohort of ['hupa', 'd1namo'] as const) {
      if (!(await ensureCohort(service, cohort))) continue;
      const rep = reportOf(await service.invoke('forecast.evaluate', { model: 'bundled-check', dataset: cohort, split: 'temporal', stride: R.scoreStride }));
      rows.push(...accuracyRows(`left-out cohort ${cohort === 'hupa' ? 'HUPA-UCM' : 'D1NAMO'} (test part)`, rep, 'in_distribution', 'ttm zero-shot'));
    }
    const evalS = secs(t);
    const table = accuracyTable(rows);
    process.stdout.write(`\n${table}\n\n`);

    const summary = {
      formatVersion: 1,
      model: R.modelName,
      recipe: R,
      custom,
      threads,
      cpu: cpus()[0]?.model ?? 'unknown',
      heldOutPeople: HELD_OUT_PEOPLE,
      data: Object.fromEntries(
        (['bris', 'hupa', 'd1namo'] as const).map((c) => [
          c,
          { files: cohortFiles(c).length, sha256: cohortHash(cohortFiles(c)), citation: COHORTS[c].citation },
        ]),
      ),
      result: {
        steps: res.steps,
        initialValidLoss: res.initialValidLoss,
        bestValidLoss: res.bestValidLoss,
        bestStep: res.bestStep,
        lastTrainLoss: res.lastTrainLoss,
        samplesPerSecond: res.samplesPerSecond,
      },
      timings: { importS, trainS, evalS, totalS: secs(t0) },
      rows,
      createdAt: new Date().toISOString(),
      node: process.version,
    };
    writeFileSync(join(staging, 'training-summary.json'), `${JSON.stringify(summary, null, 2)}\n`);
    await prettifyModelDir(staging);
    // The card is written by hand from the summary and docs/accuracy.md: keep it.
    if (existsSync(join(out, 'MODEL_CARD.md'))) cpSync(join(out, 'MODEL_CARD.md'), join(staging, 'MODEL_CARD.md'));
    // The previous model stays in place until the new one is complete, and comes back if the swap fails.
    await replaceDirectory(staging, out);
    log(`wrote ${out}`);
  } finally {
    service.close();
    if (values['keep-data'] === undefined) rmSync(dataDir, { recursive: true, force: true });
  }
}

if (process.argv[1] !== undefined && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) await main();
