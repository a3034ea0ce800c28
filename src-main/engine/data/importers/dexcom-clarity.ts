/**
 * Dexcom Clarity CSV export. Columns are found by name, so the 12-, 13- and 14-column
 * layouts and ragged rows all read the same way. Preamble rows (FirstName, LastName,
 * Device, Alert…) have no timestamp and are skipped by their Event Type, never by a fixed
 * row count. Timestamps are naive local time of the receiver/phone.
 */
import { fieldStarts, parseNumber, splitCsv, streamLines } from '../csv.js';
import { parseClockDuration, parseIsoLike, type ParsedInstant } from '../time.js';
import { columnOf, findHeader, parseHeader, type CsvHeader } from './csv-header.js';
import { CGM_LIMITS, glucoseCellProblem, readGlucoseCell, type GlucoseCell } from './glucose-cell.js';
import { localToUtc, noteNaiveTimes, parseError, type Detection, type ImportContext, type Importer, type SourceFile } from './types.js';
import type { GlucoseUnit } from '../../units.js';

/** Warning code of a file whose declared glucose unit contradicts its values (the import wizard asks before importing). */
export const UNIT_MISLABELLED = 'unit_mislabelled';

function isClarityHeader(h: CsvHeader): boolean {
  return h.index.has('Event Type') && h.names.some((n) => n.startsWith('Timestamp (')) && h.names.some((n) => n.startsWith('Glucose Value ('));
}

function glucoseColumn(h: CsvHeader): { index: number; unit: GlucoseUnit } {
  const mmol = h.names.findIndex((n) => n.startsWith('Glucose Value (mmol'));
  if (mmol !== -1) return { index: mmol, unit: 'mmol/L' };
  return { index: h.names.findIndex((n) => n.startsWith('Glucose Value (')), unit: 'mg/dL' };
}

/** Above this a value cannot be mmol/L (600 mg/dL); the quality check uses the same bound. */
const MAX_MMOL = 33.3;

/**
 * A mmol/L header over mg/dL values: the file's sample holds at least 3 numeric EGV values
 * and at least 90 % of them lie in 33.3–600, impossible as mmol/L and ordinary as mg/dL.
 * Returns the evidence (counts and a few values) or null. Mixed files are left as declared
 * (the quality check reports the stretches that look like the other unit).
 */
export function mislabelledMmol(file: SourceFile): { n: number; above: number; examples: number[]; median: number } | null {
  const h = findHeader(file.sample.lines, isClarityHeader, 5);
  if (h === null) return null;
  const g = glucoseColumn(h);
  if (g.unit !== 'mmol/L') return null;
  const iType = columnOf(h, 'Event Type');
  const values: number[] = [];
  for (const line of file.sample.lines.slice(h.line)) {
    const f = line.indexOf('"') === -1 ? line.split(',') : splitCsv(line);
    if (f[iType] !== 'EGV') continue;
    const v = parseNumber(f[g.index] ?? '');
    if (v === v) values.push(v);
  }
  const above = values.filter((v) => v > MAX_MMOL && v <= 600).length;
  if (values.length < 3 || above < 0.9 * values.length) return null;
  const sorted = [...values].sort((a, b) => a - b);
  return { n: values.length, above, examples: values.slice(0, 3), median: sorted[Math.floor(sorted.length / 2)]! };
}

const EXERCISE_INTENSITY: Record<string, number> = { Light: 0.33, Medium: 0.66, Heavy: 1 };
/** Event types that describe the account or device, not a measurement. */
const PREAMBLE_TYPES = new Set(['FirstName', 'LastName', 'DateOfBirth', 'Device', 'Alert']);

export const dexcomClarity: Importer = {
  id: 'dexcom-clarity',
  label: 'Dexcom Clarity CSV',

  detect(file: SourceFile): Detection | null {
    const h = findHeader(file.sample.lines, isClarityHeader, 5);
    if (h === null) return null;
    const g = glucoseColumn(h);
    const reasons = [
      `line ${h.line} is a Clarity header (Index, Timestamp (YYYY-MM-DDThh:mm:ss), Event Type, …)`,
      `${h.names.length}-column layout`,
      `glucose column "${h.names[g.index]}" (${g.unit})`,
    ];
    if (file.sample.bom !== 'none') reasons.push(`byte-order mark: ${file.sample.bom}`);
    if (mislabelledMmol(file) !== null) reasons.push('the glucose values are mg/dL although the header says mmol/L');
    return { format: 'dexcom-clarity', score: 0.97, reasons };
  },

  async run(files, ctx: ImportContext): Promise<void> {
    for (const file of files) await importOne(file, ctx);
  },
};

