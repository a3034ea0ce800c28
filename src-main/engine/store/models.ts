import { StudioError } from '../errors.js';
import { nowIso } from '../util/json.js';
import type { Db } from './database.js';

export type ModelSource = 'bundled' | 'hub' | 'local' | 'trained';

export interface ModelRow {
  id: number;
  name: string;
  source: ModelSource;
  path: string;
  repo: string | null;
  revision: string | null;
  config: Record<string, unknown>;
  meta: Record<string, unknown>;
  createdAt: string;
}

interface ModelDbRow {
  id: number;
  name: string;
  source: ModelSource;
  path: string;
  repo: string | null;
  revision: string | null;
  config_json: string;
  meta_json: string;
  created_at: string;
}

function toModel(r: ModelDbRow): ModelRow {
  return {
    id: r.id,
    name: r.name,
    source: r.source,
    path: r.path,
    repo: r.repo,
    revision: r.revision,
    config: JSON.parse(r.config_json) as Record<string, unknown>,
    meta: JSON.parse(r.meta_json) as Record<string, unknown>,
    createdAt: r.created_at,
  };
}

export class ModelRepository {
  constructor(private readonly db: Db) {}

  /** Registers a model directory, or updates the entry of the same name (re-import, re-pull). */
  upsert(input: {
    name: string;
    source: ModelSource;
    path: string;
    repo?: string | null;
    revision?: string | null;
    config?: Record<string, unknown>;
    meta?: Record<string, unknown>;
  }): ModelRow {
    this.db
      .prepare(
        `INSERT INTO models (name, source, path, repo, revision, config_json, meta_json, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)
         ON CONFLICT(name) DO UPDATE SET source = excluded.source, path = excluded.path, repo = excluded.repo,
           revision = excluded.revision, config_json = excluded.config_json, meta_json = excluded.meta_json`,
      )
      .run(
        input.name,
        input.source,
        input.path,
        input.repo ?? null,
        input.revision ?? null,
        JSON.stringify(input.config ?? {}),
        JSON.stringify(input.meta ?? {}),
        nowIso(),
      );
    return this.resolve(input.name);
  }

  list(): ModelRow[] {
    return (this.db.prepare('SELECT * FROM models ORDER BY source, name').all() as ModelDbRow[]).map(toModel);
  }

  resolve(ref: string | number): ModelRow {
    const r =
      typeof ref === 'number' || /^\d+$/.test(ref)
        ? (this.db.prepare('SELECT * FROM models WHERE id = ? OR name = ?').get(Number(ref), String(ref)) as ModelDbRow | undefined)
        : (this.db.prepare('SELECT * FROM models WHERE name = ?').get(ref) as ModelDbRow | undefined);
    if (r === undefined) throw new StudioError('NOT_FOUND', `No model "${ref}". List them with \`ttm-studio models list\`.`);
    return toModel(r);
  }

  /** The registered name of a model, or null when no model has this id (any more). */
  nameOf(id: number): string | null {
    const r = this.db.prepare('SELECT name FROM models WHERE id = ?').get(id) as { name: string } | undefined;
    return r?.name ?? null;
  }

  delete(id: number): void {
    this.db.prepare('DELETE FROM models WHERE id = ?').run(id);
  }
}
