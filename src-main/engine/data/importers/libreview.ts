/**
 * Abbott LibreView CSV export. Line 1 is a preamble (`Glucose Data,Generated on,…`), line 2
 * the header. Timestamps use the account's locale (`MM-DD-YYYY hh:mm AM`, `DD-MM-YYYY
 * HH:mm`, `DD/MM/YYYY HH:mm`…): the date order is inferred from values that only one order
 * can parse (a day after the 12th), over the whole file if the first rows don't settle it;
 * a file that stays ambiguous is refused rather than guessed. Rows are not in time order.
 */
import { StudioError } from '../../errors.js';
import type { ReadingKind } from '../../store/readings.js';
import { parseNumber, splitCsv, streamLines } from '../csv.js';
import { DATE_ORDERS, parseByOrder, possibleOrders, type DateOrder } from '../time.js';
import { cell, columnOf, findHeader, type CsvHeader } from './csv-header.js';
import { LIBRE_LIMITS, glucoseCellProblem, readGlucoseCell, type GlucoseCell } from './glucose-cell.js';
import { localToUtc, noteNaiveTimes, parseError, type Detection, type ImportContext, type Importer, type SourceFile } from './types.js';
import type { GlucoseUnit } from '../../units.js';

function isLibreHeader(h: CsvHeader): boolean {
  return h.index.has('Device') && h.index.has('Device Timestamp') && h.index.has('Record Type');
}

interface LibreColumns {
  ts: number;
  type: number;
  unit: GlucoseUnit;
  historic: number;
  scan: number;
  strip: number;
  ketone: number;
  rapid: number;
  long: number;
  carbs: number;
  servings: number;
  notes: number;
  meal: number;
  correction: number;
  userChange: number;
}

function columns(h: CsvHeader): LibreColumns {
  const mmol = h.index.has('Historic Glucose mmol/L') || h.index.has('Scan Glucose mmol/L');
  const u = mmol ? 'mmol/L' : 'mg/dL';
  return {
    ts: columnOf(h, 'Device Timestamp'),
    type: columnOf(h, 'Record Type'),
    unit: mmol ? 'mmol/L' : 'mg/dL',
    historic: columnOf(h, `Historic Glucose ${u}`),
    scan: columnOf(h, `Scan Glucose ${u}`),
    strip: columnOf(h, `Strip Glucose ${u}`),
    ketone: columnOf(h, 'Ketone mmol/L'),
    rapid: columnOf(h, 'Rapid-Acting Insulin (units)'),
    long: columnOf(h, 'Long-Acting Insulin Value (units)', 'Long-Acting Insulin (units)'),
    carbs: columnOf(h, 'Carbohydrates (grams)'),
    servings: columnOf(h, 'Carbohydrates (servings)'),
    notes: columnOf(h, 'Notes'),
    meal: columnOf(h, 'Meal Insulin (units)'),
    correction: columnOf(h, 'Correction Insulin (units)'),
    userChange: columnOf(h, 'User Change Insulin (units)'),
  };
}

/** Bit mask of date orders every timestamp so far is valid under; `ampm` if any has AM/PM. */
interface OrderEvidence {
  mask: number;
  ampm: boolean;
  seen: number;
}

function addEvidence(ev: OrderEvidence, ts: string): void {
  if (ts.length === 0) return;
  const p = possibleOrders(ts);
  // A value no order can read is reported with its line by the import itself.
  if (p.mask === 0) return;
  ev.mask &= p.mask;
  ev.ampm ||= p.ampm;
  ev.seen++;
}

function orderFromEvidence(ev: OrderEvidence): DateOrder | 'none' | 'ambiguous' {
  const valid = DATE_ORDERS.filter((_, i) => (ev.mask & (1 << i)) !== 0);
  if (valid.length === 0) return 'none';
  if (valid.length === 1) return valid[0]!;
  // 12-hour clocks with AM/PM are the US locale, which writes month first.
  if (ev.ampm && valid.includes('mdy')) return 'mdy';
  return 'ambiguous';
}

