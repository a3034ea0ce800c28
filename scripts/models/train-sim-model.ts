/**
 * Trains the simulated-data model in models/ttm-sim-r2-512-96 (`npm run model:train-sim`).
 *
 * IBM's pretrained TTM weights cannot be downloaded on the machines this project is built on,
 * so the bundled model is the TTM r2 512-96 *architecture* (granite-tsfm config keys, so the
 * directory is interchangeable with ibm-granite/granite-timeseries-ttm-r2 `main`) trained
 * from random weights on a large simulated cohort, then scored on a held-out simulated
 * cohort against persistence, ridge and log-AR2. Everything goes through the StudioApi (the
 * same worker processes, loop and evaluation the app uses), so the recipe is what a user
 * could rerun from the CLI.
 *
 * Why "fine_tune with an unfrozen backbone on a random r2 base" instead of the app's
 * from_scratch mode: from_scratch sizes the network like granite-tsfm's get_random_ttm
 * (context 512 → patch 128, d_model 256, no adaptive patching), which is not the r2
 * architecture. Starting from a seeded random initialisation of the r2 config and training
 * every parameter is training from scratch with the r2 geometry.
 *
 * Reproducible: seeds for the cohorts, the initialisation, the window subsample, the epoch
 * order and the schedule are fixed; the step budget is a count, not a time limit.
 */
import { cpSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import type { ApiResponse } from '../../src-main/engine/api/contract.js';
import { headlineRows, type EvaluationReport, type HeadlineRow } from '../../src-main/engine/forecast/evaluation-report.js';
import { saveCheckpoint } from '../../src-main/engine/ttm/checkpoint.js';
import { r2TtmConfig } from '../../src-main/engine/ttm/adapt.js';
import { replaceDirectory } from '../../src-main/engine/util/atomic-write.js';
import { prettifyModelDir, repoRoot, scriptService } from './support.js';
import { initializeTtmWeights } from '../../src-main/engine/ttm/init.js';

/** The recipe. Every number that shapes the model is here, and is copied into the card. */
export const BUNDLED_RECIPE = {
  modelName: 'ttm-sim-r2-512-96',
  train: { patients: 60, days: 60, seed: 20_251, start: '2023-01-01T00:00:00Z' },
  heldOut: { patients: 12, days: 30, seed: 30_307, start: '2023-06-01T00:00:00Z' },
  /** Patients of the training cohort kept out of training (its split's test part), by seed. */
  trainSplit: { kind: 'patient_holdout', holdoutFraction: 0.1, valFraction: 0.1, seed: 7 },
  /** Held-out cohort: half the patients are scored; the other half fit the baselines' ridge (and the zero-shot scaler). */
  heldOutSplit: { kind: 'patient_holdout', holdoutFraction: 0.5, valFraction: 0.1, seed: 7 },
  initSeed: 4242,
  trainSeed: 17,
  batchSize: 64,
  learningRate: 1e-3,
  steps: 6000,
  validateEverySteps: 250,
  maxValWindows: 1024,
  evalStride: 6,
  scoreStride: 3,
} as const;

type Row = HeadlineRow;

function rowsOf(report: EvaluationReport): Row[] {
  return headlineRows(report, { rename: 'TTM (this model, zero-shot)' });
}

const fmt = (v: number | null): string => (v === null ? '—' : v.toFixed(1));

export function markdownTable(rows: readonly Row[]): string {
  const lines = ['| group | model | RMSE@30 | MAE@30 | RMSE@60 | MAE@60 | windows |', '| --- | --- | ---: | ---: | ---: | ---: | ---: |'];
  for (const r of rows) lines.push(`| ${r.group} | ${r.model} | ${fmt(r.rmse30)} | ${fmt(r.mae30)} | ${fmt(r.rmse60)} | ${fmt(r.mae60)} | ${r.windows} |`);
  return lines.join('\n');
}

function reportOf(r: ApiResponse<'forecast.evaluate'>): EvaluationReport {
  const rep = r.result?.report as EvaluationReport | undefined;
  if (rep === undefined) throw new Error(`evaluation run ${r.runId} ended ${r.status}: ${r.error ?? ''}`);
  return rep;
}

const log = (msg: string): void => {
  process.stderr.write(`[train-sim ${new Date().toISOString().slice(11, 19)}] ${msg}\n`);
};

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      out: { type: 'string' },
      steps: { type: 'string' },
      patients: { type: 'string' },
      days: { type: 'string' },
      'eval-patients': { type: 'string' },
      threads: { type: 'string', default: '2' },
      'keep-data': { type: 'string' },
      'no-card': { type: 'boolean', default: false },
      /** Rewrite MODEL_CARD.md from the training-summary.json beside it (card template changes; no training). */
      'card-only': { type: 'boolean', default: false },
    },
  });
  const R = BUNDLED_RECIPE;
  const steps = values.steps !== undefined ? Number(values.steps) : R.steps;
  const trainPatients = values.patients !== undefined ? Number(values.patients) : R.train.patients;
  const trainDays = values.days !== undefined ? Number(values.days) : R.train.days;
  const evalPatients = values['eval-patients'] !== undefined ? Number(values['eval-patients']) : R.heldOut.patients;
  const threads = Number(values.threads);
  const out = resolve(values.out ?? join(repoRoot(), 'models', R.modelName));
  // A recipe changed from the command line is a calibration run, not the bundled model: say so in the card.
  const custom = steps !== R.steps || trainPatients !== R.train.patients || trainDays !== R.train.days || evalPatients !== R.heldOut.patients;

  if (values['card-only']) {
    const summary = JSON.parse(readFileSync(join(out, 'training-summary.json'), 'utf8')) as CardSummary;
    writeFileSync(join(out, 'MODEL_CARD.md'), modelCard(summary, markdownTable(summary.heldOut)));
    await prettifyModelDir(out);
    log(`rewrote ${join(out, 'MODEL_CARD.md')} from training-summary.json`);
    return;
  }

  const { service, dataDir } = scriptService(values['keep-data'], 'ttm-train-sim-', log, 15_000);
  const t0 = performance.now();
  const secs = (from: number): number => Math.round((performance.now() - from) / 1000);
  try {
    let t = performance.now();
    await service.invoke('datasets.simulate', { name: 'train-cohort', patients: trainPatients, days: trainDays, seed: R.train.seed, start: R.train.start });
    await service.invoke('datasets.simulate', {
      name: 'held-out-cohort',
      patients: evalPatients,
      days: R.heldOut.days,
      seed: R.heldOut.seed,
      start: R.heldOut.start,
    });
    const simulateS = secs(t);
    log(`simulated ${trainPatients} + ${evalPatients} patients in ${simulateS} s`);
    await service.invoke('splits.create', { dataset: 'train-cohort', name: 'by-patient', spec: R.trainSplit });
    await service.invoke('splits.create', { dataset: 'held-out-cohort', name: 'unseen', spec: R.heldOutSplit });

    // Seeded random r2 weights as the starting point (PyTorch constructor init, post_init false).
    const initDir = join(dataDir, 'init', 'r2-512-96-random');
    const config = r2TtmConfig(512, 96);
    await saveCheckpoint(initDir, { config, weights: initializeTtmWeights(config, R.initSeed) });
    await service.invoke('models.import', { path: initDir, name: 'r2-random-init' });

    t = performance.now();
    const run = await service.invoke('train.start', {
      dataset: 'train-cohort',
      split: 'by-patient',
      model: 'r2-random-init',
      name: 'bundled-candidate',
      wait: true,
      config: {
        trainingMode: 'fine_tune',
        freezeBackbone: false,
        batchSize: R.batchSize,
        learningRate: R.learningRate,
        numEpochs: 1,
        earlyStoppingPatience: 0,
        seed: R.trainSeed,
        threads,
      },
      // One pass over a seeded subsample of distinct windows: steps × batch windows, no repeats.
      options: {
        schedule: 'one-cycle',
        trainStride: 1,
        maxTrainWindows: steps * R.batchSize,
        validateEverySteps: Math.min(R.validateEverySteps, steps),
        checkpointEverySteps: Math.min(R.validateEverySteps, steps),
        maxValWindows: R.maxValWindows,
        evalStride: R.evalStride,
      },
    });
    if (run.status !== 'completed') throw new Error(`training ended ${run.status}: ${run.error ?? ''}`);
    const trainS = secs(t);
    const res = run.result ?? {};
    const modelDir = String(res.modelDir);
    log(
      `trained ${String(res.steps)} steps in ${trainS} s; validation loss ${String(res.initialValidLoss)} → ${String(res.bestValidLoss)} (best step ${String(res.bestStep)})`,
    );

    // The bundled directory holds only the HF files: used zero-shot, the app fits the scaler on
    // each study's training part, exactly as it does for a model pulled from the hub.
    const staging = `${out}.staging`;
    rmSync(staging, { recursive: true, force: true });
    mkdirSync(staging, { recursive: true });
    for (const f of ['config.json', 'model.safetensors']) cpSync(join(modelDir, f), join(staging, f));
    await service.invoke('models.import', { path: staging, name: 'bundled-check' });

    t = performance.now();
    const ev = await service.invoke('forecast.evaluate', { model: 'bundled-check', dataset: 'held-out-cohort', split: 'unseen', stride: R.scoreStride });
    const evalS = secs(t);
    const rows = rowsOf(reportOf(ev));
    const table = markdownTable(rows);
    const totalS = secs(t0);
    process.stdout.write(`\nHeld-out simulated cohort (seed ${R.heldOut.seed}), test windows every ${R.scoreStride}rd origin, mg/dL:\n${table}\n\n`);
    log(`evaluation ${evalS} s; total ${totalS} s`);

    const summary = {
      formatVersion: 1,
      model: R.modelName,
      recipe: { ...R, steps, train: { ...R.train, patients: trainPatients, days: trainDays }, heldOut: { ...R.heldOut, patients: evalPatients } },
      custom,
      threads,
      result: {
        steps: res.steps,
        initialValidLoss: res.initialValidLoss,
        bestValidLoss: res.bestValidLoss,
        bestStep: res.bestStep,
        lastTrainLoss: res.lastTrainLoss,
        samplesPerSecond: res.samplesPerSecond,
      },
      timings: { simulateS, trainS, evalS, totalS },
      heldOut: rows,
      createdAt: new Date().toISOString(),
      node: process.version,
    };
    writeFileSync(join(staging, 'training-summary.json'), `${JSON.stringify(summary, null, 2)}\n`);
    if (!values['no-card']) writeFileSync(join(staging, 'MODEL_CARD.md'), modelCard(summary, table));
    await prettifyModelDir(staging);
    // The previous model stays in place until the new one is complete, and comes back if the swap fails.
    await replaceDirectory(staging, out);
    log(`wrote ${out}`);
  } finally {
    service.close();
    if (values['keep-data'] === undefined) rmSync(dataDir, { recursive: true, force: true });
  }
}

