/**
 * Record sinks: `DbSink` hands records to the import's database thread (see
 * store/import-db-worker.ts), `PreviewSink` keeps the first rows mapped to canonical columns,
 * `DiscardSink` drops records of files already imported.
 */
import type { DbWorkerClient } from '../store/import-db-worker.js';
import type { EventKind } from '../store/events.js';
import type { ReadingKind } from '../store/readings.js';
import { checkEvent, checkGlucose, type ImportWarning, type RecordSink } from './importers/types.js';
import { type GlucoseUnit, toMmol } from '../units.js';

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
  private lastPatientKey = -1;

  constructor(
    private readonly client: DbWorkerClient,
    private readonly fileKey: number,
    private readonly timeZone: string | null,
    /** Most recent (ts, offset) per patient key, shared across the import's files. */
    private readonly latest: Map<number, { ts: number; off: number | null }>,
  ) {
    super();
  }

  private pid(patient: string, ts: number, off: number | null): number {
    let key: number;
    if (patient === this.lastPatient) key = this.lastPatientKey;
    else {
      key = this.client.patientKey(patient, this.timeZone);
      this.patientIds.add(patient);
      this.lastPatient = patient;
      this.lastPatientKey = key;
    }
    const l = this.latest.get(key);
    if (l === undefined) this.latest.set(key, { ts, off });
    else if (ts >= l.ts) {
      l.ts = ts;
      l.off = off;
    }
    return key;
  }

  glucose(patient: string, ts: number, offsetMin: number | null, kind: ReadingKind, value: number, unit: GlucoseUnit, flags: number, line: number): void {
    const f = checkGlucose(this, value, unit, flags, line);
    this.client.reading(this.pid(patient, ts, offsetMin), this.fileKey, ts, offsetMin, kind, toMmol(value, unit), f, line > 0 ? line : null);
    this.readings++;
  }

  event(
    patient: string,
    ts: number,
    offsetMin: number | null,
    kind: EventKind,
    value: number,
    durationMin: number | null,
    meta: Record<string, unknown> | null,
    line: number,
  ): void {
    const f = checkEvent(this, kind, value, line);
    this.client.event(
      this.pid(patient, ts, offsetMin),
      this.fileKey,
      ts,
      offsetMin,
      kind,
      value,
      durationMin,
      meta === null ? null : JSON.stringify(meta),
      f,
      line > 0 ? line : null,
    );
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

/** Canonical column of each event kind (data/grid/channels.ts). */
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
  glucose(patient: string, ts: number, offsetMin: number | null, kind: ReadingKind, value: number, unit: GlucoseUnit, flags: number, line: number): void {
    const f = checkGlucose(this, value, unit, flags, line);
    if (this.full) return;
    this.rows.push({
      datetime: new Date(ts).toISOString(),
      ts,
      utcOffsetMin: offsetMin,
      p_num: patient,
      channel: 'bg_mM',
      kind,
      value: toMmol(value, unit),
      unit: 'mmol/L',
      durationMin: null,
      flags: f,
      sourceRow: line > 0 ? line : null,
      meta: null,
    });
  }
  event(
    patient: string,
    ts: number,
    offsetMin: number | null,
    kind: EventKind,
    value: number,
    durationMin: number | null,
    meta: Record<string, unknown> | null,
    line: number,
  ): void {
    const f = checkEvent(this, kind, value, line);
    if (this.full) return;
    this.rows.push({
      datetime: new Date(ts).toISOString(),
      ts,
      utcOffsetMin: offsetMin,
      p_num: patient,
      channel: EVENT_CHANNEL[kind],
      kind,
      value,
      unit: EVENT_UNIT[kind],
      durationMin,
      flags: f,
      sourceRow: line > 0 ? line : null,
      meta,
    });
  }
  note(text: string): void {
    this.notes.push(text);
  }
}
