/**
 * Training in the worker process, end to end on a real store: the run's metrics land in
 * run_metrics and TensorBoard files, the best checkpoint is registered as a trained model,
 * and a fixed seed gives the same loss curve twice.
 */
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { ApiEvent } from '../../../src-main/engine/api/contract.js';
import { loadCheckpoint } from '../../../src-main/engine/ttm/checkpoint.js';
import { host, trainJob, useCohortStore } from './helpers.js';
import { readScalars } from './tfevents.js';

describe('training worker', () => {
  const cohort = useCohortStore();

  it('trains in a child process, stores metrics, TensorBoard events and the trained model', async () => {
    const run = cohort.store.runs.create({ kind: 'train', config: {} });
    const events: ApiEvent[] = [];
    const h = host(cohort.store, events);
    const handle = h.start(trainJob(cohort.store, cohort.dir, run.id));
    expect(handle.pid).not.toBe(process.pid);
    const end = await handle.done;
    expect(end.status, JSON.stringify(end)).toBe('completed');
    const row = cohort.store.runs.get(run.id);
    expect(row.status).toBe('completed');
    const losses = cohort.store.runs.metrics(run.id, 'train/loss');
    const total = (end.status === 'completed' ? end.result.totalSteps : 0) as number;
    expect(total).toBeGreaterThan(4);
    expect(losses.map((m) => m.step)).toEqual(Array.from({ length: total }, (_, i) => i + 1));
    expect(cohort.store.runs.metrics(run.id, 'eval/loss').length).toBeGreaterThan(0);
    expect(cohort.store.runs.metrics(run.id, 'train/learning_rate')).toHaveLength(total);
    const logs = join(cohort.dir, 'runs', String(run.id), 'logs');
    const files = readdirSync(logs).filter((f) => f.startsWith('events.out.tfevents.'));
    expect(files).toHaveLength(1);
    // The event file holds the same curve as run_metrics (float32 there).
    const scalars = readScalars(readFileSync(join(logs, files[0]!)));
    const tbLoss = scalars.filter((x) => x.tag === 'train/loss');
    expect(tbLoss.map((x) => x.step)).toEqual(losses.map((m) => m.step));
    tbLoss.forEach((x, i) => expect(x.value).toBe(Math.fround(losses[i]!.value)));
    expect(scalars.filter((x) => x.tag === 'eval/loss').map((x) => x.step)).toEqual(cohort.store.runs.metrics(run.id, 'eval/loss').map((m) => m.step));
    const model = cohort.store.models.resolve(`trained-${run.id}`);
    expect(model.source).toBe('trained');
    expect(existsSync(join(model.path, 'model.safetensors'))).toBe(true);
    expect(existsSync(join(model.path, 'preprocessor.json'))).toBe(true);
    const progress = events.filter((e) => e.type === 'run' && e.step !== undefined && e.trainLoss !== undefined);
    expect(progress.length).toBeGreaterThan(0);
    // Progress says what the loop is doing, including the stages that take a while.
    const messages = new Set(events.flatMap((e) => (e.type === 'run' && e.message !== undefined ? [e.message] : [])));
    expect(messages).toContain('training');
    expect([...messages].some((m) => /^validating on \d+ windows$/.test(m))).toBe(true);
    expect(messages).toContain('saving the checkpoint and the TensorBoard events');
    expect(events.some((e) => e.type === 'run' && e.status === 'completed')).toBe(true);
  });

  it('gives the same loss curve for the same seed', async () => {
    const curves: number[][] = [];
    for (let k = 0; k < 2; k++) {
      const run = cohort.store.runs.create({ kind: 'train', config: {} });
      const end = await host(cohort.store).start(trainJob(cohort.store, cohort.dir, run.id, { options: { maxSteps: 6, validateEverySteps: 3 } })).done;
      expect(end.status, JSON.stringify(end)).toBe('completed');
      curves.push(cohort.store.runs.metrics(run.id, 'train/loss').map((m) => m.value));
    }
    expect(curves[0]).toHaveLength(6);
    expect(curves[1]).toEqual(curves[0]);
    // A different seed orders the batches differently.
    const run = cohort.store.runs.create({ kind: 'train', config: {} });
    await host(cohort.store).start(trainJob(cohort.store, cohort.dir, run.id, { config: { seed: 8 }, options: { maxSteps: 6, validateEverySteps: 3 } })).done;
    expect(cohort.store.runs.metrics(run.id, 'train/loss').map((m) => m.value)).not.toEqual(curves[0]);
  });

  it('trains with covariates through mix_channel decoding (input_features iob, cob)', async () => {
    const run = cohort.store.runs.create({ kind: 'train', config: {} });
    const end = await host(cohort.store).start(
      trainJob(cohort.store, cohort.dir, run.id, { config: { inputFeatures: ['iob', 'cob'] }, options: { maxSteps: 3 } }),
    ).done;
    expect(end.status, JSON.stringify(end)).toBe('completed');
    const ck = await loadCheckpoint(join(cohort.dir, 'runs', String(run.id), 'checkpoints', 'last'));
    expect(ck.config.decoder_mode).toBe('mix_channel');
    expect(ck.config.num_input_channels).toBe(3);
    expect(ck.config.prediction_channel_indices).toEqual([0]);
    expect(ck.preprocessor?.channels.map((c) => `${c.name}:${c.role}`)).toEqual(['bg_mM:target', 'iob:conditional', 'cob:conditional']);
  });

  it('stops early when validation loss stops improving and keeps the best checkpoint', async () => {
    const run = cohort.store.runs.create({ kind: 'train', config: {} });
    // lr 10 with a constant schedule makes every step after the first worse on validation.
    const end = await host(cohort.store).start(
      trainJob(cohort.store, cohort.dir, run.id, {
        config: { learningRate: 10, earlyStoppingPatience: 2 },
        options: { schedule: 'constant', maxSteps: 30, validateEverySteps: 1 },
      }),
    ).done;
    expect(end.status, JSON.stringify(end)).toBe('completed');
    const r = end.status === 'completed' ? end.result : {};
    expect(r.earlyStopped).toBe(true);
    // The starting model (step 0) is a candidate too: "best" is the lowest of all validations.
    const evals = cohort.store.runs.metrics(run.id, 'eval/loss');
    expect(evals[0]?.step).toBe(0);
    const best = evals.reduce((a, b) => (b.value < a.value ? b : a));
    expect(r.bestStep).toBe(best.step);
    expect(r.steps).toBe(best.step + 2);
    expect(r.modelDir).toMatch(/checkpoints[\\/]best$/);
    const ck = await loadCheckpoint(String(r.modelDir));
    expect(ck.trainingState?.step).toBe(best.step);
  });

  it('hands back the starting weights when no step beats them on validation', async () => {
    const run = cohort.store.runs.create({ kind: 'train', config: {} });
    const end = await host(cohort.store).start(
      trainJob(cohort.store, cohort.dir, run.id, {
        config: { learningRate: 10, earlyStoppingPatience: 3 },
        options: { schedule: 'constant', maxSteps: 30, validateEverySteps: 1 },
      }),
    ).done;
    expect(end.status, JSON.stringify(end)).toBe('completed');
    const r = end.status === 'completed' ? end.result : {};
    const evals = cohort.store.runs.metrics(run.id, 'eval/loss');
    const initial = evals.find((m) => m.step === 0)!.value;
    // lr 10 ruins the network at once: every later validation is worse than the start.
    expect(evals.filter((m) => m.step > 0).every((m) => m.value > initial)).toBe(true);
    expect(r.bestStep).toBe(0);
    expect(r.bestValidLoss).toBeCloseTo(initial, 12);
    // The model handed back is the checkpoint written before the first step.
    expect(r.modelDir).toMatch(/checkpoints[\\/]best$/);
    const trained = await loadCheckpoint(String(r.modelDir));
    expect(trained.trainingState?.step).toBe(0);
  });

  it('--max-steps caps the epochs, never extends them', async () => {
    const totals = [];
    for (const maxSteps of [null, 100_000]) {
      const run = cohort.store.runs.create({ kind: 'train', config: {} });
      const end = await host(cohort.store).start(
        trainJob(cohort.store, cohort.dir, run.id, { config: { numEpochs: 1 }, options: { maxSteps, validateEverySteps: 1000, checkpointEverySteps: 1000 } }),
      ).done;
      expect(end.status, JSON.stringify(end)).toBe('completed');
      totals.push(end.status === 'completed' ? end.result.totalSteps : null);
    }
    expect(totals[0]).toBeGreaterThan(1);
    expect(totals[1]).toBe(totals[0]);
  });

  it('weighs the loss by horizon step when lossHorizonSteps is set, and validates with the same weights', async () => {
    const runs = [];
    for (const config of [{ lossHorizonSteps: null }, { lossHorizonSteps: 4, lossTailWeight: 0 }]) {
      const run = cohort.store.runs.create({ kind: 'train', config: {} });
      const end = await host(cohort.store).start(trainJob(cohort.store, cohort.dir, run.id, { config, options: { maxSteps: 2, validateEverySteps: 1 } })).done;
      expect(end.status, JSON.stringify(end)).toBe('completed');
      runs.push(cohort.store.runs.metrics(run.id, 'eval/loss').find((m) => m.step === 0)!.value);
    }
    // Same starting model and windows: only the loss weights differ, so the step-0 validation
    // losses differ (errors grow with the horizon, so the first 4 steps alone score lower).
    expect(runs[1]).toBeLessThan(runs[0]!);
  });
});
