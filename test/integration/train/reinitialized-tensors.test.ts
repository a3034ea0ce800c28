/**
 * Training may adapt a base model to the data's channels, but the run's
 * record lists the tensors it re-initialised (here the tiny common-channel model switches to
 * mix_channel decoding for covariates), and is empty when the model is used as it is.
 */
import { describe, expect, it } from 'vitest';
import { host, trainJob, useCohortStore } from './helpers.js';

describe("a training run's record of re-initialised tensors", () => {
  const cohort = useCohortStore();

  it('lists the decoder tensors re-initialised for covariates, with their shapes', async () => {
    const run = cohort.store.runs.create({ kind: 'train', config: {} });
    const end = await host(cohort.store).start(
      trainJob(cohort.store, cohort.dir, run.id, { config: { inputFeatures: ['iob', 'cob'], numEpochs: 1 }, options: { maxSteps: 1 } }),
    ).done;
    expect(end.status, JSON.stringify(end)).toBe('completed');
    const result = cohort.store.runs.get(run.id).result as {
      baseModelChannels: number;
      reinitializedTensors: { name: string; from: number[] | null; to: number[] }[];
    };
    expect(result.baseModelChannels).toBe(2);
    expect(result.reinitializedTensors.length).toBeGreaterThan(0);
    for (const t of result.reinitializedTensors) {
      expect(t.name).toMatch(/decoder|head/);
      expect(t.to.length).toBeGreaterThan(0);
    }
  }, 120_000);

  it('is empty when the base model fits the data as it is', async () => {
    const run = cohort.store.runs.create({ kind: 'train', config: {} });
    const end = await host(cohort.store).start(trainJob(cohort.store, cohort.dir, run.id, { config: { numEpochs: 1 }, options: { maxSteps: 1 } })).done;
    expect(end.status, JSON.stringify(end)).toBe('completed');
    expect((cohort.store.runs.get(run.id).result as { reinitializedTensors: unknown[] }).reinitializedTensors).toEqual([]);
  }, 120_000);
});
