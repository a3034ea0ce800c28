/**
 * TrainingHost: the service-side half of the worker protocol. It forks one worker process
 * per job (Node: child_process.fork of the compiled worker under build/; Electron can pass a
 * `spawn` built on utilityProcess.fork), relays the worker's messages as `run` events, keeps
 * the run's status in the store, and marks a run `interrupted` (resumable) when its worker
 * exits without a final message (kill -9, crash, out of memory).
 */
import { fork } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { StudioError } from '../errors.js';
import type { Store } from '../store/index.js';
import type { RunStatus } from '../store/runs.js';
import { WorkerJobSchema, WorkerMessageSchema, type HostMessage, type WorkerJobInput, type WorkerMessage } from './protocol.js';

/** The little a host needs from a child process; both Node's ChildProcess and an Electron adapter provide it. */
export interface WorkerProcess {
  readonly pid: number | undefined;
  send(message: HostMessage): void;
  onMessage(listener: (raw: unknown) => void): void;
  onExit(listener: (code: number | null, signal: string | null) => void): void;
  kill(signal?: NodeJS.Signals): void;
}

export type SpawnWorker = (script: string) => WorkerProcess;

/** The compiled worker: next to this module when running from build/, else build/ of the repo (tests run sources). */
export function workerScriptPath(): string {
  const sibling = fileURLToPath(new URL('./worker.js', import.meta.url));
  if (existsSync(sibling)) return sibling;
  const built = sibling.replace(/([\\/])src-main([\\/])engine([\\/])jobs([\\/])worker\.js$/, '$1build$1src-main$2engine$3jobs$4worker.js');
  // In a development tree, `node scripts/build-main.mjs` empties build/ for about a second
  // while it recompiles: wait that out (bounded) instead of failing a run started meanwhile.
  const pause = new Int32Array(new SharedArrayBuffer(4));
  for (let i = 0; i < 50 && !existsSync(built); i++) Atomics.wait(pause, 0, 0, 100);
  if (existsSync(built)) return built;
  throw new StudioError('INTERNAL', `The training worker script is missing (${built}); run \`node scripts/build-main.mjs\` first.`);
}

