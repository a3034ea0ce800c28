/**
 * The app's trainer versus the exported cluster job on this machine: training samples/s of
 * the same fine-tune (r2 512-96 fixture, batch 64, default TTMConfig otherwise) in the app
 * (two-worker data parallel on 2 threads) and in train_ttm.py on 1 process and on 2 processes
 * (torchrun, gloo). Needs Debian's python3-torch at /usr/bin/python3; without it the section
 * says so and reports nothing. docs/cluster.md quotes these rows.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { exportClusterJob } from '../../src-main/engine/cluster/export-job.js';
import { JobResultSchema } from '../../src-main/engine/cluster/job-files.js';
import { createSplit } from '../../src-main/engine/data/splits.js';
import { prepareData } from '../../src-main/engine/data/prepared-data.js';
import { runTrainingLoop } from '../../src-main/engine/jobs/loop.js';
import { TrainOptionsSchema } from '../../src-main/engine/jobs/protocol.js';
import { simulateIntoStore } from '../../src-main/engine/sim/output.js';
import { SimulationSettingsSchema } from '../../src-main/engine/sim/settings.js';
import { Store } from '../../src-main/engine/store/index.js';
import { loadCheckpoint } from '../../src-main/engine/ttm/checkpoint.js';
import { initialNetwork } from '../../src-main/engine/ttm/study-model.js';
import { parseTtmConfig } from '../../src-main/engine/ttm/ttm-config.js';
import { median, spreadOf, type BenchRow, type BenchSection } from '../harness.js';

const FIXTURE = new URL('../../../../shared/fixtures/ttm/r2_512_96/', import.meta.url).pathname;
const REFERENCE = new URL('../../../../shared/reference/pytorch-ttm/', import.meta.url).pathname;
const PYTHON = '/usr/bin/python3';

function row(name: string, values: number[], note: string): BenchRow {
  return { section: 'cluster', name, value: median(values), unit: 'samples/s', spread: spreadOf(values), repeats: values.length, note };
}

export const clusterBench: BenchSection = async (ctx) => {
  if (!existsSync(PYTHON) || spawnSync(PYTHON, ['-c', 'import torch'], { stdio: 'ignore' }).status !== 0) {
    ctx.log('cluster: /usr/bin/python3 has no torch (apt-get install python3-torch); section skipped');
    return [];
  }
  const dir = mkdtempSync(join(tmpdir(), 'ttm-bench-cluster-'));
  const rounds = ctx.quick ? 1 : 2;
  const steps = ctx.quick ? 10 : 30;
  const batch = 64;
  try {
    const store = Store.open(join(dir, 'studio.sqlite'));
    await simulateIntoStore(store, SimulationSettingsSchema.parse({ patients: 4, days: 10, seed: 5 }), { name: 'bench' });
    const ds = store.datasets.resolve('bench');
    const split = createSplit(store, ds.id, 's', { kind: 'temporal', testFraction: 0.2, valFraction: 0.15, gapMin: 0, holdoutFraction: 0.1, seed: 1 });
    const model = store.models.upsert({ name: 'r2', source: 'local', path: FIXTURE });
    const config = parseTtmConfig({ modelPath: FIXTURE, batchSize: batch, numEpochs: 1, earlyStoppingPatience: 0, threads: 2 });
    const options = TrainOptionsSchema.parse({
      maxSteps: steps,
      trainStride: 2,
      evalStride: 24,
      validateEverySteps: 1_000_000,
      checkpointEverySteps: 1_000_000,
      maxValWindows: 64,
    });
    const jobDir = join(dir, 'job');
    await exportClusterJob({ store, dataset: ds.id, split: split.id, model, config, options, name: 'bench', outDir: jobDir });
    const base = await loadCheckpoint(FIXTURE);

    const app: number[] = [];
    const one: number[] = [];
    const two: number[] = [];
    const job = (processes: number): number => {
      rmSync(join(jobDir, 'output'), { recursive: true, force: true });
      const env = { ...process.env, PYTHONPATH: REFERENCE };
      const args =
        processes === 1
          ? [join(jobDir, 'train_ttm.py')]
          : [
              '-m',
              'torch.distributed.run',
              '--standalone',
              '--nproc_per_node',
              String(processes),
              '--redirects',
              '1',
              '--tee',
              '1',
              join(jobDir, 'train_ttm.py'),
            ];
      const r = spawnSync(PYTHON, args, { cwd: jobDir, env, encoding: 'utf8', timeout: 600_000 });
      if (r.status !== 0) throw new Error(`train_ttm.py on ${processes} process(es) failed:\n${r.stdout}\n${r.stderr}`);
      return JobResultSchema.parse(JSON.parse(readFileSync(join(jobDir, 'output', 'result.json'), 'utf8'))).samplesPerSecond;
    };
    // Debian's torch uses the system BLAS: the reference libblas runs ~3 GFLOP/s, OpenBLAS
    // (libopenblas0-pthread) 5–30× more. The row says which one these figures had.
    const mm = spawnSync(
      PYTHON,
      [
        '-c',
        'import time, torch\na = torch.randn(4096, 512); b = torch.randn(512, 512); a @ b\nt = time.time()\nfor _ in range(5): a @ b\nprint(2 * 4096 * 512 * 512 * 5 / (time.time() - t) / 1e9)',
      ],
      { encoding: 'utf8' },
    );
    const torchGflops = Number(mm.stdout.trim());
    for (let r = 0; r < rounds; r++) {
      const data = prepareData({ dataset: ds.id, split: split.id }, { store, lockSplit: true });
      const res = await runTrainingLoop({
        config,
        options,
        network: initialNetwork(config, { config: base.config, weights: base.weights }),
        data,
        outputDir: join(dir, 'app', String(r)),
        loggingDir: join(dir, 'app', String(r), 'logs'),
        runId: null,
        resume: false,
        shouldCancel: () => false,
        sink: { metrics: () => undefined, progress: () => undefined, checkpoint: () => undefined },
      });
      app.push(res.samplesPerSecond);
      one.push(job(1));
      two.push(job(2));
      ctx.log(`cluster: round ${r + 1}/${rounds}: app ${app.at(-1)!.toFixed(0)}, DDP 1 ${one.at(-1)!.toFixed(0)}, DDP 2 ${two.at(-1)!.toFixed(0)} samples/s`);
    }
    store.close();
    const note = `r2 512-96, ${config.freezeBackbone ? 'frozen backbone' : 'full model'}, batch ${batch}, ${steps} steps, this machine's CPUs`;
    return [
      row('app trainer (2 threads, data parallel)', app, note),
      row('train_ttm.py, 1 process', one, `${note}; torch's threads and its BLAS's`),
      row('train_ttm.py, torchrun 2 processes (gloo)', two, `${note}; 1 thread per process`),
      {
        section: 'cluster',
        name: 'torch MatMul [4096,512]×[512,512]',
        value: torchGflops,
        unit: 'GFLOP/s',
        spread: 0,
        repeats: 1,
        note: 'the BLAS behind these torch figures (reference libblas ≈ 3)',
      },
      {
        section: 'cluster',
        name: 'DDP 2 processes vs 1, speed-up',
        value: median(two) / median(one),
        unit: '×',
        spread: 0,
        repeats: rounds,
        note: 'scaling on one 2-core machine',
      },
      {
        section: 'cluster',
        name: 'app vs train_ttm.py 1 process',
        value: median(app) / median(one),
        unit: '×',
        spread: 0,
        repeats: rounds,
        note: 'same job, same machine',
      },
    ];
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
};
