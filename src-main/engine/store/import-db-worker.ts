/**
 * The import's database side runs on a worker thread with its own connection, so parsing
 * (main thread) and SQLite inserts (worker) use both cores at once. Records cross in
 * typed-array batches (transferred, not copied); a shared counter of batches in flight
 * gives synchronous back-pressure (Atomics.wait), so memory stays bounded when the disk is
 * slower than the parser. The whole import is one transaction on the worker's connection.
 *
 * The worker's code is plain JavaScript in a string (an `eval` worker): it then runs the
 * same from the TypeScript sources (tests), the compiled build and Electron, without a
 * separate entry file to locate. It loads better-sqlite3 from the path resolved here.
 */
import { createRequire } from 'node:module';
import { Worker } from 'node:worker_threads';
import { StudioError, type StudioErrorCode } from '../errors.js';
import type { EventKind } from './events.js';
import type { ReadingKind } from './readings.js';

export const READING_KINDS: readonly ReadingKind[] = ['cgm', 'scan', 'smbg'];
export const EVENT_KINDS: readonly EventKind[] = ['bolus', 'basal_rate', 'basal_dose', 'carbs', 'exercise', 'hr', 'steps', 'cals', 'ketone', 'note'];

/** Rows per batch message, and batches allowed in flight before the parser waits. */
const BATCH_ROWS = 8_192;
const MAX_IN_FLIGHT = 3;

