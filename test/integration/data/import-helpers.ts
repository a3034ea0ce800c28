import { join } from 'node:path';
import Database from 'better-sqlite3';
import { REPO_ROOT, SHARED_FIXTURES } from '../../helpers/tmp.js';

export const SHARED = join(SHARED_FIXTURES, 'formats');
export const LOCAL = join(REPO_ROOT, 'test', 'fixtures', 'formats');

/** Everything an import writes, in a comparable form (counts and a content digest per table). */
export function snapshot(dbFile: string): Record<string, string> {
  const db = new Database(dbFile, { readonly: true });
  try {
    const out: Record<string, string> = {};
    for (const t of ['datasets', 'patients', 'imports', 'readings', 'events']) {
      const r = db.prepare(`SELECT COUNT(*) AS n, COALESCE(MAX(id), 0) AS m, COALESCE(SUM(id), 0) AS s FROM ${t}`).get() as { n: number; m: number; s: number };
      out[t] = `${r.n}/${r.m}/${r.s}`;
    }
    const p = db.prepare("SELECT group_concat(COALESCE(utc_offset_min, -9999), ',') AS o FROM patients").get() as { o: string | null };
    out.offsets = p.o ?? '';
    return out;
  } finally {
    db.close();
  }
}
