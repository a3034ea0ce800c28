/**
 * TrainingHost against a fake worker (no process): statuses follow the worker's messages,
 * progress becomes `run` events, a worker that exits without a final message leaves the run
 * interrupted, and a malformed message fails the run instead of being half-understood.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { ApiEvent } from '../../../src-main/engine/api/contract.js';
import { Store } from '../../../src-main/engine/store/index.js';
import { TrainingHost, type WorkerProcess } from '../../../src-main/engine/jobs/host.js';
import type { HostMessage, WorkerJobInput } from '../../../src-main/engine/jobs/protocol.js';

class FakeWorker implements WorkerProcess {
  readonly pid = 4242;
  sent: HostMessage[] = [];
  private message: (raw: unknown) => void = () => undefined;
  private exit: (code: number | null, signal: string | null) => void = () => undefined;
  killed: string | undefined;
  send(m: HostMessage): void {
    this.sent.push(m);
  }
  onMessage(l: (raw: unknown) => void): void {
    this.message = l;
  }
  onExit(l: (code: number | null, signal: string | null) => void): void {
    this.exit = l;
  }
  kill(signal?: NodeJS.Signals): void {
    this.killed = signal;
  }
  emit(m: unknown): void {
    this.message(m);
  }
  die(signal: string): void {
    this.exit(null, signal);
  }
}

describe('TrainingHost', () => {
  let store: Store;
  let worker: FakeWorker;
  let events: ApiEvent[];
  let host: TrainingHost;
  const job = (runId: number): WorkerJobInput => ({
    kind: 'evaluate',
    runId,
    databaseFile: ':memory:',
    modelDir: '/models/x',
    modelId: null,
    data: { dataset: 'd', split: 's' },
  });
  beforeEach(() => {
    store = Store.open(':memory:');
    worker = new FakeWorker();
    events = [];
    host = new TrainingHost({ store, emit: (e) => events.push(e), spawn: () => worker, workerScript: 'unused.js' });
  });
  afterEach(() => store.close());

  it('relays progress and completes the run', async () => {
    const run = store.runs.create({ kind: 'evaluate' });
    const h = host.start(job(run.id));
    expect(worker.sent[0]?.type).toBe('start');
    expect(store.runs.get(run.id)).toMatchObject({ status: 'running', workerPid: 4242 });
    worker.emit({ type: 'started', pid: 4242, device: 'cpu', fallbackMessage: null, totalSteps: null });
    worker.emit({
      type: 'progress',
      epoch: 0,
      step: 1,
      totalSteps: 4,
      trainLoss: null,
      validLoss: null,
      learningRate: null,
      samplesPerSecond: 0,
      elapsedMs: 5,
      etaMs: 15,
    });
    worker.emit({ type: 'finished', result: { evaluationId: 1 } });
    expect(await h.done).toEqual({ status: 'completed', result: { evaluationId: 1 } });
    expect(store.runs.get(run.id)).toMatchObject({ status: 'completed', result: { evaluationId: 1 }, workerPid: null });
    expect(events.some((e) => e.type === 'run' && e.step === 1 && e.totalSteps === 4 && e.etaMs === 15)).toBe(true);
    // A late exit after the final message changes nothing.
    worker.die('SIGTERM');
    expect(store.runs.get(run.id).status).toBe('completed');
  });

  it('marks the run interrupted when the worker dies without a final message', async () => {
    const run = store.runs.create({ kind: 'evaluate' });
    const h = host.start(job(run.id));
    worker.die('SIGKILL');
    const end = await h.done;
    expect(end.status).toBe('interrupted');
    expect(store.runs.get(run.id).status).toBe('interrupted');
    expect(store.runs.get(run.id).error).toMatch(/SIGKILL.*run it again/);
  });

  it('fails the run on a malformed message and kills the worker; cancel sends a cancel message', async () => {
    const run = store.runs.create({ kind: 'evaluate' });
    const h = host.start(job(run.id));
    expect(host.cancel(run.id)).toBe(true);
    expect(worker.sent[1]).toEqual({ type: 'cancel' });
    worker.emit({ type: 'progress', step: 'three' });
    expect((await h.done).status).toBe('failed');
    expect(worker.killed).toBe('SIGKILL');
    expect(store.runs.get(run.id).error).toMatch(/malformed/);
    expect(host.cancel(run.id)).toBe(false);
  });
});