export const nodeSpawn: SpawnWorker = (script) => {
  // The worker needs no stdin; its stderr goes to ours so a crash leaves a trace.
  const child = fork(script, [], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'], serialization: 'json' });
  return {
    pid: child.pid,
    send: (m) => {
      if (child.connected) child.send(m);
    },
    onMessage: (l) => child.on('message', l),
    // 'close' comes after the IPC channel has delivered everything, so a final message sent
    // just before exiting is never mistaken for a crash.
    onExit: (l) => child.on('close', (code, signal) => l(code, signal)),
    kill: (s) => child.kill(s),
  };
};

/** The part of Electron's UtilityProcess the host uses (typed here so the engine does not import Electron). */
export interface UtilityProcessLike {
  readonly pid: number | undefined;
  postMessage(message: unknown): void;
  on(event: 'message', listener: (message: unknown) => void): unknown;
  on(event: 'exit', listener: (code: number) => void): unknown;
  kill(): boolean;
}

/**
 * Electron: `new StudioService({ spawnWorker: utilityProcessSpawn((s) => utilityProcess.fork(s, [], { serviceName: 'TTM training' })) })`.
 * The worker sees `process.parentPort` and answers through it.
 */
export function utilityProcessSpawn(forkUtility: (script: string) => UtilityProcessLike): SpawnWorker {
  return (script) => {
    const child = forkUtility(script);
    return {
      pid: child.pid,
      send: (m) => child.postMessage(m),
      onMessage: (l) => child.on('message', l),
      onExit: (l) => child.on('exit', (code) => l(code, null)),
      kill: () => child.kill(),
    };
  };
}

export type JobEnd =
  | { status: 'completed'; result: Record<string, unknown> }
  | { status: 'failed'; code: string; message: string }
  | { status: 'cancelled'; step: number | null; checkpoint: string | null }
  | { status: 'interrupted'; message: string };

export interface JobHandle {
  runId: number;
  pid: number | undefined;
  done: Promise<JobEnd>;
  cancel(): void;
}

/**
 * What the host reports about its runs. The API's `run` and `data.changed` events accept
 * exactly these (the service passes its emitter, so the compiler checks they stay in step);
 * declared here so jobs/ does not depend on the API layer above it.
 */
export type HostEvent =
  | {
      type: 'run';
      runId: number;
      status: RunStatus;
      epoch?: number;
      step?: number;
      totalSteps?: number;
      trainLoss?: number;
      validLoss?: number;
      learningRate?: number;
      samplesPerSecond?: number;
      elapsedMs?: number;
      etaMs?: number | null;
      device?: string;
      message?: string;
    }
  | { type: 'data.changed'; what: 'runs' };

export interface TrainingHostOptions {
  store: Store;
  emit: (event: HostEvent) => void;
  spawn?: SpawnWorker;
  workerScript?: string;
  /** Extra listener for every validated worker message (tests, bench). */
  onMessage?: (runId: number, m: WorkerMessage) => void;
}

export class TrainingHost {
  private readonly active = new Map<number, { worker: WorkerProcess; handle: JobHandle }>();
  private detached = false;

  constructor(private readonly o: TrainingHostOptions) {}

  start(jobInput: WorkerJobInput): JobHandle {
    const job = WorkerJobSchema.parse(jobInput);
    const runId = job.runId;
    if (this.active.has(runId)) throw new StudioError('CONFLICT', `Run ${runId} is already running.`);
    const worker = (this.o.spawn ?? nodeSpawn)(this.o.workerScript ?? workerScriptPath());
    const store = this.o.store;
    store.runs.markRunning(runId, worker.pid ?? null, null);
    this.o.emit({ type: 'run', runId, status: 'running', message: `worker ${worker.pid ?? '?'} started` });
    this.o.emit({ type: 'data.changed', what: 'runs' });
    let ended: JobEnd | null = null;
    let resolveDone!: (e: JobEnd) => void;
    const done = new Promise<JobEnd>((r) => (resolveDone = r));
    const end = (e: JobEnd): void => {
      if (ended !== null) return;
      ended = e;
      if (this.detached) {
        this.active.delete(runId);
        resolveDone(e);
        return;
      }
      switch (e.status) {
        case 'completed':
          store.runs.finish(runId, 'completed', { result: e.result });
          this.o.emit({ type: 'run', runId, status: 'completed' });
          break;
        case 'failed':
          store.runs.finish(runId, 'failed', { error: e.message });
          this.o.emit({ type: 'run', runId, status: 'failed', message: e.message });
          break;
        case 'cancelled':
          store.runs.finish(runId, 'cancelled', {
            error: e.checkpoint === null ? 'Cancelled.' : `Cancelled after step ${e.step}; resume continues from ${e.checkpoint}.`,
          });
          this.o.emit({ type: 'run', runId, status: 'cancelled', ...(e.step !== null ? { step: e.step } : {}) });
          break;
        case 'interrupted':
          store.runs.finish(runId, 'interrupted', { error: e.message });
          this.o.emit({ type: 'run', runId, status: 'interrupted', message: e.message });
          break;
      }
      this.o.emit({ type: 'data.changed', what: 'runs' });
      this.active.delete(runId);
      resolveDone(e);
    };
    worker.onMessage((raw) => {
      const parsed = WorkerMessageSchema.safeParse(raw);
      if (!parsed.success) {
        end({ status: 'failed', code: 'INTERNAL', message: `The worker sent a malformed message: ${parsed.error.issues[0]?.message ?? 'invalid'}.` });
        worker.kill('SIGKILL');
        return;
      }
      const m = parsed.data;
      this.o.onMessage?.(runId, m);
      switch (m.type) {
        case 'started':
          store.runs.markRunning(runId, m.pid, m.device);
          this.o.emit({ type: 'run', runId, status: 'running', device: m.device, ...(m.fallbackMessage !== null ? { message: m.fallbackMessage } : {}) });
          break;
        case 'progress':
          this.o.emit({
            type: 'run',
            runId,
            status: 'running',
            epoch: m.epoch,
            step: m.step,
            totalSteps: m.totalSteps,
            ...(m.trainLoss !== null ? { trainLoss: m.trainLoss } : {}),
            ...(m.validLoss !== null ? { validLoss: m.validLoss } : {}),
            ...(m.learningRate !== null ? { learningRate: m.learningRate } : {}),
            samplesPerSecond: m.samplesPerSecond,
            elapsedMs: m.elapsedMs,
            etaMs: m.etaMs,
            ...(m.message !== undefined ? { message: m.message } : {}),
          });
          break;
        case 'checkpoint':
          this.o.emit({ type: 'run', runId, status: 'running', step: m.step, message: `${m.best ? 'best' : 'checkpoint'} saved at step ${m.step}` });
          break;
        case 'finished':
          end({ status: 'completed', result: m.result });
          break;
        case 'failed':
          end({ status: 'failed', code: m.code, message: m.message });
          break;
        case 'cancelled':
          end({ status: 'cancelled', step: m.step, checkpoint: m.checkpoint });
          break;
      }
    });
    worker.onExit((code, signal) => {
      end({
        status: 'interrupted',
        message: `The worker process stopped unexpectedly (${signal !== null ? `signal ${signal}` : `exit code ${code}`}); ${
          job.kind === 'train' ? 'resume the run to continue from its last checkpoint.' : 'run it again.'
        }`,
      });
    });
    worker.send({ type: 'start', job: jobInput });
    const handle: JobHandle = { runId, pid: worker.pid, done, cancel: () => worker.send({ type: 'cancel' }) };
    this.active.set(runId, { worker, handle });
    return handle;
  }

  /** Asks a run's worker to stop after its current step; false when the run is not active here. */
  cancel(runId: number): boolean {
    const a = this.active.get(runId);
    if (a === undefined) return false;
    a.handle.cancel();
    return true;
  }

  isActive(runId: number): boolean {
    return this.active.has(runId);
  }

  /**
   * The store is closing: ask every worker to stop after its step (it checkpoints), and stop
   * writing statuses. A worker whose parent is gone exits; the next service start marks its
   * run interrupted, and it can be resumed.
   */
  detach(): void {
    this.detached = true;
    for (const a of this.active.values()) a.handle.cancel();
  }

  /** Stops every worker (app shutdown): a cancel first, then a kill if it does not leave. */
  async shutdown(graceMs = 5000): Promise<void> {
    const all = [...this.active.values()];
    for (const a of all) a.handle.cancel();
    await Promise.race([Promise.all(all.map((a) => a.handle.done)), new Promise((r) => setTimeout(r, graceMs).unref())]);
    for (const a of this.active.values()) a.worker.kill('SIGKILL');
  }
}
