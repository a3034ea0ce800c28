import type { Db } from './database.js';

export type ReadingKind = 'cgm' | 'scan' | 'smbg';

/** Bit flags on readings and events. */
export const READING_FLAGS = {
  clampedLow: 1,
  clampedHigh: 2,
  outOfRange: 4,
  removed: 8,
} as const;

export interface NewReading {
  patientId: number;
  importId: number | null;
  ts: number;
  utcOffsetMin: number | null;
  kind: ReadingKind;
  bgMm: number;
  flags: number;
  sourceRow: number | null;
}

export interface ReadingRow {
  ts: number;
  kind: ReadingKind;
  bgMm: number;
  flags: number;
}

export class ReadingRepository {
  constructor(private readonly db: Db) {}

  /** Inserts many readings; callers wrap it in the surrounding import's transaction. */
  insertMany(rows: Iterable<NewReading>): number {
    const stmt = this.db.prepare(
      'INSERT INTO readings (patient_id, import_id, ts, utc_offset_min, kind, bg_mM, flags, source_row) VALUES (?, ?, ?, ?, ?, ?, ?, ?)',
    );
    let n = 0;
    for (const r of rows) {
      stmt.run(r.patientId, r.importId, r.ts, r.utcOffsetMin, r.kind, r.bgMm, r.flags, r.sourceRow);
      n++;
    }
    return n;
  }

  forPatient(patientId: number, range: { from?: number; to?: number } = {}): ReadingRow[] {
    return (
      this.db
        .prepare('SELECT ts, kind, bg_mM, flags FROM readings WHERE patient_id = ? AND ts >= ? AND ts <= ? ORDER BY ts, id')
        .all(patientId, range.from ?? Number.MIN_SAFE_INTEGER, range.to ?? Number.MAX_SAFE_INTEGER) as {
        ts: number;
        kind: ReadingKind;
        bg_mM: number;
        flags: number;
      }[]
    ).map((r) => ({ ts: r.ts, kind: r.kind, bgMm: r.bg_mM, flags: r.flags }));
  }

  /** CGM readings of a patient (no scans or finger sticks), without those a fix removed, in time order. */
  cgmSeries(patientId: number): { ts: number; bg: number; off: number | null }[] {
    return this.db
      .prepare(
        `SELECT ts, bg_mM AS bg, utc_offset_min AS off FROM readings WHERE patient_id = ? AND kind = 'cgm' AND (flags & ${READING_FLAGS.removed}) = 0 ORDER BY ts, id`,
      )
      .all(patientId) as { ts: number; bg: number; off: number | null }[];
  }

  /**
   * The readings a grid is built from: CGM and scans not removed by a fix, in no particular
   * order. Fetched as arrays, which is about 1.5× faster: these rows dominate a grid build.
   */
  forGrid(patientId: number): { ts: number; bgMm: number; flags: number; kind: ReadingKind }[] {
    const rows = this.db
      .prepare(`SELECT ts, bg_mM, flags, kind FROM readings WHERE patient_id = ? AND kind IN ('cgm', 'scan') AND (flags & ${READING_FLAGS.removed}) = 0`)
      .raw()
      .all(patientId) as [number, number, number, ReadingKind][];
    return rows.map((r) => ({ ts: r[0], bgMm: r[1], flags: r[2], kind: r[3] }));
  }

  /** Every reading of a patient in insertion (file) order, removed ones included, for the quality checks. */
  inFileOrder(patientId: number): { id: number; ts: number; bgMm: number; flags: number; kind: ReadingKind; offsetMin: number | null }[] {
    return this.db
      .prepare('SELECT id, ts, bg_mM AS bgMm, flags, kind, utc_offset_min AS offsetMin FROM readings WHERE patient_id = ? ORDER BY id')
      .all(patientId) as { id: number; ts: number; bgMm: number; flags: number; kind: ReadingKind; offsetMin: number | null }[];
  }

  /** CGM and scan readings not removed by a fix, by time then id. */
  liveGlucose(patientId: number): { id: number; ts: number; bgMm: number }[] {
    return this.db
      .prepare(
        `SELECT id, ts, bg_mM AS bgMm FROM readings WHERE patient_id = ? AND (flags & ${READING_FLAGS.removed}) = 0 AND kind IN ('cgm', 'scan') ORDER BY ts, id`,
      )
      .all(patientId) as { id: number; ts: number; bgMm: number }[];
  }

  /** Flags the readings removed (a fix; rows are never deleted); returns how many changed. */
  markRemoved(ids: readonly number[]): number {
    const stmt = this.db.prepare(`UPDATE readings SET flags = flags | ${READING_FLAGS.removed} WHERE id = ?`);
    let changed = 0;
    for (const id of ids) changed += stmt.run(id).changes;
    return changed;
  }

  /** Sets one reading's glucose value (mmol/L); returns how many rows changed. */
  setGlucose(id: number, bgMm: number): number {
    return this.db.prepare('UPDATE readings SET bg_mM = ? WHERE id = ?').run(bgMm, id).changes;
  }

  countForDataset(datasetId: number): number {
    const r = this.db.prepare('SELECT COUNT(*) AS n FROM readings r JOIN patients p ON p.id = r.patient_id WHERE p.dataset_id = ?').get(datasetId) as {
      n: number;
    };
    return r.n;
  }
}
