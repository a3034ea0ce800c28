import type { Db } from './database.js';

/** Key → JSON value store for user settings that belong to a data directory. */
export class SettingsRepository {
  constructor(private readonly db: Db) {}

  getRaw(key: string): unknown {
    const r = this.db.prepare('SELECT value FROM settings WHERE key = ?').get(key) as { value: string } | undefined;
    return r === undefined ? undefined : (JSON.parse(r.value) as unknown);
  }

  all(): Record<string, unknown> {
    const out: Record<string, unknown> = {};
    for (const r of this.db.prepare('SELECT key, value FROM settings').all() as { key: string; value: string }[]) out[r.key] = JSON.parse(r.value);
    return out;
  }

  set(key: string, value: unknown): void {
    this.db.prepare('INSERT INTO settings (key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value').run(key, JSON.stringify(value));
  }
}
