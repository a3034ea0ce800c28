import { StudioError } from '../errors.js';
import { nowIso } from '../util/json.js';
import type { RunKind } from '../run-kinds.js';
import type { Db } from './database.js';

export { isTrainingRun, type RunKind } from '../run-kinds.js';

export type RunStatus = 'queued' | 'running' | 'completed' | 'failed' | 'cancelled' | 'interrupted';

export interface RunRow {
  id: number;
  kind: RunKind;
  status: RunStatus;
  datasetId: number | null;
  splitId: number | null;
  modelId: number | null;
  config: Record<string, unknown>;
  device: string | null;
  seed: number | null;
  outputDir: string | null;
  result: Record<string, unknown> | null;
  error: string | null;
  workerPid: number | null;
  createdAt: string;
  startedAt: string | null;
  finishedAt: string | null;
}

export interface RunMetric {
  step: number;
  epoch: number | null;
  name: string;
  value: number;
  ts: number;
}

interface RunDbRow {
  id: number;
  kind: RunKind;
  status: RunStatus;
  dataset_id: number | null;
  split_id: number | null;
  model_id: number | null;
  config_json: string;
  device: string | null;
  seed: number | null;
  output_dir: string | null;
  result_json: string | null;
  error: string | null;
  worker_pid: number | null;
  created_at: string;
  started_at: string | null;
  finished_at: string | null;
}

function toRun(r: RunDbRow): RunRow {
  return {
    id: r.id,
    kind: r.kind,
    status: r.status,
    datasetId: r.dataset_id,
    splitId: r.split_id,
    modelId: r.model_id,
    config: JSON.parse(r.config_json) as Record<string, unknown>,
    device: r.device,
    seed: r.seed,
    outputDir: r.output_dir,
    result: r.result_json === null ? null : (JSON.parse(r.result_json) as Record<string, unknown>),
    error: r.error,
    workerPid: r.worker_pid,
    createdAt: r.created_at,
    startedAt: r.started_at,
    finishedAt: r.finished_at,
  };
}

export class RunRepository {
  constructor(private readonly db: Db) {}

  create(input: {
    kind: RunKind;
    datasetId?: number | null;
    splitId?: number | null;
    modelId?: number | null;
    config?: Record<string, unknown>;
    device?: string | null;
    seed?: number | null;
    outputDir?: string | null;
  }): RunRow {
    const info = this.db
      .prepare(
        `INSERT INTO runs (kind, status, dataset_id, split_id, model_id, config_json, device, seed, output_dir, created_at)
         VALUES (?, 'queued', ?, ?, ?, ?, ?, ?, ?, ?)`,
      )
      .run(
        input.kind,
        input.datasetId ?? null,
        input.splitId ?? null,
        input.modelId ?? null,
        JSON.stringify(input.config ?? {}),
        input.device ?? null,
        input.seed ?? null,
        input.outputDir ?? null,
        nowIso(),
      );
    return this.get(Number(info.lastInsertRowid));
  }

  get(id: number): RunRow {
    const r = this.db.prepare('SELECT * FROM runs WHERE id = ?').get(id) as RunDbRow | undefined;
    if (r === undefined) throw new StudioError('NOT_FOUND', `Run ${id} does not exist. List runs with \`ttm-studio runs list\`.`);
    return toRun(r);
  }

  list(filter: { kind?: RunKind; status?: RunStatus } = {}): RunRow[] {
    const rows = this.db
      .prepare('SELECT * FROM runs WHERE (? IS NULL OR kind = ?) AND (? IS NULL OR status = ?) ORDER BY id DESC')
      .all(filter.kind ?? null, filter.kind ?? null, filter.status ?? null, filter.status ?? null) as RunDbRow[];
    return rows.map(toRun);
  }

  setOutputDir(id: number, outputDir: string): void {
    this.db.prepare('UPDATE runs SET output_dir = ? WHERE id = ?').run(outputDir, id);
  }

  markRunning(id: number, workerPid: number | null, device: string | null): void {
    this.db
      .prepare(
        "UPDATE runs SET status = 'running', worker_pid = ?, device = COALESCE(?, device), started_at = COALESCE(started_at, ?), error = NULL WHERE id = ?",
      )
      .run(workerPid, device, nowIso(), id);
  }

  finish(id: number, status: Exclude<RunStatus, 'queued' | 'running'>, outcome: { result?: Record<string, unknown> | null; error?: string | null } = {}): void {
    this.db
      .prepare('UPDATE runs SET status = ?, result_json = COALESCE(?, result_json), error = ?, worker_pid = NULL, finished_at = ? WHERE id = ?')
      .run(status, outcome.result === undefined || outcome.result === null ? null : JSON.stringify(outcome.result), outcome.error ?? null, nowIso(), id);
  }

  /** Runs left 'running' by a process that no longer exists become 'interrupted' (resumable). */
  markOrphansInterrupted(isAlive: (pid: number) => boolean): number {
    const running = this.list({ status: 'running' });
    let n = 0;
    for (const r of running) {
      if (r.workerPid === null || !isAlive(r.workerPid)) {
        this.finish(r.id, 'interrupted', { error: 'The training process stopped unexpectedly; resume the run to continue from its last checkpoint.' });
        n++;
      }
    }
    return n;
  }

  addMetrics(runId: number, metrics: readonly RunMetric[]): void {
    const stmt = this.db.prepare('INSERT INTO run_metrics (run_id, step, epoch, name, value, ts) VALUES (?, ?, ?, ?, ?, ?)');
    this.db.transaction(() => {
      for (const m of metrics) stmt.run(runId, m.step, m.epoch, m.name, m.value, m.ts);
    })();
  }

  /** The job a run replays on resume, and where it writes. */
  setJob(id: number, job: unknown, outputDir: string): void {
    this.db.prepare('UPDATE runs SET config_json = ?, output_dir = ? WHERE id = ?').run(JSON.stringify(job), outputDir, id);
  }

  /** Each metric's value at its latest step. */
  latestMetrics(runId: number): Record<string, { step: number; value: number }> {
    // SQLite returns the bare columns of the row holding MAX(step): each metric's latest value.
    const rows = this.db.prepare('SELECT name, MAX(step) AS step, value FROM run_metrics WHERE run_id = ? GROUP BY name').all(runId) as {
      name: string;
      step: number;
      value: number;
    }[];
    const out: Record<string, { step: number; value: number }> = {};
    for (const m of rows) out[m.name] = { step: m.step, value: m.value };
    return out;
  }

  /** Drops the metrics logged after `step` (a resumed run trains those steps again). */
  deleteMetricsAfter(runId: number, step: number): void {
    this.db.prepare('DELETE FROM run_metrics WHERE run_id = ? AND step > ?').run(runId, step);
  }

  metrics(runId: number, name?: string): RunMetric[] {
    return this.db
      .prepare('SELECT step, epoch, name, value, ts FROM run_metrics WHERE run_id = ? AND (? IS NULL OR name = ?) ORDER BY name, step')
      .all(runId, name ?? null, name ?? null) as RunMetric[];
  }
}
