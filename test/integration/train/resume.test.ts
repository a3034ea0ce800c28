/**
 * Interruptions: a cancelled run and a run whose worker was killed (kill -9) both resume from
 * their last checkpoint and end with exactly the parameters of an uninterrupted run with the
 * same seed (same optimizer state, step count and data order). A loss that turns NaN stops
 * the run with a clear message and leaves the last good checkpoint in place.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { TrainingHost } from '../../../src-main/engine/jobs/host.js';
import { loadCheckpoint } from '../../../src-main/engine/ttm/checkpoint.js';
import { cancellingHost, host, privateSpawn, trainJob, useCohortStore } from './helpers.js';

// Long enough (120 steps) that a cancel or kill sent at step 4 always lands mid-run, even on a loaded machine.
const STEPS = 120;
const OPTIONS = { maxSteps: STEPS, validateEverySteps: 10, checkpointEverySteps: 4 };
// maxSteps caps epochs × steps per epoch: enough epochs that the step cap is what binds.
const LONG = { numEpochs: 100 };

describe('cancel, kill and resume', () => {
  const cohort = useCohortStore();
  let reference: Buffer;
  beforeAll(async () => {
    const run = cohort.store.runs.create({ kind: 'train', config: {} });
    const end = await host(cohort.store).start(trainJob(cohort.store, cohort.dir, run.id, { config: LONG, options: OPTIONS })).done;
    expect(end.status, JSON.stringify(end)).toBe('completed');
    reference = readFileSync(join(cohort.dir, 'runs', String(run.id), 'checkpoints', 'last', 'model.safetensors'));
  });

  const lastWeights = (runId: number): Buffer => readFileSync(join(cohort.dir, 'runs', String(runId), 'checkpoints', 'last', 'model.safetensors'));

  it('cancel mid-run, then resume: bit-identical final parameters', async () => {
    const run = cohort.store.runs.create({ kind: 'train', config: {} });
    const h = cancellingHost(cohort.store, 4);
    const end = await h.start(trainJob(cohort.store, cohort.dir, run.id, { config: LONG, options: OPTIONS })).done;
    expect(end.status).toBe('cancelled');
    const stoppedAt = end.status === 'cancelled' ? end.step! : 0;
    expect(stoppedAt).toBeGreaterThanOrEqual(4);
    expect(stoppedAt).toBeLessThan(STEPS);
    expect(cohort.store.runs.get(run.id).status).toBe('cancelled');
    const ck = await loadCheckpoint(join(cohort.dir, 'runs', String(run.id), 'checkpoints', 'last'));
    expect(ck.trainingState?.step).toBe(stoppedAt);

    const resumed = await host(cohort.store).start(trainJob(cohort.store, cohort.dir, run.id, { config: LONG, options: OPTIONS, resume: true })).done;
    expect(resumed.status, JSON.stringify(resumed)).toBe('completed');
    expect(cohort.store.runs.get(run.id).status).toBe('completed');
    expect(lastWeights(run.id).equals(reference)).toBe(true);
    // One loss point per step, even across the interruption.
    expect(cohort.store.runs.metrics(run.id, 'train/loss').map((m) => m.step)).toEqual(Array.from({ length: STEPS }, (_, i) => i + 1));
  });

  it('kill -9 of the worker leaves an interrupted, resumable run', async () => {
    const run = cohort.store.runs.create({ kind: 'train', config: {} });
    let pid = 0;
    const h = new TrainingHost({
      store: cohort.store,
      spawn: privateSpawn,
      emit: () => undefined,
      onMessage: (_id, m) => {
        if (m.type === 'started') pid = m.pid;
        if (m.type === 'checkpoint' && !m.best && m.step === 4) process.kill(pid, 'SIGKILL');
      },
    });
    const end = await h.start(trainJob(cohort.store, cohort.dir, run.id, { config: LONG, options: OPTIONS })).done;
    expect(end.status).toBe('interrupted');
    const row = cohort.store.runs.get(run.id);
    expect(row.status).toBe('interrupted');
    expect(row.error).toMatch(/resume/);
    const resumed = await host(cohort.store).start(trainJob(cohort.store, cohort.dir, run.id, { config: LONG, options: OPTIONS, resume: true })).done;
    expect(resumed.status, JSON.stringify(resumed)).toBe('completed');
    expect(lastWeights(run.id).equals(reference)).toBe(true);
    expect(cohort.store.runs.metrics(run.id, 'train/loss').map((m) => m.step)).toEqual(Array.from({ length: STEPS }, (_, i) => i + 1));
  });

  it('stops on a NaN loss with a clear message and keeps the last good checkpoint', async () => {
    const run = cohort.store.runs.create({ kind: 'train', config: {} });
    const end = await host(cohort.store).start(
      trainJob(cohort.store, cohort.dir, run.id, { config: LONG, options: { ...OPTIONS, faultInjection: { nanAtStep: 6 } } }),
    ).done;
    expect(end.status).toBe('failed');
    const message = end.status === 'failed' ? end.message : '';
    expect(message).toMatch(/NaN or infinite at step 6/);
    expect(message).toMatch(/last good checkpoint is kept/);
    expect(cohort.store.runs.get(run.id).status).toBe('failed');
    const ck = await loadCheckpoint(join(cohort.dir, 'runs', String(run.id), 'checkpoints', 'last'));
    expect(ck.trainingState?.step).toBe(4);
    for (const w of ck.weights.values()) for (const v of w.data as Float32Array) expect(Number.isFinite(v)).toBe(true);
    expect(cohort.store.runs.metrics(run.id, 'train/loss').map((m) => m.step)).toEqual([1, 2, 3, 4, 5]);
  });

  it('refuses to resume on different training windows (the data order would change)', async () => {
    const run = cohort.store.runs.create({ kind: 'train', config: {} });
    const first = await host(cohort.store).start(trainJob(cohort.store, cohort.dir, run.id, { config: LONG, options: { ...OPTIONS, maxSteps: 4 } })).done;
    expect(first.status).toBe('completed');
    const end = await host(cohort.store).start(
      trainJob(cohort.store, cohort.dir, run.id, { config: LONG, options: { ...OPTIONS, trainStride: 5 }, resume: true }),
    ).done;
    expect(end.status).toBe('failed');
    expect(end.status === 'failed' ? end.message : '').toMatch(/training data changed since run \d+ was checkpointed/);
  });
});

describe('data-parallel training (2 threads: gradient workers)', () => {
  const cohort = useCohortStore();
  const DP = { config: { ...LONG, threads: 2, batchSize: 32 }, options: { maxSteps: 40, validateEverySteps: 10, checkpointEverySteps: 4 } };

  it('trains, and a cancelled run resumes to bit-identical final parameters', async () => {
    const ref = cohort.store.runs.create({ kind: 'train', config: {} });
    const end = await host(cohort.store).start(trainJob(cohort.store, cohort.dir, ref.id, DP)).done;
    expect(end.status, JSON.stringify(end)).toBe('completed');
    const losses = cohort.store.runs.metrics(ref.id, 'train/loss').map((m) => m.value);
    expect(losses).toHaveLength(40);
    expect(losses.every(Number.isFinite)).toBe(true);
    const reference = readFileSync(join(cohort.dir, 'runs', String(ref.id), 'checkpoints', 'last', 'model.safetensors'));

    const run = cohort.store.runs.create({ kind: 'train', config: {} });
    const h = cancellingHost(cohort.store, 4);
    expect((await h.start(trainJob(cohort.store, cohort.dir, run.id, DP)).done).status).toBe('cancelled');
    const resumed = await host(cohort.store).start(trainJob(cohort.store, cohort.dir, run.id, { ...DP, resume: true })).done;
    expect(resumed.status, JSON.stringify(resumed)).toBe('completed');
    expect(readFileSync(join(cohort.dir, 'runs', String(run.id), 'checkpoints', 'last', 'model.safetensors')).equals(reference)).toBe(true);
  });
});
