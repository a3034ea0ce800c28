import { createHash } from 'node:crypto';
import { StudioError } from '../errors.js';
import { nowIso } from '../util/json.js';
import type { Db } from './database.js';

export type SplitKind = 'temporal' | 'patient_holdout' | 'hybrid';

/** A stored split; `spec` and `content` are JSON validated by the data layer (engine/data/splits). */
export interface SplitRow {
  id: number;
  datasetId: number;
  name: string;
  version: number;
  kind: SplitKind;
  spec: unknown;
  content: unknown;
  contentHash: string;
  locked: boolean;
  createdAt: string;
}

interface SplitDbRow {
  id: number;
  dataset_id: number;
  name: string;
  version: number;
  kind: SplitKind;
  spec_json: string;
  content_json: string;
  content_hash: string;
  locked: number;
  created_at: string;
}

function toSplit(r: SplitDbRow): SplitRow {
  return {
    id: r.id,
    datasetId: r.dataset_id,
    name: r.name,
    version: r.version,
    kind: r.kind,
    spec: JSON.parse(r.spec_json) as unknown,
    content: JSON.parse(r.content_json) as unknown,
    contentHash: r.content_hash,
    locked: r.locked === 1,
    createdAt: r.created_at,
  };
}

/**
 * Splits are append-only: creating a split under an existing name adds a new version;
 * nothing here updates a split's content, and a locked split cannot be deleted.
 */
export class SplitRepository {
  constructor(private readonly db: Db) {}

  create(input: { datasetId: number; name: string; kind: SplitKind; spec: unknown; content: unknown }): SplitRow {
    const contentJson = JSON.stringify(input.content);
    const hash = createHash('sha256').update(contentJson).digest('hex');
    const row = this.db.prepare('SELECT COALESCE(MAX(version), 0) AS v FROM splits WHERE dataset_id = ? AND name = ?').get(input.datasetId, input.name) as {
      v: number;
    };
    const info = this.db
      .prepare(
        'INSERT INTO splits (dataset_id, name, version, kind, spec_json, content_json, content_hash, locked, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, 0, ?)',
      )
      .run(input.datasetId, input.name, row.v + 1, input.kind, JSON.stringify(input.spec), contentJson, hash, nowIso());
    return this.get(Number(info.lastInsertRowid));
  }

  get(id: number): SplitRow {
    const r = this.db.prepare('SELECT * FROM splits WHERE id = ?').get(id) as SplitDbRow | undefined;
    if (r === undefined) throw new StudioError('NOT_FOUND', `Split ${id} does not exist. List splits with \`ttm-studio splits list\`.`);
    return toSplit(r);
  }

  /** The split `name` of the dataset: the given version, or the latest. */
  find(datasetId: number, name: string, version?: number): SplitRow | undefined {
    const r = (
      version === undefined
        ? this.db.prepare('SELECT * FROM splits WHERE dataset_id = ? AND name = ? ORDER BY version DESC LIMIT 1').get(datasetId, name)
        : this.db.prepare('SELECT * FROM splits WHERE dataset_id = ? AND name = ? AND version = ?').get(datasetId, name, version)
    ) as SplitDbRow | undefined;
    return r === undefined ? undefined : toSplit(r);
  }

  /** A split of the dataset by id, or by name (its latest version). */
  resolve(datasetId: number, ref: string | number): number {
    if (typeof ref === 'number' || /^\d+$/.test(ref)) {
      const row = this.get(Number(ref));
      if (row.datasetId !== datasetId) throw new StudioError('INVALID_INPUT', `Split ${ref} belongs to another dataset.`);
      return row.id;
    }
    const row = this.find(datasetId, ref);
    if (row === undefined) throw new StudioError('NOT_FOUND', `No split "${ref}" for this dataset. Create one with \`ttm-studio splits create\`.`);
    return row.id;
  }

  list(datasetId?: number): SplitRow[] {
    const rows = this.db
      .prepare('SELECT * FROM splits WHERE (? IS NULL OR dataset_id = ?) ORDER BY dataset_id, name, version')
      .all(datasetId ?? null, datasetId ?? null) as SplitDbRow[];
    return rows.map(toSplit);
  }

  /** Marks the split used by a run: from now on it is immutable. */
  lock(id: number): void {
    this.get(id);
    this.db.prepare('UPDATE splits SET locked = 1 WHERE id = ?').run(id);
  }

  delete(id: number): void {
    const s = this.get(id);
    if (s.locked)
      throw new StudioError('CONFLICT', `Split "${s.name}" v${s.version} was used by a run and is locked; create a new version instead of deleting it.`);
    this.db.prepare('DELETE FROM splits WHERE id = ?').run(id);
  }
}
