import type { Db } from './database.js';

export interface CheckpointRow {
  step: number;
  epoch: number | null;
  path: string;
  best: boolean;
  /** Validation loss when the checkpoint was written (null without validation). */
  validLoss: number | null;
  createdAt: string;
}

interface CheckpointDbRow {
  step: number;
  epoch: number | null;
  path: string;
  is_best: number;
  metrics_json: string;
  created_at: string;
}

/** Checkpoints a run wrote (or brought back from a cluster job), in the order they were written. */
export class CheckpointRepository {
  constructor(private readonly db: Db) {}

  add(input: { runId: number; step: number; epoch: number | null; path: string; best: boolean; validLoss: number | null }): void {
    this.db
      .prepare('INSERT INTO checkpoints (run_id, step, epoch, path, is_best, metrics_json, created_at) VALUES (?, ?, ?, ?, ?, ?, ?)')
      .run(input.runId, input.step, input.epoch, input.path, input.best ? 1 : 0, JSON.stringify({ validLoss: input.validLoss }), new Date().toISOString());
  }

  list(runId: number): CheckpointRow[] {
    const rows = this.db
      .prepare('SELECT step, epoch, path, is_best, metrics_json, created_at FROM checkpoints WHERE run_id = ? ORDER BY id')
      .all(runId) as CheckpointDbRow[];
    return rows.map((r) => {
      const m = JSON.parse(r.metrics_json) as { validLoss?: unknown };
      return {
        step: r.step,
        epoch: r.epoch,
        path: r.path,
        best: r.is_best === 1,
        validLoss: typeof m.validLoss === 'number' ? m.validLoss : null,
        createdAt: r.created_at,
      };
    });
  }
}
