import { mkdirSync } from 'node:fs';
import type { z } from 'zod';
import { StudioError, cancelledError, toStudioError } from '../errors.js';
import { createLogger, type Logger } from '../logger.js';
import { dataDirLayout, type DataDirLayout } from '../paths.js';
import { Store } from '../store/index.js';
import { formatZodIssues } from '../util/json.js';
import { METHODS, isMethodName, type ApiEvent, type ApiResponse, type MethodName } from './contract.js';
import type { CallContext, Handlers } from './handlers/context.js';
import { clusterHandlers } from './handlers/cluster.js';
import { coreHandlers } from './handlers/core.js';
import { datasetHandlers } from './handlers/datasets.js';
import { dataImportHandlers } from './handlers/data-import.js';
import { modelHandlers } from './handlers/models.js';
import { patientHandlers } from './handlers/patients.js';
import { qualityHandlers } from './handlers/quality.js';
import { runHandlers } from './handlers/runs.js';
import { trainHandlers } from './handlers/train.js';
import { reportHandlers } from './handlers/report.js';
import { splitHandlers } from './handlers/splits.js';
import { forecastHandlers } from './handlers/forecast.js';
import { TrainingHost, type SpawnWorker } from '../jobs/host.js';
import { OperationRegistry } from './operations.js';

// Handlers written before handlers/context.ts existed import these from here.
export type { CallContext, Handler, Handlers } from './handlers/context.js';

export interface StudioServiceOptions {
  dataDir: string;
  logger?: Logger;
  electronVersion?: string | null;
  /** How training workers are started (Electron passes a utilityProcess-based one; default: child_process.fork). */
  spawnWorker?: SpawnWorker;
}

/**
 * The one implementation of StudioApi. Transports hand it a method name and an untrusted
 * payload; it validates both, runs the handler and validates what it returns.
 */
export class StudioService {
  readonly store: Store;
  readonly layout: DataDirLayout;
  readonly operations: OperationRegistry;
  readonly logger: Logger;
  readonly training: TrainingHost;
  private readonly listeners = new Set<(event: ApiEvent) => void>();
  private readonly handlers: Handlers;
  private readonly ctx: CallContext;

  constructor(options: StudioServiceOptions) {
    this.layout = dataDirLayout(options.dataDir);
    mkdirSync(this.layout.root, { recursive: true });
    this.logger = options.logger ?? createLogger({ logsDir: this.layout.logs });
    this.store = Store.open(this.layout.database);
    this.operations = new OperationRegistry((e) => this.emit(e));
    // Each domain contributes its handlers; the annotation makes a missing method a compile error.
    const handlers: Handlers = {
      ...coreHandlers,
      ...datasetHandlers,
      ...dataImportHandlers,
      ...patientHandlers,
      ...qualityHandlers,
      ...splitHandlers,
      ...modelHandlers,
      ...runHandlers,
      ...trainHandlers,
      ...clusterHandlers,
      ...reportHandlers,
      ...forecastHandlers,
    };
    this.handlers = handlers;
    const emit = (e: ApiEvent): void => this.emit(e);
    this.training = new TrainingHost({ store: this.store, emit, ...(options.spawnWorker !== undefined ? { spawn: options.spawnWorker } : {}) });
    this.ctx = {
      training: this.training,
      store: this.store,
      layout: this.layout,
      operations: this.operations,
      logger: this.logger,
      electronVersion: options.electronVersion ?? null,
      emit,
    };
    const orphans = this.store.runs.markOrphansInterrupted(isProcessAlive);
    if (orphans > 0) this.logger.warn('runs left running by a stopped process were marked interrupted', { count: orphans });
  }

  /** Entry point for every transport: `payload` is untrusted. */
  async call(method: string, payload: unknown): Promise<unknown> {
    if (!isMethodName(method)) throw new StudioError('NOT_FOUND', `Unknown API method "${String(method).slice(0, 80)}".`);
    const spec = METHODS[method];
    const parsed = spec.request.safeParse(payload ?? {});
    if (!parsed.success) throw new StudioError('INVALID_INPUT', `Invalid request for ${method}: ${formatZodIssues(parsed.error)}`);
    const handler = this.handlers[method] as (req: unknown, ctx: CallContext) => unknown;
    let result: unknown;
    try {
      result = await handler(parsed.data, this.ctx);
    } catch (e) {
      const err = toStudioError(e);
      if (err.code !== 'CANCELLED' && err.code !== 'NOT_FOUND' && err.code !== 'INVALID_INPUT' && err.code !== 'CONFLICT') {
        this.logger.error(`${method} failed`, { code: err.code, message: err.message });
      }
      throw err;
    }
    const checked = spec.response.safeParse(result);
    if (!checked.success) {
      this.logger.error(`${method} returned a malformed response`, { issues: formatZodIssues(checked.error) });
      throw new StudioError('INTERNAL', `${method} produced a malformed response (${formatZodIssues(checked.error)}). This is a bug; please report it.`);
    }
    return checked.data;
  }

  /** Typed convenience for in-process callers (CLI, tests). */
  async invoke<M extends MethodName>(method: M, request: z.input<(typeof METHODS)[M]['request']>): Promise<ApiResponse<M>> {
    return (await this.call(method, request)) as ApiResponse<M>;
  }

  subscribe(listener: (event: ApiEvent) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  emit(event: ApiEvent): void {
    for (const l of this.listeners) {
      try {
        l(event);
      } catch (e) {
        this.logger.warn('event listener threw', { message: e instanceof Error ? e.message : String(e) });
      }
    }
  }

  close(): void {
    this.operations.cancelAll(cancelledError('Shutdown'));
    // Workers still running stop after their current step with a checkpoint (resumable).
    this.training.detach();
    this.store.close();
  }
}

function isProcessAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}