function sampleEvidence(file: SourceFile, h: CsvHeader): OrderEvidence {
  const ev: OrderEvidence = { mask: 7, ampm: false, seen: 0 };
  const iTs = columnOf(h, 'Device Timestamp');
  for (const line of file.sample.lines.slice(h.line)) {
    if (line.length > 0) addEvidence(ev, cell(splitCsv(line), iTs));
  }
  return ev;
}

const ORDER_TEXT: Record<DateOrder, string> = { ymd: 'YYYY-MM-DD', dmy: 'DD-MM-YYYY', mdy: 'MM-DD-YYYY' };

export const libreView: Importer = {
  id: 'libreview',
  label: 'Abbott LibreView CSV',

  detect(file: SourceFile): Detection | null {
    const h = findHeader(file.sample.lines, isLibreHeader, 4);
    if (h === null) return null;
    const c = columns(h);
    const reasons = [`line ${h.line} is a LibreView header (Device, Serial Number, Device Timestamp, Record Type, …)`, `glucose unit ${c.unit}`];
    if (h.line > 1 && (file.sample.lines[0] ?? '').startsWith('Glucose Data')) reasons.push('line 1 is the "Glucose Data, Generated on" preamble');
    const order = orderFromEvidence(sampleEvidence(file, h));
    if (order === 'ambiguous') reasons.push('date order (DD-MM vs MM-DD) not settled by the first rows; the whole file is checked on import');
    else if (order !== 'none') reasons.push(`timestamps look like ${ORDER_TEXT[order]}`);
    const device = cell(splitCsv(file.sample.lines[h.line] ?? ''), columnOf(h, 'Device'));
    if (device.length > 0) reasons.push(`device "${device}"`);
    return { format: 'libreview', score: 0.96, reasons };
  },

  async run(files, ctx: ImportContext): Promise<void> {
    for (const file of files) await importOne(file, ctx);
  },
};

async function settleOrder(file: SourceFile, h: CsvHeader, ctx: ImportContext): Promise<DateOrder> {
  if (ctx.options.dateOrder !== null) return ctx.options.dateOrder;
  let ev = sampleEvidence(file, h);
  let order = orderFromEvidence(ev);
  if (order === 'ambiguous' && !file.sample.complete) {
    // The first rows all have days ≤ 12: look at every timestamp (one extra, cheap pass).
    ev = { mask: 7, ampm: false, seen: 0 };
    const iTs = columnOf(h, 'Device Timestamp');
    const evidence = ev;
    await streamLines(
      file.path,
      (line, no) => {
        if (no > h.line && line.length > 0) addEvidence(evidence, cell(splitCsv(line), iTs));
        return evidence.mask !== 0;
      },
      { quotedNewlines: true, signal: ctx.signal },
    );
    order = orderFromEvidence(ev);
  }
  if (order === 'ambiguous') {
    throw new StudioError(
      'INVALID_INPUT',
      `${file.name}: cannot tell whether the dates are DD-MM-YYYY or MM-DD-YYYY (no day after the 12th anywhere in the file). ` +
        "Say which with --date-order dmy or --date-order mdy (the account's locale decides it), and import again.",
      { file: file.path },
    );
  }
  if (order === 'none')
    throw parseError(
      file,
      null,
      'the Device Timestamp values do not share one date format (expected e.g. MM-DD-YYYY hh:mm AM, DD-MM-YYYY HH:mm or DD/MM/YYYY HH:mm).',
    );
  return order;
}

