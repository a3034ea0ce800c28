/**
 * Record sinks: `DbSink` writes through `BatchWriter` (multi-row INSERTs on one
 * connection inside the import's single transaction), `PreviewSink` keeps the first rows
 * mapped to canonical columns, `DiscardSink` drops records of files already imported.
 */
import type { Db } from '../store/database.js';
import type { EventKind } from '../store/events.js';
import type { ReadingKind } from '../store/readings.js';
import { checkEvent, checkGlucose, toMmol, type GlucoseUnitName, type ImportWarning, type RecordSink } from './importers/types.js';

/** Rows per multi-row INSERT: fewer native calls; stays under SQLite's 32766 parameters. */
const BATCH = 128;
const R_COLS = 8;
const E_COLS = 10;

export class BatchWriter {
  private readonly readingsBatch;
  private readonly readingsOne;
  private readonly eventsBatch;
  private readonly eventsOne;
  private readonly findPatient;
  private readonly insertPatient;
  private readonly rbuf: (number | string | null)[] = new Array<number | string | null>(BATCH * R_COLS);
  private rn = 0;
  private readonly ebuf: (number | string | null)[] = new Array<number | string | null>(BATCH * E_COLS);
  private en = 0;
  private readonly patients = new Map<string, number>();

  constructor(
    private readonly db: Db,
    private readonly datasetId: number,
    private readonly timeZone: string | null,
  ) {
    const rSql = 'INSERT INTO readings (patient_id, import_id, ts, utc_offset_min, kind, bg_mM, flags, source_row) VALUES ';
    const rRow = '(?, ?, ?, ?, ?, ?, ?, ?)';
    this.readingsBatch = db.prepare(rSql + new Array<string>(BATCH).fill(rRow).join(', '));
    this.readingsOne = db.prepare(rSql + rRow);
    const eSql = 'INSERT INTO events (patient_id, import_id, ts, utc_offset_min, kind, value, duration_min, meta_json, flags, source_row) VALUES ';
    const eRow = '(?, ?, ?, ?, ?, ?, ?, ?, ?, ?)';
    this.eventsBatch = db.prepare(eSql + new Array<string>(BATCH).fill(eRow).join(', '));
    this.eventsOne = db.prepare(eSql + eRow);
    this.findPatient = db.prepare('SELECT id FROM patients WHERE dataset_id = ? AND external_id = ?').pluck();
    this.insertPatient = db.prepare("INSERT INTO patients (dataset_id, external_id, utc_offset_min, time_zone, meta_json) VALUES (?, ?, NULL, ?, '{}')");
  }

  /** Patient row id for an external id, created on first sight. */
  patientId(externalId: string): number {
    const hit = this.patients.get(externalId);
    if (hit !== undefined) return hit;
    const found = this.findPatient.get(this.datasetId, externalId) as number | undefined;
    const id = found ?? Number(this.insertPatient.run(this.datasetId, externalId, this.timeZone).lastInsertRowid);
    this.patients.set(externalId, id);
    return id;
  }

  reading(patientId: number, importId: number, ts: number, off: number | null, kind: ReadingKind, bgMm: number, flags: number, row: number | null): void {
    const b = this.rbuf;
    const o = this.rn * R_COLS;
    b[o] = patientId;
    b[o + 1] = importId;
    b[o + 2] = ts;
    b[o + 3] = off;
    b[o + 4] = kind;
    b[o + 5] = bgMm;
    b[o + 6] = flags;
    b[o + 7] = row;
    if (++this.rn === BATCH) {
      this.readingsBatch.run(b);
      this.rn = 0;
    }
  }

  event(patientId: number, importId: number, ts: number, off: number | null, kind: EventKind, value: number, durationMin: number | null, metaJson: string | null, flags: number, row: number | null): void {
    const b = this.ebuf;
    const o = this.en * E_COLS;
    b[o] = patientId;
    b[o + 1] = importId;
    b[o + 2] = ts;
    b[o + 3] = off;
    b[o + 4] = kind;
    b[o + 5] = value;
    b[o + 6] = durationMin;
    b[o + 7] = metaJson;
    b[o + 8] = flags;
    b[o + 9] = row;
    if (++this.en === BATCH) {
      this.eventsBatch.run(b);
      this.en = 0;
    }
  }

  flush(): void {
    for (let i = 0; i < this.rn; i++) this.readingsOne.run(this.rbuf.slice(i * R_COLS, (i + 1) * R_COLS));
    this.rn = 0;
    for (let i = 0; i < this.en; i++) this.eventsOne.run(this.ebuf.slice(i * E_COLS, (i + 1) * E_COLS));
    this.en = 0;
  }

  /** Records each touched patient's most recent offset (patients.utc_offset_min). */
  updateOffsets(latest: ReadonlyMap<number, { ts: number; off: number | null }>): void {
    const stmt = this.db.prepare('UPDATE patients SET utc_offset_min = ? WHERE id = ?');
    for (const [id, v] of latest) if (v.off !== null) stmt.run(v.off, id);
  }
}

/** Collects warnings by code and notes; shared by every sink. */
export class WarningLog {
  readonly warnings = new Map<string, ImportWarning>();
  readonly notes: string[] = [];

