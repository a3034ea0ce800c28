/**
 * The cluster round trip at tiny size: export a job from a simulated cohort, train it with a
 * real two-process PyTorch DDP job (torchrun, gloo on CPU; Debian's python3-torch with the
 * reference TTM code from ../shared), import the result and evaluate it. On the way:
 *  - the exported folder holds the training and validation parts only (read back row by row);
 *  - the DDP job's loss curve matches the app's own two-worker data-parallel trainer on the
 *    same data, seed and configuration (docs/cluster.md states the tolerance);
 *  - the imported model reproduces the job's PyTorch forecasts to 1e-4.
 * Python with torch is required in CI (.ci/run installs it); elsewhere the file is skipped
 * with the reason when /usr/bin/python3 has no torch.
 */
import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DataIndexSchema, JobFileSchema, JobResultSchema } from '../../../src-main/engine/cluster/job-files.js';
import { jobWindowInputs } from '../../../src-main/engine/cluster/import-job.js';
import { StudioService } from '../../../src-main/engine/api/service.js';
import { createLogger } from '../../../src-main/engine/logger.js';
import { prepareData } from '../../../src-main/engine/data/prepared-data.js';
import { partRanges } from '../../../src-main/engine/data/splits.js';
import { epochOrder, runTrainingLoop, type MetricPoint } from '../../../src-main/engine/jobs/loop.js';
import { parseSchedule, scheduleAt } from '../../../src-main/engine/jobs/schedules.js';
import { TrainOptionsSchema } from '../../../src-main/engine/jobs/protocol.js';
import type { Store } from '../../../src-main/engine/store/index.js';
import { loadCheckpoint } from '../../../src-main/engine/ttm/checkpoint.js';
import { MIN_WORKER_BATCH } from '../../../src-main/engine/ttm/graph/training.js';
import { initialNetwork } from '../../../src-main/engine/ttm/study-model.js';
import { parseTtmConfig } from '../../../src-main/engine/ttm/ttm-config.js';
import { REPO_ROOT, SHARED_FIXTURES, tempDir } from '../../helpers/tmp.js';
import { cohortStore, privateSpawn, TINY_CONFIG, TINY_MODEL_DIR } from '../train/helpers.js';
import { readScalars } from '../train/tfevents.js';
import { maskedCrc32c } from '../../../src-main/engine/jobs/crc32c.js';

const PYTHON = '/usr/bin/python3';
const REFERENCE = join(SHARED_FIXTURES, '..', 'reference', 'pytorch-ttm');
const hasTorch = existsSync(PYTHON) && spawnSync(PYTHON, ['-c', 'import torch'], { stdio: 'ignore' }).status === 0;
if (!hasTorch && process.env.CI === 'true') throw new Error(`${PYTHON} has no torch: .ci/run installs python3-torch for the cluster round trip.`);

/** Relative agreement of the two loss curves over the compared steps (docs/cluster.md). */
const LOSS_TOLERANCE = 1e-4;
const COMPARED_STEPS = 12;

describe.skipIf(!hasTorch)("train_ttm.py's ports of the app's data order and schedules", () => {
  it('draws the same per-epoch permutations and the same learning rates and β1 as the app', () => {
    const script = `
import json, sys
sys.path.insert(0, ${JSON.stringify(join(REPO_ROOT, 'resources', 'cluster'))})
import train_ttm as t
out = {"orders": [t.epoch_order(50, s, e).tolist() for s in (0, 7, 4294967295) for e in (0, 1, 5)], "schedules": {}}
for kind in ("constant", "warmup-linear", "warmup-cosine", "one-cycle"):
    out["schedules"][kind] = [list(t.schedule_at(kind, 1e-3, 3, 20, k)) for k in range(21)]
print(json.dumps(out))
`;
    // No __pycache__ beside the shipped script.
    const r = spawnSync(PYTHON, ['-c', script], { encoding: 'utf8', env: { ...process.env, PYTHONDONTWRITEBYTECODE: '1' } });
    expect(r.status, r.stderr).toBe(0);
    const py = JSON.parse(r.stdout) as { orders: number[][]; schedules: Record<string, [number, number | null][]> };
    let i = 0;
    for (const seed of [0, 7, 4294967295]) for (const epoch of [0, 1, 5]) expect(py.orders[i++]).toEqual(Array.from(epochOrder(50, seed, epoch)));
    const schedules = {
      constant: parseSchedule({ kind: 'constant', lr: 1e-3 }),
      'warmup-linear': parseSchedule({ kind: 'warmup-linear', lr: 1e-3, warmupSteps: 3, totalSteps: 20 }),
      'warmup-cosine': parseSchedule({ kind: 'warmup-cosine', lr: 1e-3, warmupSteps: 3, totalSteps: 20 }),
      'one-cycle': parseSchedule({ kind: 'one-cycle', maxLr: 1e-3, totalSteps: 20 }),
    };
    for (const [kind, schedule] of Object.entries(schedules))
      for (let k = 0; k <= 20; k++) {
        const v = scheduleAt(schedule, k);
        const [lr, beta1] = py.schedules[kind]![k]!;
        expect(lr).toBeCloseTo(v.lr, 15);
        if (v.beta1 === null) expect(beta1).toBeNull();
        else expect(beta1).toBeCloseTo(v.beta1, 15);
      }
  });
});

