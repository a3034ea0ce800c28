import { endianness } from 'node:os';
import { nowIso } from '../util/json.js';
import type { Db } from './database.js';

/** One stored grid channel of one patient (values Float32 LE, mask Uint8 1 = observed). */
export interface StoredGridChannel {
  channel: string;
  resolutionMin: number;
  startTs: number;
  length: number;
  values: Float32Array;
  mask: Uint8Array;
  settingsHash: string;
}

// Blobs are the arrays' raw bytes; every platform we ship on is little-endian, and the
// schema documents LE, so refuse to write anything else rather than corrupt the store.
if (endianness() !== 'LE') throw new Error('TTM Studio stores grids as little-endian Float32 and needs a little-endian CPU.');

function toFloat32(buf: Buffer): Float32Array {
  // Copy: a Buffer from SQLite may not be 4-byte aligned.
  const copy = new Uint8Array(buf.byteLength);
  copy.set(buf);
  return new Float32Array(copy.buffer, 0, buf.byteLength / 4);
}

export class GridRepository {
  constructor(private readonly db: Db) {}

  /** Replaces the patient's channels at this resolution (callers wrap it in a transaction). */
  save(patientId: number, channels: readonly Omit<StoredGridChannel, 'settingsHash'>[], settingsHash: string): void {
    const del = this.db.prepare('DELETE FROM grids WHERE patient_id = ? AND resolution_min = ?');
    const ins = this.db.prepare(
      'INSERT INTO grids (patient_id, channel, resolution_min, start_ts, length, values_blob, mask_blob, settings_hash, built_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)',
    );
    const built = nowIso();
    const resolutions = new Set(channels.map((c) => c.resolutionMin));
    for (const r of resolutions) del.run(patientId, r);
    for (const c of channels) {
      ins.run(
        patientId,
        c.channel,
        c.resolutionMin,
        c.startTs,
        c.length,
        Buffer.from(c.values.buffer, c.values.byteOffset, c.values.byteLength),
        Buffer.from(c.mask.buffer, c.mask.byteOffset, c.mask.byteLength),
        settingsHash,
        built,
      );
    }
  }

  /** The hash the patient's grid at this resolution was built with, or undefined when none is stored. */
  settingsHash(patientId: number, resolutionMin: number): string | undefined {
    const rows = this.db.prepare('SELECT DISTINCT settings_hash AS h FROM grids WHERE patient_id = ? AND resolution_min = ?').all(patientId, resolutionMin) as {
      h: string;
    }[];
    return rows.length === 1 ? rows[0]!.h : undefined;
  }

  load(patientId: number, resolutionMin: number): StoredGridChannel[] {
    const rows = this.db
      .prepare(
        'SELECT channel, resolution_min, start_ts, length, values_blob, mask_blob, settings_hash FROM grids WHERE patient_id = ? AND resolution_min = ? ORDER BY channel',
      )
      .all(patientId, resolutionMin) as {
      channel: string;
      resolution_min: number;
      start_ts: number;
      length: number;
      values_blob: Buffer;
      mask_blob: Buffer;
      settings_hash: string;
    }[];
    return rows.map((r) => ({
      channel: r.channel,
      resolutionMin: r.resolution_min,
      startTs: r.start_ts,
      length: r.length,
      values: toFloat32(r.values_blob),
      mask: new Uint8Array(r.mask_blob),
      settingsHash: r.settings_hash,
    }));
  }

  deleteForPatient(patientId: number): void {
    this.db.prepare('DELETE FROM grids WHERE patient_id = ?').run(patientId);
  }

  /**
   * A cheap fingerprint of a patient's raw inputs: changes whenever a reading or event is
   * added, removed, edited or flagged (fixes flag readings), so a stale grid is rebuilt.
   */
  inputFingerprint(patientId: number): string {
    const r = this.db
      .prepare(
        'SELECT COUNT(*) AS n, COALESCE(MAX(id), 0) AS m, TOTAL(ts % 1000003) AS t, TOTAL(bg_mM) AS v, TOTAL(flags * (id % 997)) AS f FROM readings WHERE patient_id = ?',
      )
      .get(patientId) as { n: number; m: number; t: number; v: number; f: number };
    const e = this.db
      .prepare(
        'SELECT COUNT(*) AS n, COALESCE(MAX(id), 0) AS m, TOTAL(ts % 1000003) AS t, TOTAL(value) AS v, TOTAL(flags * (id % 997)) AS f, TOTAL(COALESCE(duration_min, 0)) AS d FROM events WHERE patient_id = ?',
      )
      .get(patientId) as { n: number; m: number; t: number; v: number; f: number; d: number };
    return `${r.n}:${r.m}:${r.t}:${r.v}:${r.f}|${e.n}:${e.m}:${e.t}:${e.v}:${e.f}:${e.d}`;
  }
}