const WORKER_SOURCE = String.raw`
const { parentPort, workerData } = require('node:worker_threads');
const Database = require(workerData.sqlitePath);
const shared = new Int32Array(workerData.shared);
const READING_KINDS = workerData.readingKinds;
const EVENT_KINDS = workerData.eventKinds;
const ROWS = 256;
let db = null;
let failed = null;
let datasetId = 0;
const importIds = new Map();
const patientIds = new Map();
let st = null;
const fastBuf = new Array(ROWS * 5);
const slowBuf = new Array(ROWS * 8);

function fail(e) {
  if (failed === null) failed = { code: e && e.code === 'CONFLICT' ? 'CONFLICT' : 'INTERNAL', message: e && e.message ? e.message : String(e) };
}

function prepare() {
  const r = '(?, ?, ?, ?, ?, ?, ?, ?)';
  const e = '(?, ?, ?, ?, ?, ?, ?, ?, ?, ?)';
  const rSql = 'INSERT INTO readings (patient_id, import_id, ts, utc_offset_min, kind, bg_mM, flags, source_row) VALUES ';
  const eSql = 'INSERT INTO events (patient_id, import_id, ts, utc_offset_min, kind, value, duration_min, meta_json, flags, source_row) VALUES ';
  st = {
    rBatch: db.prepare(rSql + new Array(ROWS).fill(r).join(', ')),
    rFast: db.prepare(rSql + new Array(ROWS).fill('(@p, @f, ?, ?, @k, ?, ?, ?)').join(', ')),
    rOne: db.prepare(rSql + r),
    eBatch: db.prepare(eSql + new Array(ROWS).fill(e).join(', ')),
    eOne: db.prepare(eSql + e),
    findPatient: db.prepare('SELECT id FROM patients WHERE dataset_id = ? AND external_id = ?').pluck(),
    insertPatient: db.prepare("INSERT INTO patients (dataset_id, external_id, utc_offset_min, time_zone, meta_json) VALUES (?, ?, NULL, ?, '{}')"),
    insertImport: db.prepare('INSERT INTO imports (dataset_id, file_name, file_hash, file_bytes, format, imported_at) VALUES (?, ?, ?, ?, ?, ?)'),
    finishImport: db.prepare('UPDATE imports SET readings_count = ?, events_count = ?, warnings_json = ? WHERE id = ?'),
    offset: db.prepare('UPDATE patients SET utc_offset_min = ? WHERE id = ?'),
  };
}

function begin(m) {
  db = new Database(workerData.file);
  db.pragma('foreign_keys = ON');
  db.pragma('busy_timeout = 5000');
  db.pragma('synchronous = NORMAL');
  // a bounded page cache (16 MB) speeds index maintenance
  db.pragma('cache_size = -16384');
  db.exec('BEGIN IMMEDIATE');
  const byId = db.prepare('SELECT id, name FROM datasets WHERE id = ?');
  const byName = db.prepare('SELECT id, name FROM datasets WHERE name = ?');
  let d = typeof m.dataset === 'number' ? byId.get(m.dataset) : byName.get(m.dataset);
  if (d === undefined && typeof m.dataset === 'string' && /^\d+$/.test(m.dataset)) d = byId.get(Number(m.dataset));
  let created = false;
  if (d === undefined) {
    if (!m.create) return { t: 'error', code: 'NOT_FOUND', message: 'No dataset named "' + String(m.dataset) + '". Create it with --create (or list them with ' + '\x60ttm-studio datasets list\x60).' };
    const info = db.prepare("INSERT INTO datasets (name, description, source, resolution_min, meta_json, created_at) VALUES (?, '', 'import', 5, '{}', ?)").run(String(m.dataset), new Date().toISOString());
    d = { id: Number(info.lastInsertRowid), name: String(m.dataset) };
    created = true;
  }
  datasetId = d.id;
  prepare();
  const existing = {};
  const q = db.prepare('SELECT file_name FROM imports WHERE dataset_id = ? AND file_hash = ?').pluck();
  for (const h of m.hashes) {
    const f = q.get(datasetId, h);
    if (f !== undefined) existing[h] = f;
  }
  return { t: 'begun', datasetId: d.id, datasetName: d.name, created, existing };
}

function patient(m) {
  const found = st.findPatient.get(datasetId, m.externalId);
  patientIds.set(m.key, found !== undefined ? found : Number(st.insertPatient.run(datasetId, m.externalId, m.timeZone).lastInsertRowid));
}

function batch(m) {
  const r = m.r;
  const off = (i) => (r.off[i] !== r.off[i] ? null : r.off[i]);
  const row = (i) => (r.row[i] < 0 ? null : r.row[i]);
  let i = 0;
  for (; i + ROWS <= r.n; i += ROWS) {
    // The common chunk (one patient, one file, one kind) binds those three once: fewer
    // bindings per row, no string per row; measurably faster than the generic statement.
    let same = true;
    for (let j = i + 1; j < i + ROWS && same; j++) same = r.patient[j] === r.patient[i] && r.file[j] === r.file[i] && r.kind[j] === r.kind[i];
    if (same) {
      const buf = fastBuf;
      for (let j = 0; j < ROWS; j++) {
        const o = j * 5;
        buf[o] = r.ts[i + j];
        buf[o + 1] = off(i + j);
        buf[o + 2] = r.value[i + j];
        buf[o + 3] = r.flags[i + j];
        buf[o + 4] = row(i + j);
      }
      st.rFast.run(buf, { p: patientIds.get(r.patient[i]), f: importIds.get(r.file[i]), k: READING_KINDS[r.kind[i]] });
    } else {
      const buf = slowBuf;
      for (let j = 0; j < ROWS; j++) {
        const o = j * 8;
        buf[o] = patientIds.get(r.patient[i + j]);
        buf[o + 1] = importIds.get(r.file[i + j]);
        buf[o + 2] = r.ts[i + j];
        buf[o + 3] = off(i + j);
        buf[o + 4] = READING_KINDS[r.kind[i + j]];
        buf[o + 5] = r.value[i + j];
        buf[o + 6] = r.flags[i + j];
        buf[o + 7] = row(i + j);
      }
      st.rBatch.run(buf);
    }
  }
  for (; i < r.n; i++) st.rOne.run(patientIds.get(r.patient[i]), importIds.get(r.file[i]), r.ts[i], off(i), READING_KINDS[r.kind[i]], r.value[i], r.flags[i], row(i));
  const e = m.e;
  for (let i = 0; i < e.n; i++) {
    st.eOne.run(patientIds.get(e.patient[i]), importIds.get(e.file[i]), e.ts[i], e.off[i] !== e.off[i] ? null : e.off[i], EVENT_KINDS[e.kind[i]], e.value[i], e.duration[i] !== e.duration[i] ? null : e.duration[i], e.meta[i], e.flags[i], e.row[i] < 0 ? null : e.row[i]);
  }
}

parentPort.on('message', (m) => {
  try {
    if (m.t === 'begin') { parentPort.postMessage(begin(m)); return; }
    if (m.t === 'rollback') {
      if (db !== null && db.inTransaction) db.exec('ROLLBACK');
      if (db !== null) db.close();
      parentPort.postMessage({ t: 'rolledBack' });
      return;
    }
    if (m.t === 'commit') {
      if (failed !== null) { parentPort.postMessage({ t: 'error', code: failed.code, message: failed.message }); return; }
      db.exec('COMMIT');
      db.close();
      parentPort.postMessage({ t: 'committed' });
      return;
    }
    if (m.t === 'sync') { parentPort.postMessage(failed !== null ? { t: 'error', code: failed.code, message: failed.message } : { t: 'synced' }); return; }
    if (failed !== null) return;
    if (m.t === 'import') importIds.set(m.key, Number(st.insertImport.run(datasetId, m.fileName, m.hash, m.bytes, m.format, new Date().toISOString()).lastInsertRowid));
    else if (m.t === 'patient') patient(m);
    else if (m.t === 'batch') batch(m);
    else if (m.t === 'finishImport') st.finishImport.run(m.readings, m.events, m.warningsJson, importIds.get(m.key));
    else if (m.t === 'offsets') for (const [key, off] of m.entries) st.offset.run(off, patientIds.get(key));
  } catch (e) {
    if (m.t === 'begin' && e && e.code === 'SQLITE_BUSY') parentPort.postMessage({ t: 'error', code: 'CONFLICT', message: 'Another import (or another TTM Studio process) is writing to this store; try again when it has finished.' });
    else if (m.t === 'begin') parentPort.postMessage({ t: 'error', code: 'IO', message: e && e.message ? e.message : String(e) });
    else fail(e);
  } finally {
    if (m.t === 'batch') { Atomics.sub(shared, 0, 1); Atomics.notify(shared, 0); }
  }
});
`;