// Glucose alone (a common-channel decoder), and with insulin and carbs on board as covariates
// (the app switches the decoder to mix_channel and forecasts channel 0 only).
describe.skipIf(!hasTorch).each([
  { variant: 'glucose only', inputFeatures: [] as string[] },
  { variant: 'with iob and cob (mix-channel decoder)', inputFeatures: ['iob', 'cob'] },
])('cluster job, $variant: export → torchrun DDP (2 processes) → import → evaluate', ({ inputFeatures }) => {
  const tmp = tempDir();
  let service: StudioService;
  let store: Store;
  const jobDir = join(tmp.dir, 'job');
  // The whole network trains, with the horizon-weighted loss, one-cycle (β1 cycled) and clipping.
  // Batch 32 on 2 threads: the app's trainer splits each batch over two worker sessions.
  const configInput = {
    ...TINY_CONFIG,
    modelPath: undefined,
    threads: 2,
    batchSize: 32,
    numEpochs: 4,
    freezeBackbone: false,
    lossHorizonSteps: 8,
    lossTailWeight: 0.1,
    inputFeatures,
  };
  const optionsInput = { validateEverySteps: 5, checkpointEverySteps: 5, trainStride: 6, evalStride: 6, maxSteps: 12, maxValWindows: 96 };
  const config = parseTtmConfig({ ...configInput, modelPath: TINY_MODEL_DIR });
  const options = TrainOptionsSchema.parse(optionsInput);

  beforeAll(async () => {
    (await cohortStore(tmp.dir)).close();
    service = new StudioService({ dataDir: tmp.dir, logger: createLogger({ logsDir: join(tmp.dir, 'logs') }), spawnWorker: privateSpawn });
    store = service.store;
    store.models.upsert({ name: 'tiny', source: 'local', path: TINY_MODEL_DIR });
  });
  afterAll(() => {
    service.close();
    tmp.cleanup();
  });

  it('exports the training and validation parts, never the test part', async () => {
    const summary = await service.invoke('jobs.export', {
      dataset: 'cohort',
      split: 'hyb',
      model: 'tiny',
      config: configInput,
      options: optionsInput,
      name: 'tiny-cluster',
      out: jobDir,
    });
    expect(summary.commands.at(-1)).toBe(`ttm-studio jobs import ${JSON.stringify(jobDir)}`);
    // The job's config is the run the app would have trained.
    const job = JobFileSchema.parse(JSON.parse(readFileSync(join(jobDir, 'job.json'), 'utf8')));
    expect(job.training).toMatchObject({ batchSize: 32, seed: 7, freezeBackbone: false, maxSteps: 12, schedule: 'one-cycle' });
    // The app's weights are float32: the job carries exactly the values the app multiplies by.
    expect(job.training.lossStepWeights?.slice(6, 10)).toEqual([1, 1, Math.fround(0.1), Math.fround(0.1)]);
    // A second export to the same folder needs force; a folder with other files is refused.
    await expect(service.invoke('jobs.export', { dataset: 'cohort', split: 'hyb', model: 'tiny', out: jobDir })).rejects.toThrow(/--force/);
    await expect(service.invoke('jobs.export', { dataset: 'cohort', split: 'hyb', model: 'tiny', out: join(REPO_ROOT, 'docs') })).rejects.toThrow(/not empty/);
    expect(summary.trainWindows).toBeGreaterThan(100);
    expect(summary.valWindows).toBeGreaterThan(10);
    for (const f of ['job.json', 'README.md', 'train_ttm.py', 'launch.sh', 'slurm.sbatch', 'requirements.txt']) expect(existsSync(join(jobDir, f))).toBe(true);
    expect(readFileSync(join(jobDir, 'README.md'), 'utf8').split('\n').slice(0, 4).join(' ')).toContain('contains patient data');
    // The shell scripts parse (launch.sh also runs below; slurm.sbatch needs a cluster).
    for (const script of ['launch.sh', 'slurm.sbatch']) expect(spawnSync('bash', ['-n', join(jobDir, script)]).status, script).toBe(0);
    expect(readdirSync(join(jobDir, 'data')).some((f) => f.includes('test'))).toBe(false);

    const index = DataIndexSchema.parse(JSON.parse(readFileSync(join(jobDir, 'data', 'index.json'), 'utf8')));
    const data = prepareData({ dataset: 'cohort', split: 'hyb' }, { store });
    const test = partRanges(data.split, 'test');
    const stepMs = index.resolutionMin * 60_000;
    let rows = 0;
    for (const part of ['train', 'val'] as const) {
      const p = index.parts[part]!;
      for (const s of p.series) {
        for (let i = 0; i < s.length; i++) {
          const ts = s.startTs + i * stepMs;
          const inTest = test.some((r) => r.externalId === s.patient && ts >= r.fromTs && ts < r.toTs);
          expect(inTest, `${part} row ${i} of ${s.patient} at ${new Date(ts).toISOString()} lies in the test part`).toBe(false);
          rows++;
        }
      }
      // Every window's targets lie in its own part.
      const ranges = partRanges(data.split, part);
      const windows = new Int32Array(new Uint8Array(readFileSync(join(jobDir, 'data', p.windows))).buffer);
      for (let w = 0; w < p.windowCount; w++) {
        const s = p.series[windows[w * 2]!]!;
        const first = s.startTs + (windows[w * 2 + 1]! + index.contextLength) * stepMs;
        const last = first + (index.forecastLength - 1) * stepMs;
        expect(ranges.some((r) => r.externalId === s.patient && first >= r.fromTs && last < r.toTs)).toBe(true);
      }
    }
    expect(rows).toBeGreaterThan(0);
    // The holdout patient (test only) is absent.
    expect([...index.parts.train.series, ...index.parts.val!.series].some((s) => s.patient === 'sim-003')).toBe(false);
  });

  let ddpLoss: Map<number, number>;
  it('trains with torchrun on 2 processes (gloo) and writes checkpoints, metrics and a result', () => {
    // --redirects 1 --tee 1: Debian's torch 1.13 on Python ≥ 3.11 cannot parse the default "0" (docs/cluster.md).
    // Through the folder's own launch.sh (torchrun, one node, 2 processes).
    const r = spawnSync('bash', [join(jobDir, 'launch.sh')], {
      cwd: jobDir,
      env: { ...process.env, PYTHON, PYTHONPATH: REFERENCE, OMP_NUM_THREADS: '1', NPROC_PER_NODE: '2', TORCHRUN_ARGS: '--redirects 1 --tee 1' },
      encoding: 'utf8',
      timeout: 240_000,
    });
    expect(r.status, `${r.stdout}\n${r.stderr}`).toBe(0);
    expect(r.stdout).toContain('2 process(es) on cpu');
    const result = JobResultSchema.parse(JSON.parse(readFileSync(join(jobDir, 'output', 'result.json'), 'utf8')));
    expect(result).toMatchObject({ status: 'completed', steps: 12, processes: 2, globalBatchSize: 32, perDeviceBatchSize: 16 });
    for (const f of ['config.json', 'model.safetensors', 'preprocessor.json', 'training_state.safetensors', 'run.json'])
      expect(existsSync(join(jobDir, 'output', 'checkpoints', 'last', f))).toBe(true);
    // The TensorBoard file: every record's two masked CRC-32Cs check out, and it holds the losses.
    const tbDir = join(jobDir, 'output', 'tensorboard');
    const events = readdirSync(tbDir).filter((f) => f.startsWith('events.out.tfevents.'));
    expect(events).toHaveLength(1);
    const tbBytes = new Uint8Array(readFileSync(join(tbDir, events[0]!)));
    const dv = new DataView(tbBytes.buffer, tbBytes.byteOffset, tbBytes.byteLength);
    for (let p = 0; p < tbBytes.length;) {
      const len = Number(dv.getBigUint64(p, true));
      expect(dv.getUint32(p + 8, true)).toBe(maskedCrc32c(tbBytes.subarray(p, p + 8)));
      expect(dv.getUint32(p + 12 + len, true)).toBe(maskedCrc32c(tbBytes.subarray(p + 12, p + 12 + len)));
      p += 16 + len;
    }
    expect(readScalars(tbBytes).filter((x) => x.tag === 'train/loss')).toHaveLength(12);
    const lines = readFileSync(join(jobDir, 'output', 'metrics.jsonl'), 'utf8')
      .trim()
      .split('\n');
    ddpLoss = new Map(
      lines
        .map((l) => JSON.parse(l) as { step: number; name: string; value: number })
        .filter((m) => m.name === 'train/loss')
        .map((m) => [m.step, m.value]),
    );
    expect(ddpLoss.size).toBe(12);
  }, 300_000);

  it(`matches the app's two-worker data-parallel trainer within ${LOSS_TOLERANCE} (relative) over ${COMPARED_STEPS} steps`, async () => {
    const data = prepareData({ dataset: 'cohort', split: 'hyb' }, { store, resolutionMin: config.resolutionMin });
    const base = await loadCheckpoint(TINY_MODEL_DIR);
    const points: MetricPoint[] = [];
    const result = await runTrainingLoop({
      config,
      options,
      network: initialNetwork(config, { config: base.config, weights: base.weights }),
      data,
      outputDir: join(tmp.dir, 'app-run'),
      loggingDir: join(tmp.dir, 'app-run', 'logs'),
      runId: null,
      resume: false,
      shouldCancel: () => false,
      sink: { metrics: (p) => points.push(...p), progress: () => undefined, checkpoint: () => undefined },
    });
    expect(result.device).toBe('cpu');
    expect(config.batchSize).toBeGreaterThanOrEqual(2 * MIN_WORKER_BATCH);
    const appLoss = new Map(points.filter((p) => p.name === 'train/loss').map((p) => [p.step, p.value]));
    const appValid0 = points.find((p) => p.name === 'eval/loss' && p.step === 0)!.value;
    const ddpValid0 = readFileSync(join(jobDir, 'output', 'metrics.jsonl'), 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { step: number; name: string; value: number })
      .find((m) => m.name === 'eval/loss' && m.step === 0)!.value;
    // Same windows, same starting weights: the validation loss before training agrees closely.
    expect(Math.abs(appValid0 - ddpValid0) / appValid0).toBeLessThan(1e-5);
    console.log(`cluster equivalence: initial validation loss app ${appValid0} vs DDP ${ddpValid0}`);
    let worst = 0;
    for (let step = 1; step <= COMPARED_STEPS; step++) {
      const a = appLoss.get(step)!;
      const d = ddpLoss.get(step)!;
      worst = Math.max(worst, Math.abs(a - d) / Math.abs(a));
    }
    console.log(`cluster equivalence: worst relative train/loss difference over ${COMPARED_STEPS} steps = ${worst.toExponential(2)}`);
    expect(worst).toBeLessThan(LOSS_TOLERANCE);
  }, 120_000);

  it('resumes a stopped job from its last checkpoint and ends where the uninterrupted job ended', () => {
    const resumed = join(tmp.dir, 'job-resumed');
    cpSync(jobDir, resumed, { recursive: true });
    rmSync(join(resumed, 'output'), { recursive: true });
    const run = (env: Record<string, string>) =>
      spawnSync(PYTHON, [join(resumed, 'train_ttm.py')], {
        cwd: resumed,
        env: { ...process.env, PYTHONPATH: REFERENCE, OMP_NUM_THREADS: '1', ...env },
        encoding: 'utf8',
        timeout: 120_000,
      });
    // One process with the whole batch: the same global batches as the two-process job.
    const first = run({ TTM_STUDIO_STOP_AFTER_STEP: '7' });
    expect(first.status, first.stderr).toBe(75);
    expect(existsSync(join(resumed, 'output', 'result.json'))).toBe(false);
    const second = run({});
    expect(second.status, second.stderr).toBe(0);
    expect(second.stdout).toContain('resuming from');
    expect(second.stdout).toContain('at step 5');
    const losses = readFileSync(join(resumed, 'output', 'metrics.jsonl'), 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { step: number; name: string; value: number })
      .filter((m) => m.name === 'train/loss');
    // Steps 6 and 7 ran twice; the later values win, and they continue the same curve.
    const last = new Map(losses.map((m) => [m.step, m.value]));
    for (let step = 6; step <= 12; step++) expect(Math.abs(last.get(step)! - ddpLoss.get(step)!) / ddpLoss.get(step)!).toBeLessThan(1e-5);
  }, 300_000);

  it("imports the best checkpoint as a model and a run of kind 'external', reproducing the job's forecasts to 1e-4", async () => {
    const summary = await service.invoke('jobs.import', { dir: jobDir });
    expect(summary.modelName).toBe('tiny-cluster');
    expect(summary.check.windows).toBeGreaterThan(0);
    expect(summary.check.maxAbsDiff).toBeLessThanOrEqual(1e-4);
    console.log(`cluster import check: ${summary.check.windows} windows, max |app − PyTorch| = ${summary.check.maxAbsDiff.toExponential(2)}`);
    const run = await service.invoke('runs.get', { run: summary.runId });
    expect(run).toMatchObject({ kind: 'external', status: 'completed' });
    expect(run.datasetId).not.toBeNull();
    expect(run.lastMetrics['train/loss']?.step).toBe(12);
    expect(run.checkpoints.filter((c) => c.best)).toHaveLength(1);
    expect(store.runs.metrics(summary.runId, 'train/loss')).toHaveLength(12);
    expect(store.models.resolve('tiny-cluster').path).toContain(join('runs', String(summary.runId)));
    // The same name twice is refused, not overwritten; an imported run resumes where it ran.
    await expect(service.invoke('jobs.import', { dir: jobDir })).rejects.toThrow(/exists already/);
    await expect(service.invoke('train.resume', { run: summary.runId })).rejects.toThrow(/resumes where it ran/);
  }, 120_000);

  it('evaluates the imported model like a local one', async () => {
    const res = await service.invoke('forecast.evaluate', { model: 'tiny-cluster', dataset: 'cohort', split: 'hyb', stride: 12 });
    expect(res.status).toBe('completed');
    const report = res.result?.report as { model: { name: string }; models: { name: string }[] };
    expect(report.model.name).toBe('tiny-cluster');
    // The model report of the external run: its model, its loss curve, this evaluation.
    const run = store.runs.list({ kind: 'external' })[0]!;
    const doc = await service.invoke('reports.generate', { run: run.id });
    expect(doc.kind).toBe('model');
    expect(doc.title).toContain('tiny-cluster');
    const html = readFileSync(doc.path, 'utf8');
    expect(html).toContain('Model trained by this run');
    // The training-curves section draws the job's curves (no "not available" in it).
    const training = html.slice(html.indexOf('id="training"'), html.indexOf('</section>', html.indexOf('id="training"')));
    expect(training).toContain('Steps recorded');
    expect(training).not.toMatch(/not available/);
  }, 120_000);

  it('refuses a tampered checkpoint: its forecasts no longer match the job', async () => {
    const tampered = join(tmp.dir, 'job-tampered');
    cpSync(jobDir, tampered, { recursive: true });
    const weights = join(tampered, 'output', 'checkpoints', 'best', 'model.safetensors');
    const buf = readFileSync(weights);
    // The last 4 bytes are a float of the head's bias: nudge it.
    buf.writeFloatLE(buf.readFloatLE(buf.length - 4) + 0.01, buf.length - 4);
    writeFileSync(weights, buf);
    await expect(service.invoke('jobs.import', { dir: tampered, name: 'tampered' })).rejects.toThrow(/does not reproduce the job's forecasts/);
    expect(store.models.list().some((m) => m.name === 'tampered')).toBe(false);
    expect(jobWindowInputs(tampered, DataIndexSchema.parse(JSON.parse(readFileSync(join(tampered, 'data', 'index.json'), 'utf8'))), 'val', 3).count).toBe(3);
  }, 120_000);
});