async function importOne(file: SourceFile, ctx: ImportContext): Promise<void> {
  const sink = ctx.sinkFor(file);
  noteNaiveTimes(ctx, sink, file);
  const patient = file.stem;
  let header: CsvHeader | null = null;
  let iTs = -1;
  let iType = -1;
  let iSub = -1;
  let iGlucose = -1;
  let unit: GlucoseUnit = 'mg/dL';
  let iInsulin = -1;
  let iCarbs = -1;
  let iDuration = -1;
  const inst: ParsedInstant = { localMs: 0, offsetMin: null };
  const cellOut: GlucoseCell = { value: 0, unit: 'mg/dL', flags: 0 };
  const skipped = new Map<string, number>();
  // Offset of the row's timestamp, set by tsOf (one object less per row on the hot path).
  let rowOff: number | null = null;

  const tsOf = (raw: string, line: number): number => {
    if (parseIsoLike(raw, inst) === null) throw parseError(file, line, `timestamp "${raw.slice(0, 40)}" is not YYYY-MM-DDThh:mm:ss.`);
    if (inst.offsetMin !== null) {
      rowOff = inst.offsetMin;
      return inst.localMs;
    }
    const ts = localToUtc(ctx, sink, inst.localMs, line);
    rowOff = ctx.zone.offsetMin;
    return ts;
  };

  // Fields of the current row: unquoted rows (nearly all) are read from offsets into the
  // line without splitting it; quoted rows go through the full CSV splitter.
  const starts = new Int32Array(64);
  let cur = '';
  let count = 0;
  let fields: string[] | null = null;
  const get = (k: number): string => {
    if (k < 0) return '';
    if (fields !== null) return fields[k] ?? '';
    return k < count ? cur.slice(starts[k]!, starts[k + 1]! - 1) : '';
  };

  await streamLines(
    file.path,
    (line, no) => {
      // a preview has what it needs: stop reading
      if (sink.full) return false;
      if (header === null) {
        const h = parseHeader(line, no);
        if (isClarityHeader(h)) {
          header = h;
          iTs = h.names.findIndex((n) => n.startsWith('Timestamp ('));
          iType = columnOf(h, 'Event Type');
          iSub = columnOf(h, 'Event Subtype');
          const g = glucoseColumn(h);
          iGlucose = g.index;
          unit = g.unit;
          const wrong = unit === 'mmol/L' ? mislabelledMmol(file) : null;
          if (wrong !== null) {
            // The header's unit is wrong: read the values as what they are, and say so (the
            // import panel stops on this warning and asks before anything is written).
            unit = 'mg/dL';
            sink.warn(
              UNIT_MISLABELLED,
              `${file.name}: the header says "${h.names[g.index]}" but ${wrong.above} of the first ${wrong.n} glucose values are above ${MAX_MMOL} mmol/L (e.g. ${wrong.examples.join(', ')}; median ${wrong.median}), impossible in mmol/L and ordinary in mg/dL: the values are read as mg/dL.`,
              no,
            );
          }
          iInsulin = h.names.findIndex((n) => n.startsWith('Insulin Value'));
          iCarbs = h.names.findIndex((n) => n.startsWith('Carb Value'));
          iDuration = h.names.findIndex((n) => n.startsWith('Duration'));
        } else if (no >= 5) {
          throw parseError(file, no, 'no Clarity header (Index, Timestamp (YYYY-MM-DDThh:mm:ss), Event Type, …) in the first lines.');
        }
        return;
      }
      if (line.length === 0) return;
      if (line.indexOf('"') === -1) {
        fields = null;
        cur = line;
        count = fieldStarts(line, ',', starts);
      } else {
        fields = splitCsv(line);
      }
      const type = get(iType);
      if (type === 'EGV') {
        const raw = get(iGlucose);
        if (!readGlucoseCell(raw, unit, CGM_LIMITS, cellOut)) {
          if (raw.trim().length === 0) {
            sink.warn('egv_without_value', 'EGV rows without a glucose value were skipped.', no);
            return;
          }
          throw parseError(file, no, glucoseCellProblem(raw));
        }
        const ts = tsOf(get(iTs), no);
        const off = rowOff;
        sink.glucose(patient, ts, off, 'cgm', cellOut.value, cellOut.unit, cellOut.flags, no);
        return;
      }
      if (type === 'Insulin') {
        const value = parseNumber(get(iInsulin));
        if (value !== value) throw parseError(file, no, `insulin value "${get(iInsulin).slice(0, 40)}" is not a number.`);
        const ts = tsOf(get(iTs), no);
        const off = rowOff;
        const sub = get(iSub);
        if (sub === 'Long-Acting') sink.event(patient, ts, off, 'basal_dose', value, null, { insulin: 'long-acting' }, no);
        else sink.event(patient, ts, off, 'bolus', value, null, sub === 'Fast-Acting' || sub === '' ? null : { subtype: sub }, no);
        return;
      }
      if (type === 'Carbs') {
        const value = parseNumber(get(iCarbs));
        if (value !== value) throw parseError(file, no, `carb value "${get(iCarbs).slice(0, 40)}" is not a number.`);
        const ts = tsOf(get(iTs), no);
        const off = rowOff;
        sink.event(patient, ts, off, 'carbs', value, null, null, no);
        return;
      }
      if (type === 'Calibration') {
        const value = parseNumber(get(iGlucose));
        if (value !== value) throw parseError(file, no, `calibration value "${get(iGlucose).slice(0, 40)}" is not a number.`);
        const ts = tsOf(get(iTs), no);
        const off = rowOff;
        sink.glucose(patient, ts, off, 'smbg', value, unit, 0, no);
        return;
      }
      if (type === 'Exercise') {
        const ts = tsOf(get(iTs), no);
        const off = rowOff;
        const sub = get(iSub);
        const dur = parseClockDuration(get(iDuration));
        sink.event(patient, ts, off, 'exercise', EXERCISE_INTENSITY[sub] ?? 0.5, Number.isFinite(dur) ? dur : null, { subtype: sub }, no);
        return;
      }
      if (type === 'Health') {
        const ts = tsOf(get(iTs), no);
        const off = rowOff;
        sink.event(patient, ts, off, 'note', 0, null, { text: get(iSub) }, no);
        return;
      }
      const key = PREAMBLE_TYPES.has(type) ? 'preamble' : type === '' ? '(empty)' : type;
      skipped.set(key, (skipped.get(key) ?? 0) + 1);
    },
    { quotedNewlines: true, signal: ctx.signal, onBytes: (b) => ctx.onBytes(file, b) },
  );
  if (header === null) throw parseError(file, null, 'no Clarity header line found.');
  if (skipped.size > 0) sink.note(`${file.name}: skipped rows by Event Type: ${[...skipped].map(([k, n]) => `${k} ${n}`).join(', ')}`);
}