interface ReadingBatch {
  n: number;
  patient: Int32Array;
  file: Int32Array;
  ts: Float64Array;
  off: Float64Array;
  kind: Uint8Array;
  value: Float64Array;
  flags: Int32Array;
  row: Int32Array;
}

interface EventBatch extends ReadingBatch {
  duration: Float64Array;
  meta: (string | null)[];
}

function readingBatch(): ReadingBatch {
  return {
    n: 0,
    patient: new Int32Array(BATCH_ROWS),
    file: new Int32Array(BATCH_ROWS),
    ts: new Float64Array(BATCH_ROWS),
    off: new Float64Array(BATCH_ROWS),
    kind: new Uint8Array(BATCH_ROWS),
    value: new Float64Array(BATCH_ROWS),
    flags: new Int32Array(BATCH_ROWS),
    row: new Int32Array(BATCH_ROWS),
  };
}

function eventBatch(): EventBatch {
  return { ...readingBatch(), duration: new Float64Array(BATCH_ROWS), meta: [] };
}

type Reply =
  | { t: 'begun'; datasetId: number; datasetName: string; created: boolean; existing: Record<string, string> }
  | { t: 'error'; code: StudioErrorCode; message: string }
  | { t: 'committed' }
  | { t: 'rolledBack' }
  | { t: 'synced' };

export interface BegunImport {
  datasetId: number;
  datasetName: string;
  created: boolean;
  /** file hash → file name, for files this dataset already holds */
  existing: Map<string, string>;
}

const READING_CODE = new Map(READING_KINDS.map((k, i) => [k, i]));
const EVENT_CODE = new Map(EVENT_KINDS.map((k, i) => [k, i]));

/** Main-thread side: buffers records into typed arrays and ships them to the worker. */
export class DbWorkerClient {
  private readonly worker: Worker;
  private readonly shared = new Int32Array(new SharedArrayBuffer(8));
  private readonly replies: Reply[] = [];
  private waiting: ((r: Reply) => void) | null = null;
  private r = readingBatch();
  private e = eventBatch();
  private readonly patientKeys = new Map<string, number>();
  private exited: Error | null = null;

  constructor(databaseFile: string) {
    const sqlitePath = createRequire(import.meta.url).resolve('better-sqlite3');
    this.worker = new Worker(WORKER_SOURCE, {
      eval: true,
      workerData: { file: databaseFile, sqlitePath, shared: this.shared.buffer, readingKinds: READING_KINDS, eventKinds: EVENT_KINDS },
    });
    this.worker.on('message', (m: Reply) => {
      const w = this.waiting;
      if (w !== null) {
        this.waiting = null;
        w(m);
      } else this.replies.push(m);
    });
    this.worker.on('error', (err) => {
      this.exited = err;
      this.deliver({ t: 'error', code: 'INTERNAL', message: `The import's database thread failed: ${err.message}` });
    });
    this.worker.on('exit', () => {
      this.exited ??= new Error('exited');
      this.deliver({ t: 'error', code: 'INTERNAL', message: "The import's database thread stopped unexpectedly." });
    });
  }

  private deliver(r: Reply): void {
    const w = this.waiting;
    if (w !== null) {
      this.waiting = null;
      w(r);
    }
  }

  private next(): Promise<Reply> {
    const queued = this.replies.shift();
    if (queued !== undefined) return Promise.resolve(queued);
    if (this.exited !== null) return Promise.resolve({ t: 'error', code: 'INTERNAL', message: "The import's database thread stopped." });
    return new Promise((resolve) => {
      this.waiting = resolve;
    });
  }

