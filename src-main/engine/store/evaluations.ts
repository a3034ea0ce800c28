import type { Db } from './database.js';

/** A stored evaluation: the report as written (read back with a loose schema by report/). */
export interface EvaluationRow {
  metrics: unknown;
  createdAt: string;
  modelId: number | null;
  datasetId: number | null;
  splitId: number | null;
}

interface EvaluationDbRow {
  metrics_json: string;
  created_at: string;
  model_id: number | null;
  dataset_id: number | null;
  split_id: number | null;
}

const COLUMNS = 'metrics_json, created_at, model_id, dataset_id, split_id';

function toEvaluation(r: EvaluationDbRow | undefined): EvaluationRow | null {
  return r === undefined
    ? null
    : { metrics: JSON.parse(r.metrics_json) as unknown, createdAt: r.created_at, modelId: r.model_id, datasetId: r.dataset_id, splitId: r.split_id };
}

/** Evaluation reports of evaluate runs; the latest one wins wherever a report picks one. */
export class EvaluationRepository {
  constructor(private readonly db: Db) {}

  /** Stores a report; returns its id. */
  add(input: { runId: number; modelId: number | null; datasetId: number | null; splitId: number | null; report: unknown }): number {
    const info = this.db
      .prepare('INSERT INTO evaluations (run_id, model_id, dataset_id, split_id, metrics_json, created_at) VALUES (?, ?, ?, ?, ?, ?)')
      .run(input.runId, input.modelId, input.datasetId, input.splitId, JSON.stringify(input.report), new Date().toISOString());
    return Number(info.lastInsertRowid);
  }

  latestOfRun(runId: number): EvaluationRow | null {
    return toEvaluation(
      this.db.prepare(`SELECT ${COLUMNS} FROM evaluations WHERE run_id = ? ORDER BY id DESC LIMIT 1`).get(runId) as EvaluationDbRow | undefined,
    );
  }

  /** The model's latest evaluation; on one dataset and split when they are given (null matches null). */
  latestOfModel(modelId: number, on?: { datasetId: number | null; splitId: number | null }): EvaluationRow | null {
    const row =
      on === undefined
        ? this.db.prepare(`SELECT ${COLUMNS} FROM evaluations WHERE model_id = ? ORDER BY id DESC LIMIT 1`).get(modelId)
        : this.db
            .prepare(`SELECT ${COLUMNS} FROM evaluations WHERE model_id = ? AND dataset_id IS ? AND split_id IS ? ORDER BY id DESC LIMIT 1`)
            .get(modelId, on.datasetId, on.splitId);
    return toEvaluation(row as EvaluationDbRow | undefined);
  }
}
