import { ApiError, type ApiEvent, type StudioApi } from '../../src-main/engine/api/contract.js';
import { errorMessage, newOperationId } from './format.js';

export type OperationStatus = 'idle' | 'running' | 'completed' | 'failed' | 'cancelled';

/**
 * One long operation as the UI follows it: a client-chosen id, progress from the service's
 * 'progress' events (done/total, elapsed, ETA), a cancel button, and how it ended.
 */
export class Operation {
  status = $state<OperationStatus>('idle');
  label = $state('');
  done = $state(0);
  total = $state<number | null>(null);
  unit = $state('');
  message = $state<string | null>(null);
  elapsedMs = $state(0);
  etaMs = $state<number | null>(null);
  error = $state<string | null>(null);
  cancelling = $state(false);
  id: string | null = null;
  private startedAt = 0;
  private etaAt = 0;
  private etaBase: number | null = null;

  constructor(
    private readonly api: StudioApi,
    private readonly prefix = 'op',
  ) {}

  get running(): boolean {
    return this.status === 'running';
  }

  /** Fraction done in [0, 1], or null while the total is unknown. */
  get fraction(): number | null {
    return this.total === null || this.total <= 0 ? null : Math.min(1, this.done / this.total);
  }

  /** Feeds one event; ignores events of other operations. Exposed for tests. */
  onEvent(e: ApiEvent): void {
    if (e.type !== 'progress' || e.operationId !== this.id || this.status !== 'running') return;
    this.label = e.label;
    this.done = e.done;
    this.total = e.total;
    this.unit = e.unit;
    this.message = e.message ?? this.message;
    this.etaBase = e.etaMs;
    this.etaAt = performance.now();
    this.etaMs = e.etaMs;
  }

  /**
   * Runs `work` with a fresh operation id. Resolves to its result, or undefined when it was
   * cancelled or failed (then `status` and `error` say which and why).
   */
  async run<T>(label: string, work: (operationId: string) => Promise<T>): Promise<T | undefined> {
    if (this.running) throw new Error('operation already running');
    this.id = newOperationId(this.prefix);
    this.status = 'running';
    this.label = label;
    this.done = 0;
    this.total = null;
    this.unit = '';
    this.message = null;
    this.error = null;
    this.etaMs = null;
    this.etaBase = null;
    this.cancelling = false;
    this.startedAt = performance.now();
    this.elapsedMs = 0;
    const unsubscribe = this.api.subscribe((e) => this.onEvent(e));
    const timer = setInterval(() => this.tick(), 250);
    try {
      const value = await work(this.id);
      this.status = 'completed';
      return value;
    } catch (e) {
      if ((e instanceof ApiError && e.code === 'CANCELLED') || this.cancelling) {
        this.status = 'cancelled';
      } else {
        this.status = 'failed';
        this.error = errorMessage(e);
      }
      return undefined;
    } finally {
      clearInterval(timer);
      this.tick();
      unsubscribe();
    }
  }

  private tick(): void {
    const now = performance.now();
    this.elapsedMs = now - this.startedAt;
    if (this.etaBase !== null) this.etaMs = Math.max(0, this.etaBase - (now - this.etaAt));
  }

  async cancel(): Promise<void> {
    if (!this.running || this.id === null) return;
    this.cancelling = true;
    try {
      await this.api.call('operations.cancel', { operationId: this.id });
    } catch (e) {
      this.error = `Could not cancel: ${errorMessage(e)}`;
    }
  }

  reset(): void {
    if (!this.running) {
      this.status = 'idle';
      this.error = null;
    }
  }
}
