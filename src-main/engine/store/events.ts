import type { Db } from './database.js';
import { READING_FLAGS } from './readings.js';

/**
 * Event kinds and their units: bolus (U), basal_rate (U/h from ts, for duration_min or until
 * the next basal_rate), basal_dose (U delivered), carbs (g), exercise (intensity 0–1 or
 * minutes, see meta), hr (bpm), steps (count), cals (kcal), ketone (mmol/L), note (value 0).
 */
export type EventKind = 'bolus' | 'basal_rate' | 'basal_dose' | 'carbs' | 'exercise' | 'hr' | 'steps' | 'cals' | 'ketone' | 'note';

export interface NewEvent {
  patientId: number;
  importId: number | null;
  ts: number;
  utcOffsetMin: number | null;
  kind: EventKind;
  value: number;
  durationMin: number | null;
  meta: Record<string, unknown> | null;
  flags: number;
  sourceRow: number | null;
}

export interface EventRow {
  ts: number;
  kind: EventKind;
  value: number;
  durationMin: number | null;
  flags: number;
}

export class EventRepository {
  constructor(private readonly db: Db) {}

  /** Inserts many events; callers wrap it in the surrounding import's transaction. */
  insertMany(rows: Iterable<NewEvent>): number {
    const stmt = this.db.prepare(
      'INSERT INTO events (patient_id, import_id, ts, utc_offset_min, kind, value, duration_min, meta_json, flags, source_row) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)',
    );
    let n = 0;
    for (const e of rows) {
      stmt.run(
        e.patientId,
        e.importId,
        e.ts,
        e.utcOffsetMin,
        e.kind,
        e.value,
        e.durationMin,
        e.meta === null ? null : JSON.stringify(e.meta),
        e.flags,
        e.sourceRow,
      );
      n++;
    }
    return n;
  }

  /** The events a grid is built from: those not removed by a fix, in no particular order. */
  forGrid(patientId: number): EventRow[] {
    return this.db
      .prepare(`SELECT ts, kind, value, duration_min AS durationMin, flags FROM events WHERE patient_id = ? AND (flags & ${READING_FLAGS.removed}) = 0`)
      .all(patientId) as EventRow[];
  }

  /** Every event of a patient in insertion order, removed ones included, for the quality checks. */
  inFileOrder(patientId: number): { ts: number; kind: EventKind; value: number; flags: number }[] {
    return this.db.prepare('SELECT ts, kind, value, flags FROM events WHERE patient_id = ? ORDER BY id').all(patientId) as {
      ts: number;
      kind: EventKind;
      value: number;
      flags: number;
    }[];
  }

  forPatient(patientId: number, range: { from?: number; to?: number; kinds?: readonly EventKind[] } = {}): EventRow[] {
    const rows = this.db
      .prepare('SELECT ts, kind, value, duration_min, flags FROM events WHERE patient_id = ? AND ts >= ? AND ts <= ? ORDER BY ts, id')
      .all(patientId, range.from ?? Number.MIN_SAFE_INTEGER, range.to ?? Number.MAX_SAFE_INTEGER) as {
      ts: number;
      kind: EventKind;
      value: number;
      duration_min: number | null;
      flags: number;
    }[];
    const kinds = range.kinds === undefined ? null : new Set(range.kinds);
    return rows
      .filter((r) => kinds === null || kinds.has(r.kind))
      .map((r) => ({ ts: r.ts, kind: r.kind, value: r.value, durationMin: r.duration_min, flags: r.flags }));
  }
}
