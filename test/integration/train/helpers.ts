/**
 * Shared set-up for the training and forecasting integration tests: a small simulated
 * cohort in a real SQLite store with a hybrid split, the tiny TTM fixture registered as a
 * model (read from ../shared, never copied), and a host that runs the compiled worker.
 */
import { cpSync, existsSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll } from 'vitest';
import { createSplit } from '../../../src-main/engine/data/splits.js';
import { simulateIntoStore } from '../../../src-main/engine/sim/output.js';
import { SimulationSettingsSchema } from '../../../src-main/engine/sim/settings.js';
import { Store } from '../../../src-main/engine/store/index.js';
import type { ApiEvent } from '../../../src-main/engine/api/contract.js';
import { TrainingHost, nodeSpawn, type SpawnWorker } from '../../../src-main/engine/jobs/host.js';
import type { TrainJob, TrainOptionsInput } from '../../../src-main/engine/jobs/protocol.js';
import type { TTMConfigInput } from '../../../src-main/engine/ttm/ttm-config.js';
import { REPO_ROOT, SHARED_FIXTURES, tempDir } from '../../helpers/tmp.js';

export const TINY_MODEL_DIR = join(SHARED_FIXTURES, 'ttm', 'tiny');

export async function cohortStore(dir: string, patients = 3, days = 4): Promise<Store> {
  const store = Store.open(join(dir, 'studio.sqlite'));
  await simulateIntoStore(store, SimulationSettingsSchema.parse({ patients, days, seed: 3 }), { name: 'cohort' });
  const ds = store.datasets.resolve('cohort');
  createSplit(store, ds.id, 'hyb', {
    kind: 'hybrid',
    testFraction: 0.2,
    valFraction: 0.2,
    gapMin: 0,
    holdoutPatients: ['sim-003'],
    holdoutFraction: 0.1,
    seed: 1,
  });
  return store;
}

export const TINY_CONFIG: TTMConfigInput = {
  modelPath: TINY_MODEL_DIR,
  contextLength: 64,
  forecastLength: 16,
  batchSize: 16,
  learningRate: 1e-3,
  numEpochs: 2,
  trainingMode: 'fine_tune',
  freezeBackbone: true,
  earlyStoppingPatience: 0,
  threads: 1,
  seed: 7,
};

export function trainJob(
  store: Store,
  dir: string,
  runId: number,
  over: { config?: TTMConfigInput; options?: TrainOptionsInput; resume?: boolean } = {},
): TrainJob {
  return {
    kind: 'train',
    runId,
    databaseFile: store.file,
    outputDir: join(dir, 'runs', String(runId)),
    loggingDir: join(dir, 'runs', String(runId), 'logs'),
    baseModelDir: TINY_MODEL_DIR,
    config: { ...TINY_CONFIG, ...over.config },
    options: {
      schedule: 'one-cycle',
      validateEverySteps: 5,
      checkpointEverySteps: 4,
      trainStride: 6,
      evalStride: 6,
      maxTrainWindows: null,
      maxValWindows: 256,
      maxSteps: null,
      ...over.options,
    },
    data: { dataset: 'cohort', split: 'hyb' },
    resume: over.resume ?? false,
    modelName: `trained-${runId}`,
  };
}

/**
 * A private copy of the compiled engine for this test file's workers. Other people's test
 * runs rebuild build/src-main (emptying it for a second) while ours run; a worker forked in
 * that second would die. build/ keeps everything except src-main and bench across rebuilds,
 * and packages still resolve from the repo's node_modules. Removed at process exit.
 */
let privateScript: string | null = null;
export function privateWorkerScript(): string {
  if (privateScript !== null) return privateScript;
  const root = join(REPO_ROOT, 'build', `.test-engine-${process.pid}`);
  const marker = join('engine', 'jobs', 'worker.js');
  for (let attempt = 0; attempt < 20; attempt++) {
    try {
      rmSync(root, { recursive: true, force: true });
      cpSync(join(REPO_ROOT, 'build', 'src-main'), join(root, 'src-main'), { recursive: true });
      if (existsSync(join(root, 'src-main', marker)) && existsSync(join(root, 'src-main', 'engine', 'jobs', 'jobs.js'))) break;
    } catch {
      // a rebuild was under way: try again shortly
    }
    Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 250);
  }
  process.once('exit', () => rmSync(root, { recursive: true, force: true }));
  privateScript = join(root, 'src-main', marker);
  return privateScript;
}

/** Forks workers from the private copy. */
export const privateSpawn: SpawnWorker = () => nodeSpawn(privateWorkerScript());

export function host(store: Store, events: ApiEvent[] = []): TrainingHost {
  return new TrainingHost({ store, emit: (e) => events.push(e), spawn: privateSpawn });
}

/**
 * Registers beforeAll/afterAll hooks (in the enclosing describe) that open cohortStore in a
 * fresh temporary folder, then close the store and remove the folder. `dir` is there at once;
 * `store` from beforeAll on.
 */
export function useCohortStore(): { readonly dir: string; readonly store: Store } {
  const tmp = tempDir();
  let opened: Store | null = null;
  beforeAll(async () => {
    opened = await cohortStore(tmp.dir);
  });
  afterAll(() => {
    opened?.close();
    tmp.cleanup();
  });
  return {
    dir: tmp.dir,
    get store(): Store {
      if (opened === null) throw new Error('the cohort store opens in beforeAll');
      return opened;
    },
  };
}

/** A host like host() (events dropped) that cancels a run when the run writes its regular checkpoint at `step`. */
export function cancellingHost(store: Store, step: number): TrainingHost {
  const h: TrainingHost = new TrainingHost({
    store,
    spawn: privateSpawn,
    emit: () => undefined,
    onMessage: (id, m) => {
      if (m.type === 'checkpoint' && !m.best && m.step === step) h.cancel(id);
    },
  });
  return h;
}
