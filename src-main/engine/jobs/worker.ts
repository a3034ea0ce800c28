/**
 * Entry point of the training worker process. The same file runs under
 *  - Node: `child_process.fork(worker.js)` — messages via process.send / process.on('message');
 *  - Electron: `utilityProcess.fork(worker.js)` — messages via process.parentPort
 *    (postMessage / on('message') with the payload in `event.data`).
 *
 * onnxruntime blocks the thread it runs on, which is why training, prediction and evaluation
 * all live here and never on Electron's main thread or the web host's request thread.
 *
 * The worker takes one job per process, then exits. A cancel message is honoured after the
 * current step (training) or batch (prediction). If the parent goes away, the worker exits:
 * an orphaned trainer would keep writing to a store nobody watches.
 */
import { toStudioError } from '../errors.js';
import { runEvaluateJob, runPredictJob, runTrainJob, type JobHooks, type JobOutcome } from './jobs.js';
import { HostMessageSchema, WorkerMessageSchema, type WorkerJob, type WorkerMessageInput } from './protocol.js';

/** Electron's parentPort, typed locally so the engine does not import Electron. */
interface ParentPort {
  postMessage(message: unknown): void;
  on(event: 'message', listener: (e: { data: unknown }) => void): void;
}

interface Channel {
  send(message: WorkerMessageInput): void;
  onMessage(listener: (raw: unknown) => void): void;
}

function channel(): Channel {
  const parentPort = (process as unknown as { parentPort?: ParentPort }).parentPort;
  const check = (m: WorkerMessageInput): unknown => WorkerMessageSchema.parse(m);
  if (parentPort !== undefined) {
    return { send: (m) => parentPort.postMessage(check(m)), onMessage: (l) => parentPort.on('message', (e) => l(e.data)) };
  }
  if (typeof process.send === 'function') {
    process.on('disconnect', () => process.exit(3));
    return { send: (m) => process.send!(check(m)), onMessage: (l) => process.on('message', l) };
  }
  throw new Error('The training worker must be started by the TTM Studio training host (no IPC channel).');
}

const finite = (v: number | null): number | null => (v !== null && Number.isFinite(v) ? v : null);

async function runJob(job: WorkerJob, ch: Channel, isCancelled: () => boolean): Promise<JobOutcome> {
  const hooks: JobHooks = {
    started: (s) => ch.send({ type: 'started', pid: process.pid, device: s.device, fallbackMessage: s.fallbackMessage, totalSteps: s.totalSteps }),
    progress: (p) =>
      ch.send({
        type: 'progress',
        epoch: p.epoch,
        step: p.step,
        totalSteps: p.totalSteps,
        trainLoss: finite(p.trainLoss),
        validLoss: finite(p.validLoss),
        learningRate: finite(p.learningRate),
        samplesPerSecond: Number.isFinite(p.samplesPerSecond) ? p.samplesPerSecond : 0,
        elapsedMs: p.elapsedMs,
        etaMs: finite(p.etaMs),
        ...(p.message !== undefined ? { message: p.message } : {}),
      }),
    checkpoint: (c) => ch.send({ type: 'checkpoint', step: c.step, epoch: c.epoch, path: c.path, best: c.best, validLoss: finite(c.validLoss) }),
    shouldCancel: isCancelled,
  };
  switch (job.kind) {
    case 'train':
      return runTrainJob(job, hooks);
    case 'predict':
      return runPredictJob(job, hooks);
    case 'evaluate':
      return runEvaluateJob(job, hooks);
  }
}

function main(): void {
  const ch = channel();
  let cancelled = false;
  let started = false;
  // Another process (`ttm-studio runs cancel` from a second terminal) cancels with SIGTERM:
  // stop after the current step, with a checkpoint, like a cancel message.
  process.on('SIGTERM', () => {
    cancelled = true;
    if (!started) process.exit(0);
  });
  // Ctrl+C in a terminal signals the whole process group, this worker included: treat it as
  // a cancel too (the parent asks the same), so the run ends with a checkpoint, not killed.
  process.on('SIGINT', () => {
    cancelled = true;
    if (!started) process.exit(0);
  });
  ch.onMessage((raw) => {
    const parsed = HostMessageSchema.safeParse(raw);
    if (!parsed.success) {
      ch.send({
        type: 'failed',
        code: 'INTERNAL',
        message: `The training worker received a malformed message: ${parsed.error.issues[0]?.message ?? 'invalid'}.`,
      });
      return;
    }
    const msg = parsed.data;
    if (msg.type === 'cancel') {
      cancelled = true;
      return;
    }
    if (started) {
      ch.send({ type: 'failed', code: 'CONFLICT', message: 'This worker already runs a job; start a new worker per job.' });
      return;
    }
    started = true;
    runJob(msg.job, ch, () => cancelled)
      .then((outcome) => {
        if (outcome.status === 'completed') ch.send({ type: 'finished', result: JSON.parse(JSON.stringify(outcome.result)) as Record<string, unknown> });
        else ch.send({ type: 'cancelled', step: outcome.step, checkpoint: outcome.checkpoint });
      })
      .catch((e: unknown) => {
        const err = toStudioError(e);
        ch.send({ type: 'failed', code: err.code, message: err.message });
      })
      // Let the last message flush before leaving.
      .finally(() => setTimeout(() => process.exit(0), 50));
  });
}

main();