async function importOne(file: SourceFile, ctx: ImportContext): Promise<void> {
  const sink = ctx.sinkFor(file);
  const h = findHeader(file.sample.lines, isLibreHeader, 4);
  if (h === null) throw parseError(file, null, 'no LibreView header (Device, Serial Number, Device Timestamp, Record Type, …) in the first lines.');
  const order = await settleOrder(file, h, ctx);
  noteNaiveTimes(ctx, sink, file);
  const c = columns(h);
  const patient = file.stem;
  const historicTs: number[] = [];
  const cellOut: GlucoseCell = { value: 0, unit: c.unit, flags: 0 };

  const glucose = (f: string[], col: number, kind: ReadingKind, ts: number, off: number, no: number): void => {
    const raw = cell(f, col).trim();
    if (raw.length === 0) {
      sink.warn(`${kind}_without_value`, `${kind} rows without a glucose value were skipped.`, no);
      return;
    }
    if (!readGlucoseCell(raw, c.unit, LIBRE_LIMITS, cellOut)) throw parseError(file, no, glucoseCellProblem(raw));
    sink.glucose(patient, ts, off, kind, cellOut.value, cellOut.unit, cellOut.flags, no);
  };
  const num = (f: string[], col: number): number => parseNumber(cell(f, col).trim());

  await streamLines(
    file.path,
    (line, no) => {
      // a preview has what it needs: stop reading
      if (sink.full) return false;
      if (no <= h.line || line.length === 0) return;
      const f = splitCsv(line);
      const rawTs = cell(f, c.ts);
      const local = parseByOrder(rawTs, order);
      if (local !== local) throw parseError(file, no, `timestamp "${rawTs.slice(0, 40)}" is not a valid ${ORDER_TEXT[order]} date and time.`);
      const ts = localToUtc(ctx, sink, local, no);
      const off = ctx.zone.offsetMin;
      const type = cell(f, c.type).trim();
      switch (type) {
        case '0':
          glucose(f, c.historic, 'cgm', ts, off, no);
          if (historicTs.length < 5000) historicTs.push(ts);
          return;
        case '1':
          glucose(f, c.scan, 'scan', ts, off, no);
          return;
        case '2':
          glucose(f, c.strip, 'smbg', ts, off, no);
          return;
        case '3': {
          const v = num(f, c.ketone);
          if (v !== v) throw parseError(file, no, 'ketone row without a numeric Ketone mmol/L value.');
          sink.event(patient, ts, off, 'ketone', v, null, null, no);
          return;
        }
        case '4': {
          const rapid = num(f, c.rapid);
          const long = num(f, c.long);
          let any = false;
          if (rapid === rapid) {
            sink.event(patient, ts, off, 'bolus', rapid, null, null, no);
            any = true;
          } else {
            // Newer exports split rapid-acting insulin into meal / correction / user change.
            const parts = [num(f, c.meal), num(f, c.correction), num(f, c.userChange)].filter((x) => x === x);
            if (parts.length > 0) {
              sink.event(
                patient,
                ts,
                off,
                'bolus',
                parts.reduce((a, b) => a + b, 0),
                null,
                { split: 'meal+correction+user change' },
                no,
              );
              any = true;
            }
          }
          if (long === long) {
            sink.event(patient, ts, off, 'basal_dose', long, null, { insulin: 'long-acting' }, no);
            any = true;
          }
          if (!any) sink.warn('insulin_without_value', 'Insulin rows without a numeric dose were skipped.', no);
          return;
        }
        case '5': {
          const g = num(f, c.carbs);
          if (g === g) sink.event(patient, ts, off, 'carbs', g, null, null, no);
          else {
            const s = num(f, c.servings);
            if (s !== s) {
              sink.warn('food_without_value', 'Food rows without carbohydrates were skipped.', no);
              return;
            }
            sink.event(patient, ts, off, 'carbs', s * 15, null, { servings: s }, no);
            sink.warn('carb_servings', 'Carbohydrates given in servings were converted at 15 g per serving.', no);
          }
          return;
        }
        case '6': {
          const text = cell(f, c.notes);
          if (text.length > 0) sink.event(patient, ts, off, 'note', 0, null, { text: text.slice(0, 2000) }, no);
          return;
        }
        default:
          sink.warn('unknown_record_type', `Rows with an unknown Record Type were skipped.`, no);
      }
    },
    { quotedNewlines: true, signal: ctx.signal, onBytes: (b) => ctx.onBytes(file, b) },
  );
  if (historicTs.length > 2) {
    historicTs.sort((a, b) => a - b);
    const gaps = historicTs
      .slice(1)
      .map((t, i) => t - historicTs[i]!)
      .filter((g) => g > 0)
      .sort((a, b) => a - b);
    const median = gaps[gaps.length >> 1];
    if (median !== undefined) {
      const min = Math.round(median / 60_000);
      sink.note(
        `${file.name}: historic glucose every ${min} min${min >= 14 && min <= 16 ? ' (Libre 1/2)' : min >= 4 && min <= 6 ? ' (Libre 3)' : ''}; dates read as ${ORDER_TEXT[order]}`,
      );
    }
  }
}
