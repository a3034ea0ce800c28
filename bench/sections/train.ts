/**
 * Training and evaluation throughput, in the worker process versus in-process.
 *
 * - training samples/s for the r2 512-96 fixture with a frozen backbone (batch 64) on a small
 *   simulated cohort: the same loop run in-process and in a forked worker (TrainingHost), in
 *   interleaved rounds so both see the same machine load. Two views: the loop's steady-state
 *   rate (what the progress bar shows) and end to end (fork, module load, data preparation
 *   and session creation included). The process boundary should cost < 5 % in steady state.
 * - evaluation throughput: test windows per second scored for TTM + persistence + ridge +
 *   log-AR2 with conformal calibration, in-process and as a worker job.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createSplit } from '../../src-main/engine/data/splits.js';
import { prepareData } from '../../src-main/engine/data/prepared-data.js';
import { baselineModels, evaluateModels } from '../../src-main/engine/forecast/evaluate.js';
import { fitPreprocessor, initialNetwork } from '../../src-main/engine/ttm/study-model.js';
import { ttmWindowModel } from '../../src-main/engine/forecast/window-models.js';
import { simulateIntoStore } from '../../src-main/engine/sim/output.js';
import { SimulationSettingsSchema } from '../../src-main/engine/sim/settings.js';
import { Store } from '../../src-main/engine/store/index.js';
import { TrainingHost } from '../../src-main/engine/jobs/host.js';
import { runTrainingLoop } from '../../src-main/engine/jobs/loop.js';
import { TrainOptionsSchema, type TrainJob } from '../../src-main/engine/jobs/protocol.js';
import { loadCheckpoint } from '../../src-main/engine/ttm/checkpoint.js';
import { TtmPredictor } from '../../src-main/engine/ttm/graph/predictor.js';
import { parseTtmConfig } from '../../src-main/engine/ttm/ttm-config.js';
import { median, spreadOf, type BenchRow, type BenchSection } from '../harness.js';

const FIXTURE = new URL('../../../../shared/fixtures/ttm/r2_512_96/', import.meta.url).pathname;

function row(name: string, unit: string, values: number[], note: string): BenchRow {
  return { section: 'train', name, value: median(values), unit, spread: spreadOf(values), repeats: values.length, note };
}

export const trainBench: BenchSection = async (ctx) => {
  const dir = mkdtempSync(join(tmpdir(), 'ttm-bench-train-'));
  const rounds = ctx.quick ? 2 : 3;
  const steps = ctx.quick ? 15 : 40;
  const batch = 64;
  try {
    const store = Store.open(join(dir, 'studio.sqlite'));
    await simulateIntoStore(store, SimulationSettingsSchema.parse({ patients: 4, days: 10, seed: 5 }), { name: 'bench' });
    const ds = store.datasets.resolve('bench');
    const split = createSplit(store, ds.id, 's', {
      kind: 'hybrid',
      testFraction: 0.2,
      valFraction: 0.15,
      gapMin: 0,
      holdoutPatients: ['sim-004'],
      holdoutFraction: 0.1,
      seed: 1,
    });
    const config = parseTtmConfig({
      modelPath: FIXTURE,
      batchSize: batch,
      learningRate: 1e-4,
      numEpochs: 1,
      freezeBackbone: true,
      earlyStoppingPatience: 0,
      threads: 2,
    });
    const options = TrainOptionsSchema.parse({
      maxSteps: steps,
      trainStride: 4,
      evalStride: 24,
      validateEverySteps: 1_000_000,
      checkpointEverySteps: 1_000_000,
      maxValWindows: 64,
    });
    const base = await loadCheckpoint(FIXTURE);
    const host = new TrainingHost({ store, emit: () => undefined });

    const inProc = { rate: [] as number[], wall: [] as number[] };
    const worker = { rate: [] as number[], wall: [] as number[] };
    for (let r = 0; r < rounds; r++) {
      // in-process: the same preparation the worker does, timed end to end
      let t0 = performance.now();
      const runA = store.runs.create({ kind: 'train' });
      const data = prepareData({ dataset: ds.id, split: split.id }, { store });
      const res = await runTrainingLoop({
        config,
        options,
        network: initialNetwork(config, { config: base.config, weights: base.weights }),
        data,
        outputDir: join(dir, 'runs', String(runA.id)),
        loggingDir: join(dir, 'runs', String(runA.id), 'logs'),
        runId: runA.id,
        resume: false,
        shouldCancel: () => false,
        sink: { metrics: (m) => store.runs.addMetrics(runA.id, m), progress: () => undefined, checkpoint: () => undefined },
      });
      inProc.wall.push(((res.steps * batch) / (performance.now() - t0)) * 1000);
      inProc.rate.push(res.samplesPerSecond);
      // worker process
      t0 = performance.now();
      const runB = store.runs.create({ kind: 'train' });
      const job: TrainJob = {
        kind: 'train',
        runId: runB.id,
        databaseFile: store.file,
        outputDir: join(dir, 'runs', String(runB.id)),
        loggingDir: join(dir, 'runs', String(runB.id), 'logs'),
        baseModelDir: FIXTURE,
        config,
        options,
        data: { dataset: ds.id, split: split.id },
        resume: false,
        modelName: `bench-${runB.id}`,
      };
      const end = await host.start(job).done;
      if (end.status !== 'completed') throw new Error(`bench worker run ended ${end.status}: ${JSON.stringify(end)}`);
      worker.wall.push(((Number(end.result.steps) * batch) / (performance.now() - t0)) * 1000);
      worker.rate.push(Number(end.result.samplesPerSecond));
      ctx.log(`train: round ${r + 1}/${rounds} done`);
    }
    const note = `r2 512-96 fixture, frozen backbone, batch ${batch}, ${steps} steps, 2 threads`;
    const rows: BenchRow[] = [
      row('train samples/s in-process (loop)', 'samples/s', inProc.rate, note),
      row('train samples/s in worker (loop)', 'samples/s', worker.rate, note),
      row(
        'worker vs in-process (loop), cost',
        '%',
        inProc.rate.map((v, i) => (1 - worker.rate[i]! / v) * 100),
        'positive = the worker is slower',
      ),
      row('train samples/s in-process (end to end)', 'samples/s', inProc.wall, `${note}; data prep + session creation included`),
      row('train samples/s in worker (end to end)', 'samples/s', worker.wall, `${note}; fork + load + data prep + session creation included`),
    ];

    // Evaluation throughput on the test windows (every 2nd window).
    const data = prepareData({ dataset: ds.id, split: split.id }, { store });
    const zs = parseTtmConfig({ modelPath: FIXTURE, trainingMode: 'zero_shot', numEpochs: 0 });
    const net = initialNetwork(zs, { config: base.config, weights: base.weights });
    const state = { ...net, preprocessor: fitPreprocessor(zs, data, net.config) };
    const predictor = await TtmPredictor.create({ config: state.config, weights: state.weights }, { threads: 2 });
    const evalRates: number[] = [];
    let windows = 0;
    try {
      for (let r = 0; r < rounds; r++) {
        const t0 = performance.now();
        const notes: string[] = [];
        const geometry = { contextLength: 512, forecastLength: 96 };
        const report = await evaluateModels(data, [ttmWindowModel(state, predictor, 256), ...baselineModels(data, geometry, notes)], {
          ...geometry,
          stride: 2,
        });
        windows = report.groups.reduce((a, g) => a + g.windows, 0) + report.calibrationWindows;
        evalRates.push((windows / (performance.now() - t0)) * 1000);
      }
    } finally {
      await predictor.release();
    }
    rows.push(
      row('evaluation, TTM + 3 baselines + conformal', 'windows/s', evalRates, `${windows} windows (test + calibration) × 96 steps, r2 512-96 zero-shot`),
    );
    await host.shutdown(1000);
    store.close();
    return rows;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
};
