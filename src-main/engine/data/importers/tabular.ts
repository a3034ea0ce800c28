/**
 * One row-per-timestamp CSV reader shared by the harmonised layouts (Glucose-ML,
 * GluPredKit, the combined layout) and the generic CSV with a column mapping: a
 * timestamp column, an optional patient column, a glucose column and event columns.
 */
import type { EventKind } from '../../store/events.js';
import type { ReadingKind } from '../../store/readings.js';
import { guessDelimiter, parseNumber, splitCsv, streamLines } from '../csv.js';
import { parseByOrder, parseIsoLike, ZoneResolver, type ParsedInstant } from '../time.js';
import { cell, columnOf, parseHeader, type CsvHeader } from './csv-header.js';
import { CGM_LIMITS, glucoseCellProblem, readGlucoseCell, type GlucoseCell, type SensorLimits } from './glucose-cell.js';
import type { GenericMapping } from './mapping.js';
import { localToUtc, noteNaiveTimes, parseError, type ImportContext, type SourceFile } from './types.js';
import type { GlucoseUnit } from '../../units.js';

export interface TabularEventColumn {
  column: string;
  kind: EventKind;
  scale: number;
  durationMinColumn?: string | undefined;
  /** Zero means "nothing happened" (boluses, carbs): not stored. */
  skipZero?: boolean;
  /** Only store when the value changes for the patient (basal rate repeated on every row). */
  onChange?: boolean;
  meta?: Record<string, unknown>;
}

export interface TabularSpec {
  delimiter: string | null;
  headerLine: number;
  timestamp: { column: string; format: GenericMapping['timestamp']['format'] };
  patient: { column: string } | { value: string } | null;
  glucose: { column: string; unit: GlucoseUnit; kind: ReadingKind } | null;
  /** What Low/High markers in the glucose column stand for (default 40 / 400 mg/dL). */
  limits?: SensorLimits;
  events: TabularEventColumn[];
  /** Per-file zone overriding --tz (generic mapping's timeZone). */
  timeZone?: string | undefined;
}

/** Cells that mean "no value" in exports written by pandas, R or spreadsheets. */
function isBlank(s: string): boolean {
  if (s.length === 0) return true;
  if (s.length > 4) return false;
  const l = s.trim().toLowerCase();
  return l === '' || l === 'nan' || l === 'na' || l === 'null' || l === 'none' || l === '-';
}

export function specFromMapping(m: GenericMapping): TabularSpec {
  return {
    delimiter: m.delimiter ?? null,
    headerLine: m.headerLine,
    timestamp: m.timestamp,
    patient: m.patient ?? null,
    glucose: m.glucose === undefined ? null : { column: m.glucose.column, unit: m.glucose.unit, kind: m.glucose.kind },
    events: m.events.map((e) => ({
      column: e.column,
      kind: e.kind,
      scale: e.scale,
      durationMinColumn: e.durationMinColumn,
      skipZero: e.kind === 'bolus' || e.kind === 'carbs',
      onChange: e.kind === 'basal_rate',
    })),
    timeZone: m.timeZone,
  };
}

