/**
 * Shared set-up for the training and forecasting integration tests: a small simulated
 * cohort in a real SQLite store with a hybrid split, the tiny TTM fixture registered as a
 * model (read from ../shared, never copied), and a host that runs the compiled worker.
 */
import { join } from 'node:path';
import { createSplit } from '../../../src-main/engine/data/splits.js';
import { simulateIntoStore } from '../../../src-main/engine/sim/output.js';
import { SimulationSettingsSchema } from '../../../src-main/engine/sim/settings.js';
import { Store } from '../../../src-main/engine/store/index.js';
import type { ApiEvent } from '../../../src-main/engine/api/contract.js';
import { TrainingHost } from '../../../src-main/engine/train/host.js';
import type { TrainJob, TrainOptionsInput } from '../../../src-main/engine/train/protocol.js';
import type { TTMConfigInput } from '../../../src-main/engine/ttm/ttm-config.js';
import { SHARED_FIXTURES } from '../../helpers/tmp.js';

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

export function host(store: Store, events: ApiEvent[] = []): TrainingHost {
  return new TrainingHost({ store, emit: (e) => events.push(e) });
}