  private async request(message: Record<string, unknown>): Promise<Reply> {
    this.worker.postMessage(message);
    const reply = await this.next();
    if (reply.t === 'error') throw new StudioError(reply.code, reply.message);
    return reply;
  }

  async begin(dataset: string | number, create: boolean, hashes: readonly string[]): Promise<BegunImport> {
    const r = await this.request({ t: 'begin', dataset, create, hashes });
    if (r.t !== 'begun') throw new StudioError('INTERNAL', `unexpected reply ${r.t} from the import thread`);
    return { datasetId: r.datasetId, datasetName: r.datasetName, created: r.created, existing: new Map(Object.entries(r.existing)) };
  }

  addImport(key: number, fileName: string, hash: string, bytes: number, format: string): void {
    this.worker.postMessage({ t: 'import', key, fileName, hash, bytes, format });
  }

  /** Small integer key of a patient for this import; the worker creates or finds the row. */
  patientKey(externalId: string, timeZone: string | null): number {
    let key = this.patientKeys.get(externalId);
    if (key === undefined) {
      key = this.patientKeys.size;
      this.patientKeys.set(externalId, key);
      this.worker.postMessage({ t: 'patient', key, externalId, timeZone });
    }
    return key;
  }

  reading(patient: number, file: number, ts: number, off: number | null, kind: ReadingKind, value: number, flags: number, row: number | null): void {
    const b = this.r;
    const i = b.n;
    b.patient[i] = patient;
    b.file[i] = file;
    b.ts[i] = ts;
    b.off[i] = off === null ? Number.NaN : off;
    b.kind[i] = READING_CODE.get(kind)!;
    b.value[i] = value;
    b.flags[i] = flags;
    b.row[i] = row === null ? -1 : row;
    if (++b.n === BATCH_ROWS) this.send();
  }

  event(
    patient: number,
    file: number,
    ts: number,
    off: number | null,
    kind: EventKind,
    value: number,
    durationMin: number | null,
    metaJson: string | null,
    flags: number,
    row: number | null,
  ): void {
    const b = this.e;
    const i = b.n;
    b.patient[i] = patient;
    b.file[i] = file;
    b.ts[i] = ts;
    b.off[i] = off === null ? Number.NaN : off;
    b.kind[i] = EVENT_CODE.get(kind)!;
    b.value[i] = value;
    b.duration[i] = durationMin === null ? Number.NaN : durationMin;
    b.meta.push(metaJson);
    b.flags[i] = flags;
    b.row[i] = row === null ? -1 : row;
    if (++b.n === BATCH_ROWS) this.send();
  }

  /** Ships the buffered records; blocks while too many batches are still being written. */
  send(): void {
    if (this.r.n === 0 && this.e.n === 0) return;
    while (Atomics.load(this.shared, 0) >= MAX_IN_FLIGHT) {
      if (this.exited !== null) throw new StudioError('INTERNAL', "The import's database thread stopped.");
      Atomics.wait(this.shared, 0, Atomics.load(this.shared, 0), 1000);
    }
    Atomics.add(this.shared, 0, 1);
    const r = this.r;
    const e = this.e;
    const buffers = [
      r.patient,
      r.file,
      r.ts,
      r.off,
      r.kind,
      r.value,
      r.flags,
      r.row,
      e.patient,
      e.file,
      e.ts,
      e.off,
      e.kind,
      e.value,
      e.duration,
      e.flags,
      e.row,
    ].map((a) => a.buffer as ArrayBuffer);
    this.worker.postMessage({ t: 'batch', r, e }, buffers);
    this.r = readingBatch();
    this.e = eventBatch();
  }

  finishImport(key: number, readings: number, events: number, warningsJson: string): void {
    this.send();
    this.worker.postMessage({ t: 'finishImport', key, readings, events, warningsJson });
  }

  setOffsets(entries: readonly [number, number][]): void {
    this.worker.postMessage({ t: 'offsets', entries });
  }

  /** Waits until the worker has written everything sent so far; throws its first error. */
  async sync(): Promise<void> {
    this.send();
    await this.request({ t: 'sync' });
  }

  async commit(): Promise<void> {
    this.send();
    await this.request({ t: 'commit' });
  }

  async rollback(): Promise<void> {
    if (this.exited !== null) return;
    this.worker.postMessage({ t: 'rollback' });
    // drain until the rollback is confirmed (earlier replies may be queued)
    for (;;) {
      const r = await this.next();
      if (r.t === 'rolledBack' || this.exited !== null) return;
    }
  }

  async close(): Promise<void> {
    await this.worker.terminate();
  }
}