interface CardSummary {
  heldOut: Row[];
  recipe: { steps: number; train: { patients: number; days: number; seed: number }; heldOut: { patients: number; days: number; seed: number } };
  custom: boolean;
  threads: number;
  result: Record<string, unknown>;
  timings: { simulateS: number; trainS: number; evalS: number; totalS: number };
  createdAt: string;
  node: string;
}

/** How the step budget met the data: a subsample when the cap bound, else every window once. */
function passText(s: CardSummary): string {
  const steps = typeof s.result.steps === 'number' ? s.result.steps : s.recipe.steps;
  const cap = s.recipe.steps * BUNDLED_RECIPE.batchSize;
  return steps < s.recipe.steps
    ? `${steps} steps = one epoch over every training window (≈ ${(steps * BUNDLED_RECIPE.batchSize).toLocaleString('en-US')}; the cap of ${cap.toLocaleString('en-US')} windows did not bind)`
    : `${steps} steps = one pass over a seeded subsample of ${cap.toLocaleString('en-US')} distinct training windows`;
}

/** The TTM against the best baseline at 30 and 60 min, in words, from the table's numbers. */
function readingText(rows: readonly Row[]): string {
  const parts: string[] = [];
  for (const [min, key] of [
    [30, 'rmse30'],
    [60, 'rmse60'],
  ] as const) {
    const ttm = rows.find((r) => r.model.startsWith('TTM'))?.[key] ?? null;
    const base = rows.filter((r) => !r.model.startsWith('TTM') && r[key] !== null).sort((a, b) => a[key]! - b[key]!)[0];
    if (ttm === null || base === undefined) continue;
    const rel = ((ttm - base[key]!) / base[key]!) * 100;
    parts.push(
      `at ${min} min the TTM's RMSE is ${ttm.toFixed(1)} mg/dL against ${base[key]!.toFixed(1)} for the best baseline (${base.model}), ${rel <= 0 ? `${(-rel).toFixed(0)} % lower` : `${rel.toFixed(0)} % higher`}`,
    );
  }
  return parts.length === 0 ? '' : `On this held-out cohort, ${parts.join('; ')}.`;
}

