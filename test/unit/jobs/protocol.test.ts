/**
 * The worker protocol and the loop's data order: messages are validated both ways, and the
 * per-epoch order is a seeded permutation (same seed → same order; another epoch or seed →
 * another order), which is what makes resume-within-an-epoch exact.
 */
import { describe, expect, it } from 'vitest';
import { epochOrder } from '../../../src-main/engine/jobs/loop.js';
import { HostMessageSchema, TrainOptionsSchema, WorkerMessageSchema } from '../../../src-main/engine/jobs/protocol.js';

describe('worker protocol', () => {
  it('accepts each worker message and rejects malformed ones', () => {
    const ok = [
      { type: 'started', pid: 12, device: 'cpu', fallbackMessage: null, totalSteps: 10 },
      {
        type: 'progress',
        epoch: 0.5,
        step: 3,
        totalSteps: 10,
        trainLoss: 0.4,
        validLoss: null,
        learningRate: 1e-4,
        samplesPerSecond: 900,
        elapsedMs: 120,
        etaMs: 280,
      },
      { type: 'checkpoint', step: 4, epoch: 0.6, path: '/r/checkpoints/last', best: false, validLoss: null },
      { type: 'finished', result: { steps: 10 } },
      { type: 'failed', code: 'RUNTIME', message: 'diverged' },
      { type: 'cancelled', step: 5, checkpoint: '/r/checkpoints/last' },
    ];
    for (const m of ok) expect(WorkerMessageSchema.safeParse(m).success, JSON.stringify(m)).toBe(true);
    expect(WorkerMessageSchema.safeParse({ type: 'progress', step: 1 }).success).toBe(false);
    expect(WorkerMessageSchema.safeParse({ type: 'finished', result: { a: 1 }, extra: true }).success).toBe(false);
    expect(WorkerMessageSchema.safeParse({ ...ok[1], trainLoss: Number.NaN }).success).toBe(false);
  });

  it('validates host messages and fills training option defaults', () => {
    expect(HostMessageSchema.safeParse({ type: 'cancel' }).success).toBe(true);
    expect(HostMessageSchema.safeParse({ type: 'start', job: { kind: 'train' } }).success).toBe(false);
    const o = TrainOptionsSchema.parse({});
    expect(o).toMatchObject({ schedule: 'one-cycle', validateEverySteps: null, checkpointEverySteps: null, trainStride: 1 });
    expect(TrainOptionsSchema.safeParse({ schedule: 'step' }).success).toBe(false);
    expect(TrainOptionsSchema.safeParse({ trainStride: 0 }).success).toBe(false);
  });
});

describe('epoch order', () => {
  it('is a seeded permutation per epoch', () => {
    const a = epochOrder(1000, 7, 0);
    expect(Array.from(a).sort((x, y) => x - y)).toEqual(Array.from({ length: 1000 }, (_, i) => i));
    expect(Array.from(epochOrder(1000, 7, 0))).toEqual(Array.from(a));
    expect(Array.from(epochOrder(1000, 7, 1))).not.toEqual(Array.from(a));
    expect(Array.from(epochOrder(1000, 8, 0))).not.toEqual(Array.from(a));
  });
});