  warn(code: string, message: string, line: number | null): void {
    const w = this.warnings.get(code);
    if (w === undefined) this.warnings.set(code, { code, message, count: 1, firstLine: line });
    else w.count++;
  }

  list(): ImportWarning[] {
    return [...this.warnings.values()];
  }
}

export class DbSink extends WarningLog implements RecordSink {
  readonly full = false;
  readings = 0;
  events = 0;
  readonly patientIds = new Set<string>();
  private lastPatient = '';
  private lastPatientId = -1;

  constructor(
    private readonly writer: BatchWriter,
    private readonly importId: number,
    /** Most recent (ts, offset) per patient row id, shared across the import's files. */
    private readonly latest: Map<number, { ts: number; off: number | null }>,
  ) {
    super();
  }

  private pid(patient: string, ts: number, off: number | null): number {
    let id: number;
    if (patient === this.lastPatient) id = this.lastPatientId;
    else {
      id = this.writer.patientId(patient);
      this.patientIds.add(patient);
      this.lastPatient = patient;
      this.lastPatientId = id;
    }
    const l = this.latest.get(id);
    if (l === undefined) this.latest.set(id, { ts, off });
    else if (ts >= l.ts) {
      l.ts = ts;
      l.off = off;
    }
    return id;
  }

  glucose(patient: string, ts: number, offsetMin: number | null, kind: ReadingKind, value: number, unit: GlucoseUnitName, flags: number, line: number): void {
    const f = checkGlucose(this, value, unit, flags, line);
    this.writer.reading(this.pid(patient, ts, offsetMin), this.importId, ts, offsetMin, kind, toMmol(value, unit), f, line > 0 ? line : null);
    this.readings++;
  }

  event(patient: string, ts: number, offsetMin: number | null, kind: EventKind, value: number, durationMin: number | null, meta: Record<string, unknown> | null, line: number): void {
    const f = checkEvent(this, kind, value, line);
    this.writer.event(this.pid(patient, ts, offsetMin), this.importId, ts, offsetMin, kind, value, durationMin, meta === null ? null : JSON.stringify(meta), f, line > 0 ? line : null);
    this.events++;
  }

  note(text: string): void {
    this.notes.push(text);
  }
}

/** For files already imported that are read again only as context (a Nightscout profile). */
export class DiscardSink extends WarningLog implements RecordSink {
  readonly full = false;
  glucose(): void {}
  event(): void {}
  note(): void {}
  override warn(): void {}
}

/** Canonical column of each event kind (DESIGN.md §4). */
export const EVENT_CHANNEL: Record<EventKind, string> = {
  bolus: 'bolus',
  basal_rate: 'rate',
  basal_dose: 'dose_units',
  carbs: 'food_g',
  exercise: 'exercise',
  hr: 'hr_bpm',
  steps: 'steps',
  cals: 'cals',
  ketone: 'ketone',
  note: 'note',
};

export const EVENT_UNIT: Record<EventKind, string> = {
  bolus: 'U',
  basal_rate: 'U/h',
  basal_dose: 'U',
  carbs: 'g',
  exercise: 'intensity',
  hr: 'bpm',
  steps: 'count',
  cals: 'kcal',
  ketone: 'mmol/L',
  note: '',
};

export interface PreviewRow {
  /** UTC instant, ISO-8601. */
  datetime: string;
  ts: number;
  utcOffsetMin: number | null;
  p_num: string;
  /** Canonical column: bg_mM, bolus, rate, dose_units, food_g, hr_bpm, steps, cals… */
  channel: string;
  kind: string;
  value: number;
  unit: string;
  durationMin: number | null;
  flags: number;
  sourceRow: number | null;
  meta: Record<string, unknown> | null;
}

export class PreviewSink extends WarningLog implements RecordSink {
  readonly rows: PreviewRow[] = [];
  constructor(private readonly limit: number) {
    super();
  }
  get full(): boolean {
    return this.rows.length >= this.limit;
  }
  glucose(patient: string, ts: number, offsetMin: number | null, kind: ReadingKind, value: number, unit: GlucoseUnitName, flags: number, line: number): void {
    const f = checkGlucose(this, value, unit, flags, line);
    if (this.full) return;
    this.rows.push({ datetime: new Date(ts).toISOString(), ts, utcOffsetMin: offsetMin, p_num: patient, channel: 'bg_mM', kind, value: toMmol(value, unit), unit: 'mmol/L', durationMin: null, flags: f, sourceRow: line > 0 ? line : null, meta: null });
  }
  event(patient: string, ts: number, offsetMin: number | null, kind: EventKind, value: number, durationMin: number | null, meta: Record<string, unknown> | null, line: number): void {
    const f = checkEvent(this, kind, value, line);
    if (this.full) return;
    this.rows.push({ datetime: new Date(ts).toISOString(), ts, utcOffsetMin: offsetMin, p_num: patient, channel: EVENT_CHANNEL[kind], kind, value, unit: EVENT_UNIT[kind], durationMin, flags: f, sourceRow: line > 0 ? line : null, meta });
  }
  note(text: string): void {
    this.notes.push(text);
  }
}