function modelCard(s: CardSummary, table: string): string {
  const R = BUNDLED_RECIPE;
  const n = (v: unknown, d = 4): string => (typeof v === 'number' ? v.toFixed(d) : '—');
  const min = (v: number): string => `${Math.floor(v / 60)} min ${v % 60} s`;
  return `# ${R.modelName}

${s.custom ? '> **Calibration run**: the recipe was changed on the command line; this is not the bundled model.\n\n' : ''}A TinyTimeMixer with the **TTM r2 512-96 architecture** (granite-tsfm config keys; context 512
steps = 42 h 40 min, forecast 96 steps = 8 h at 5-minute resolution; 805,280 parameters),
**trained from random weights by TTM Studio's own trainer on simulated type-1 glucose data**.
It was TTM Studio's default model until \`ttm-glucose-r2-512-96\` (trained on open real CGM)
replaced it; it stays bundled so the two can be compared (docs/accuracy.md).

**Not for clinical use.** It has never seen a real patient, it is not validated on real data,
and it must not inform treatment decisions.

**Not IBM's pretrained TTM.** IBM's weights (pretrained on large real time-series corpora) could
not be downloaded where this model was built. Online, pull them with
\`ttm-studio models pull ibm-granite/granite-timeseries-ttm-r2\` (or Settings → Models); this
directory has the same config keys and parameter names, so the two are interchangeable in the
app.

## Files

| file | what |
| --- | --- |
| \`config.json\` | Hugging Face \`TinyTimeMixerConfig\` (every key, as \`save_pretrained\` writes it) |
| \`model.safetensors\` | F32 weights, granite-tsfm parameter names (\`backbone.*\`, \`decoder.*\`, \`head.*\`) |
| \`training-summary.json\` | the recipe, seeds, losses and timings of the run that produced the weights |

There is no \`preprocessor.json\`: like a model pulled from the hub, the app uses this model
zero-shot on glucose alone and fits the global standard scaler on each study's training part.
The network scales every window itself (TTM's "std" scaler: per window mean and standard
deviation over the observed context), so the global scaling does not change its forecasts.

## Training data

- **Simulator**: TTM Studio's Hovorka 2004 type-1 simulator (\`src-main/engine/sim/\`: meals,
  boluses, basal profiles, exercise, CGM sensor noise and dropouts), 5-minute CGM.
- **Training cohort**: ${s.recipe.train.patients} virtual patients × ${s.recipe.train.days} days, seed ${s.recipe.train.seed} (the demo cohort
  in \`resources/demo-cohort.json\` uses seed 1; none of its patients is here).
- **Split by patient** (seed ${R.trainSplit.seed}): ${Math.round(R.trainSplit.holdoutFraction * 100)} % of the patients held out entirely; the last
  ${Math.round(R.trainSplit.valFraction * 100)} % of each remaining patient's time is the validation part (${R.maxValWindows} windows, every ${R.evalStride}th origin).
- **Channel**: glucose only (\`bg_mM\`, mmol/L), one input channel; gaps up to 30 min imputed and
  masked out of the loss, windows never cross a longer gap or a patient.
- **Scaling**: global standard scaler fitted on the training part, then TTM's per-window std
  scaler inside the network; the loss is MSE in the globally scaled units over all 96 steps.

## Training recipe

- Architecture: r2 512-96 (\`d_model\` 192, patch 64/64, 8 patches, adaptive patching 3 levels,
  2 mixer layers, decoder \`d_model\` 128 with 2 layers, common-channel, gated attention,
  LayerNorm, dropout 0, head dropout 0).
- Initialisation: PyTorch constructor defaults (\`post_init\` false), seed ${R.initSeed}.
- All parameters trained (no frozen backbone): AdamW (β 0.9/0.999, weight decay 0.01), one-cycle
  schedule with peak learning rate ${R.learningRate} (30 % warm-up, cosine decay, β1 cycling), gradient
  clipping at norm 1, batch ${R.batchSize}, ${passText(s)} (order seed ${R.trainSeed}); validation every ${R.validateEverySteps} steps, the
  checkpoint with the best validation loss is kept.
- Validation loss (scaled MSE): ${n(s.result.initialValidLoss)} before training → ${n(s.result.bestValidLoss)} (best, step ${String(s.result.bestStep)}).
- Time: simulation ${min(s.timings.simulateS)}, training ${min(s.timings.trainS)} (${n(s.result.samplesPerSecond, 0)} samples/s), held-out
  evaluation ${min(s.timings.evalS)}; ${min(s.timings.totalS)} in all, CPU, ${s.threads} onnxruntime threads on a shared 2-core
  VM, Node ${s.node}, ${s.createdAt.slice(0, 10)}.
- Reproduce: \`npm run model:train-sim\` (\`scripts/models/train-sim-model.ts\`). Seeds fix the data, the
  initialisation, the window subsample, the batch order and the schedule; multi-threaded
  float reductions may still differ in the last bits between machines.

## Results on a held-out simulated cohort

A second cohort the model never saw: ${s.recipe.heldOut.patients} patients × ${s.recipe.heldOut.days} days, seed ${s.recipe.heldOut.seed}. Split by patient (seed
${R.heldOutSplit.seed}): ${Math.round(R.heldOutSplit.holdoutFraction * 100)} % of the patients are scored over their whole recording ("unseen patients"); the
others only fit the baselines' ridge regression (λ chosen on their validation part) and the
zero-shot scaler. Test windows every ${R.scoreStride}rd origin; the TTM is used zero-shot; all models are scored
on the same windows; imputed targets are never scored. RMSE and MAE in mg/dL at 30 and 60
minutes (not trajectory-averaged).

${table}

Reading: persistence repeats the last value; ridge is a linear regression on the last lags
fitted on the other patients of the cohort; log-AR2 is a second-order autoregression on log
glucose. ${readingText(s.heldOut)} These numbers are on *simulated* data from the same
simulator the model was trained on, so they overstate what to expect on real patients, where
linear baselines are very hard to beat (docs/evaluation.md, docs/training.md).

## Limitations

- Simulated data only (one physiological model, its meal/exercise/sensor assumptions); not
  validated on real patients; real CGM data (sensor drift, compression lows, unannounced
  meals, other devices) will behave differently — fine-tune on your own data and compare
  against the baselines, which the app does for you.
- Glucose only: no insulin, carbohydrate or activity covariates.
- 5-minute data; other resolutions are resampled by the app's grid builder.
- Trained to forecast 8 h, but only 30 and 60 min were scored for this card (the app's
  evaluation also reports 120 min).
- Not IBM's pretrained TTM and not comparable with published TTM results.
- **Not a medical device. Not for clinical use.**

## Licence

Apache-2.0, like TTM Studio. The architecture is IBM's TinyTimeMixer (granite-tsfm,
Apache-2.0); no IBM weights are included.
`;
}

// Only as a script: importing the recipe (tests, docs tooling) must not start a training run.
if (process.argv[1] !== undefined && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) await main();