export async function runTabular(file: SourceFile, ctx: ImportContext, spec: TabularSpec): Promise<void> {
  const sink = ctx.sinkFor(file);
  const zone = spec.timeZone !== undefined && ctx.options.timeZone === null ? new ZoneResolver(spec.timeZone) : ctx.zone;
  let header: CsvHeader | null = null;
  let iTs = -1;
  let iPatient = -1;
  let iGlucose = -1;
  let events: { index: number; durIndex: number; col: TabularEventColumn }[] = [];
  const fixedPatient = spec.patient === null ? file.stem : 'value' in spec.patient ? spec.patient.value : null;
  const lastValue = new Map<string, number>();
  const inst: ParsedInstant = { localMs: 0, offsetMin: null };
  const g: GlucoseCell = { value: 0, unit: 'mg/dL', flags: 0 };
  const limits = spec.limits ?? CGM_LIMITS;
  let warnedNaive = false;

  const need = (h: CsvHeader, name: string, no: number): number => {
    const i = columnOf(h, name);
    if (i === -1) throw parseError(file, no, `column "${name}" is missing (columns: ${h.names.slice(0, 30).join(', ')}).`);
    return i;
  };

  await streamLines(
    file.path,
    (line, no) => {
      if (no < spec.headerLine) return;
      if (header === null) {
        const h = parseHeader(line, no, spec.delimiter ?? guessDelimiter(line));
        header = h;
        iTs = need(h, spec.timestamp.column, no);
        if (spec.patient !== null && 'column' in spec.patient) iPatient = need(h, spec.patient.column, no);
        if (spec.glucose !== null) iGlucose = need(h, spec.glucose.column, no);
        events = spec.events.map((col) => ({
          index: need(h, col.column, no),
          durIndex: col.durationMinColumn === undefined ? -1 : need(h, col.durationMinColumn, no),
          col,
        }));
        return;
      }
      if (line.length === 0) return;
      const f = splitCsv(line, header.delimiter);
      const rawTs = cell(f, iTs).trim();
      let ts: number;
      let off: number | null;
      switch (spec.timestamp.format) {
        case 'epoch_ms':
        case 'epoch_s': {
          const n = parseNumber(rawTs);
          if (n !== n) throw parseError(file, no, `timestamp "${rawTs.slice(0, 40)}" is not an epoch number.`);
          ts = Math.round(spec.timestamp.format === 'epoch_s' ? n * 1000 : n);
          off = ctx.options.timeZone !== null || spec.timeZone !== undefined ? zone.offsetAt(ts) : null;
          break;
        }
        case 'iso': {
          if (parseIsoLike(rawTs, inst) === null) throw parseError(file, no, `timestamp "${rawTs.slice(0, 40)}" is not YYYY-MM-DD hh:mm[:ss][zone].`);
          if (inst.offsetMin !== null) {
            ts = inst.localMs;
            off = inst.offsetMin;
          } else {
            if (!warnedNaive && spec.timeZone === undefined) {
              noteNaiveTimes(ctx, sink, file);
              warnedNaive = true;
            }
            ts = zone === ctx.zone ? localToUtc(ctx, sink, inst.localMs, no) : zone.toUtc(inst.localMs);
            off = zone.offsetMin;
          }
          break;
        }
        default: {
          const local = parseByOrder(rawTs, spec.timestamp.format);
          if (local !== local)
            throw parseError(file, no, `timestamp "${rawTs.slice(0, 40)}" does not match the ${spec.timestamp.format.toUpperCase()} date order.`);
          if (!warnedNaive && spec.timeZone === undefined) {
            noteNaiveTimes(ctx, sink, file);
            warnedNaive = true;
          }
          ts = zone === ctx.zone ? localToUtc(ctx, sink, local, no) : zone.toUtc(local);
          off = zone.offsetMin;
        }
      }
      let patient = fixedPatient;
      if (patient === null) {
        patient = cell(f, iPatient).trim();
        if (patient.length === 0) throw parseError(file, no, 'the patient column is empty.');
      }
      if (iGlucose !== -1) {
        const raw = cell(f, iGlucose);
        if (!isBlank(raw)) {
          if (!readGlucoseCell(raw, spec.glucose!.unit, limits, g)) throw parseError(file, no, glucoseCellProblem(raw, spec.glucose!.column));
          sink.glucose(patient, ts, off, spec.glucose!.kind, g.value, g.unit, g.flags, no);
        }
      }
      for (const e of events) {
        const raw = cell(f, e.index);
        if (isBlank(raw)) continue;
        const v = parseNumber(raw);
        if (v !== v) throw parseError(file, no, `${e.col.column} "${raw.slice(0, 40)}" is not a number.`);
        const value = v * e.col.scale;
        if (e.col.skipZero === true && value === 0) continue;
        if (e.col.onChange === true) {
          const key = `${patient}\u0000${e.col.column}`;
          if (lastValue.get(key) === value) continue;
          lastValue.set(key, value);
        }
        let dur: number | null = null;
        if (e.durIndex !== -1) {
          const d = parseNumber(cell(f, e.durIndex));
          dur = d === d ? d : null;
        }
        sink.event(patient, ts, off, e.col.kind, value, dur, e.col.meta ?? null, no);
      }
      return !sink.full;
    },
    { quotedNewlines: true, signal: ctx.signal, onBytes: (b) => ctx.onBytes(file, b) },
  );
  if (header === null) throw parseError(file, spec.headerLine, 'the file ends before its header line.');
}
