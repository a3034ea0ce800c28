import { randomUUID } from 'node:crypto';
import type { ApiEvent } from './contract.js';

export interface ProgressReporter {
  readonly operationId: string;
  readonly signal: AbortSignal;
  /** Reports work done so far; events are throttled so a tight loop can call it freely. */
  update(done: number, total?: number | null, message?: string): void;
  /** Throws a CANCELLED StudioError when the operation was cancelled. */
  throwIfCancelled(): void;
}

interface Running {
  controller: AbortController;
  label: string;
}

/**
 * Long operations (imports, checks, training launches…): each gets an id, an AbortSignal
 * and throttled progress events with elapsed time and ETA.
 */
export class OperationRegistry {
  private readonly running = new Map<string, Running>();

  constructor(
    private readonly emit: (event: ApiEvent) => void,
    private readonly throttleMs = 100,
  ) {}

  async run<T>(label: string, unit: string, operationId: string | undefined, work: (p: ProgressReporter) => Promise<T>): Promise<T> {
    const id = operationId ?? randomUUID();
    if (this.running.has(id)) throw new Error(`operation ${id} is already running`);
    const controller = new AbortController();
    this.running.set(id, { controller, label });
    const started = performance.now();
    let lastEmit = -Infinity;
    const reporter: ProgressReporter = {
      operationId: id,
      signal: controller.signal,
      update: (done, total = null, message) => {
        const now = performance.now();
        const finished = total !== null && done >= total;
        if (!finished && now - lastEmit < this.throttleMs) return;
        lastEmit = now;
        const elapsedMs = now - started;
        const etaMs = total !== null && total > 0 && done > 0 ? (elapsedMs / done) * Math.max(0, total - done) : null;
        const event: ApiEvent = { type: 'progress', operationId: id, label, done, total, unit, elapsedMs, etaMs };
        if (message !== undefined) event.message = message;
        this.emit(event);
      },
      throwIfCancelled: () => {
        if (controller.signal.aborted) {
          const reason: unknown = controller.signal.reason;
          throw reason instanceof Error ? reason : new Error(String(reason));
        }
      },
    };
    try {
      const result = await work(reporter);
      this.emit({ type: 'operation.end', operationId: id, status: 'completed' });
      return result;
    } catch (e) {
      const cancelled = controller.signal.aborted;
      this.emit({ type: 'operation.end', operationId: id, status: cancelled ? 'cancelled' : 'failed', message: e instanceof Error ? e.message : String(e) });
      throw e;
    } finally {
      this.running.delete(id);
    }
  }

  cancel(operationId: string, reason: Error): boolean {
    const op = this.running.get(operationId);
    if (op === undefined) return false;
    op.controller.abort(reason);
    return true;
  }

  cancelAll(reason: Error): void {
    for (const op of this.running.values()) op.controller.abort(reason);
  }

  get size(): number {
    return this.running.size;
  }
}
