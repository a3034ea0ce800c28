import Database from 'better-sqlite3';
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { StudioError } from '../errors.js';
import { LATEST_SCHEMA_VERSION, MIGRATIONS, type Migration } from './migrations.js';

export type Db = Database.Database;

export interface OpenDatabaseOptions {
  /** Open without creating or migrating (reports, inspection). */
  readonly?: boolean;
  /** Migrations to apply; tests pass a longer list to simulate a newer app. */
  migrations?: readonly Migration[];
}

/** Highest schema version recorded in the file, 0 for a new file. */
let sqliteLibraryVersion: string | null = null;

/** The SQLite library's version (asked once, of an in-memory database). */
export function sqliteVersion(): string {
  sqliteLibraryVersion ??= (new Database(':memory:').prepare('SELECT sqlite_version() AS v').get() as { v: string }).v;
  return sqliteLibraryVersion;
}

export function readSchemaVersion(db: Db): number {
  const table = db.prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'schema_version'").get();
  if (table === undefined) return 0;
  const row = db.prepare('SELECT MAX(version) AS v FROM schema_version').get() as { v: number | null };
  return row.v ?? 0;
}

/**
 * Opens (creating if needed) the SQLite file, refuses files written by a newer schema
 * before touching them, then applies pending migrations one transaction each.
 */
export function openDatabase(file: string, options: OpenDatabaseOptions = {}): Db {
  const migrations = options.migrations ?? MIGRATIONS;
  const latest = migrations.length === 0 ? 0 : migrations[migrations.length - 1]!.version;
  if (file !== ':memory:' && !options.readonly) mkdirSync(dirname(file), { recursive: true });
  let db: Db;
  try {
    db = new Database(file, { readonly: options.readonly ?? false, fileMustExist: options.readonly ?? false });
  } catch (e) {
    throw new StudioError('IO', `Cannot open the database ${file}: ${(e as Error).message}`, { file }, { cause: e });
  }
  try {
    const found = readSchemaVersion(db);
    if (found > latest) {
      throw new StudioError(
        'SCHEMA_TOO_NEW',
        `The database ${file} was written by a newer TTM Studio (schema version ${found}; this version understands up to ${latest}). ` +
          'It was left untouched: update TTM Studio, or choose another data directory.',
        { file, found, supported: latest },
      );
    }
    db.pragma('foreign_keys = ON');
    db.pragma('busy_timeout = 5000');
    if (!options.readonly) {
      db.pragma('journal_mode = WAL');
      // WAL + NORMAL is durable against application crashes (the write-ahead log is fsynced
      // at checkpoints); only an OS crash can lose the last transactions, never corrupt.
      db.pragma('synchronous = NORMAL');
      migrate(db, migrations, found);
    } else if (found < latest) {
      throw new StudioError('SCHEMA_TOO_NEW', `The database ${file} needs migrating (version ${found} < ${latest}) but was opened read-only.`);
    }
    return db;
  } catch (e) {
    db.close();
    throw e;
  }
}

function migrate(db: Db, migrations: readonly Migration[], from: number): void {
  db.exec(`CREATE TABLE IF NOT EXISTS schema_version (
    version    INTEGER PRIMARY KEY,
    name       TEXT NOT NULL,
    applied_at TEXT NOT NULL
  )`);
  const record = db.prepare('INSERT INTO schema_version (version, name, applied_at) VALUES (?, ?, ?)');
  for (const m of migrations) {
    if (m.version <= from) continue;
    // PRAGMA foreign_keys is a no-op inside a transaction: switch it around the transaction.
    if (m.rebuildsTables === true) db.pragma('foreign_keys = OFF');
    try {
      db.transaction(() => {
        db.exec(m.sql);
        if (m.rebuildsTables === true) {
          const broken = db.pragma('foreign_key_check') as unknown[];
          if (broken.length > 0)
            throw new StudioError('INTERNAL', `Migration ${m.version} (${m.name}) would break ${broken.length} foreign key(s); nothing was changed.`);
        }
        record.run(m.version, m.name, new Date().toISOString());
      })();
    } finally {
      if (m.rebuildsTables === true) db.pragma('foreign_keys = ON');
    }
  }
}

export { LATEST_SCHEMA_VERSION };
