/**
 * Medtronic CareLink CSV export. A preamble (patient name, date range, device and serial
 * lines) is followed by one section per device, each starting with a divider line
 * (`-------;MiniMed 780G MMT-1886;Pump;NG1234567H;-------`) and its own
 * `Index;Date;Time;…` header. European exports use `;` and decimal commas, US ones `,`.
 * Rows are newest first; timestamps are naive local pump time (`Date` + `Time`, in the
 * account's date order).
 *
 * Read: `Sensor Glucose (mg/dL|mmol/L)` → cgm, `BG Reading` → smbg (sensor-limit markers
 * included), `Basal Rate (U/h)` → scheduled basal_rate, temp basals (`Temp Basal Amount`,
 * `Temp Basal Type` percent or rate, `Temp Basal Duration (h:mm:ss)`) → basal_rate with a
 * duration and the scheduled rate resumed at its end, `Bolus Volume Delivered (U)` →
 * bolus (square/dual parts with `Bolus Duration`), `BWZ Carb Input (grams)` → carbs.
 * The "Aggregated Auto Insulin Data" section (daily totals) is skipped: importing it would
 * count insulin as one dose per day.
 */
import { StudioError } from '../../errors.js';
import { guessDelimiter, parseNumber, splitCsv, streamLines } from '../csv.js';
import { DATE_ORDERS, parseByOrder, parseClockDuration, possibleOrders, type DateOrder } from '../time.js';
import { cell, columnOf, parseHeader, type CsvHeader } from './csv-header.js';
import { CGM_LIMITS, glucoseCellProblem, readGlucoseCell, type GlucoseCell } from './glucose-cell.js';
import { localToUtc, noteNaiveTimes, parseError, type Detection, type ImportContext, type Importer, type RecordSink, type SourceFile } from './types.js';
import type { GlucoseUnit } from '../../units.js';

const DIVIDER = '-------';
const DATA_COLUMNS = [
  'Sensor Glucose (mg/dL)',
  'Sensor Glucose (mmol/L)',
  'BG Reading (mg/dL)',
  'BG Reading (mmol/L)',
  'Basal Rate (U/h)',
  'Bolus Volume Delivered (U)',
  'BWZ Carb Input (grams)',
];

function isCareLinkHeader(h: CsvHeader): boolean {
  return h.index.has('Index') && h.index.has('Date') && h.index.has('Time') && DATA_COLUMNS.some((c) => h.index.has(c));
}

/** A CareLink header in `line`, with the delimiter it uses, or null. */
function headerOf(line: string, no: number): CsvHeader | null {
  if (!/^\s*"?Index"?\s*[;,\t]/.test(line)) return null;
  const h = parseHeader(line, no, guessDelimiter(line));
  return isCareLinkHeader(h) ? h : null;
}

interface Columns {
  date: number;
  time: number;
  sensor: number;
  sensorUnit: GlucoseUnit;
  bg: number;
  bgUnit: GlucoseUnit;
  basal: number;
  tempAmount: number;
  tempType: number;
  tempDuration: number;
  bolus: number;
  bolusType: number;
  bolusDuration: number;
  carbs: number;
}

function columns(h: CsvHeader): Columns {
  const sensorMmol = columnOf(h, 'Sensor Glucose (mmol/L)');
  const bgMmol = columnOf(h, 'BG Reading (mmol/L)');
  return {
    date: columnOf(h, 'Date'),
    time: columnOf(h, 'Time'),
    sensor: sensorMmol !== -1 ? sensorMmol : columnOf(h, 'Sensor Glucose (mg/dL)'),
    sensorUnit: sensorMmol !== -1 ? 'mmol/L' : 'mg/dL',
    bg: bgMmol !== -1 ? bgMmol : columnOf(h, 'BG Reading (mg/dL)'),
    bgUnit: bgMmol !== -1 ? 'mmol/L' : 'mg/dL',
    basal: columnOf(h, 'Basal Rate (U/h)'),
    tempAmount: columnOf(h, 'Temp Basal Amount', 'Temp Basal Amount (U/h)'),
    tempType: columnOf(h, 'Temp Basal Type'),
    tempDuration: columnOf(h, 'Temp Basal Duration (h:mm:ss)', 'Temp Basal Duration (m)'),
    bolus: columnOf(h, 'Bolus Volume Delivered (U)'),
    bolusType: columnOf(h, 'Bolus Type'),
    bolusDuration: columnOf(h, 'Bolus Duration (h:mm:ss)'),
    carbs: columnOf(h, 'BWZ Carb Input (grams)', 'BWZ Carb Input (exchanges)'),
  };
}

const ORDER_TEXT: Record<DateOrder, string> = { ymd: 'YYYY/MM/DD', dmy: 'DD.MM.YY(YY)', mdy: 'MM/DD/YY(YY)' };

interface OrderEvidence {
  mask: number;
  ampm: boolean;
}

/** Narrows the date orders to those a data row's `Date Time` can be read in. */
function addEvidence(ev: OrderEvidence, fields: string[], c: Columns): void {
  const d = cell(fields, c.date).trim();
  if (d.length === 0) return;
  const p = possibleOrders(`${d} ${cell(fields, c.time).trim()}`);
  if (p.mask === 0) return;
  ev.mask &= p.mask;
  ev.ampm ||= p.ampm;
}

function orderOf(ev: OrderEvidence): DateOrder | 'ambiguous' | 'none' {
  const valid = DATE_ORDERS.filter((_, i) => (ev.mask & (1 << i)) !== 0);
  if (valid.length === 0) return 'none';
  if (valid.length === 1) return valid[0]!;
  if (ev.ampm && valid.includes('mdy')) return 'mdy';
  return 'ambiguous';
}

/** Walks the lines of a CareLink file: section dividers, headers and data rows. */
function walker(onRow: (f: string[], c: Columns, no: number, section: string) => void, onSection?: (section: string) => void) {
  let header: CsvHeader | null = null;
  let c: Columns | null = null;
  let section = '';
  return (line: string, no: number): void => {
    if (line.length === 0) return;
    const trimmed = line.replace(/^"/, '').trimStart();
    if (trimmed.startsWith(DIVIDER)) {
      header = null;
      c = null;
      section = splitCsv(line, guessDelimiter(line))
        .map((s) => s.trim())
        .filter((s) => s.length > 0 && !s.startsWith(DIVIDER))
        .join(' ');
      onSection?.(section);
      return;
    }
    const h = headerOf(line, no);
    if (h !== null) {
      header = h;
      c = columns(h);
      return;
    }
    if (header === null || c === null) return; // preamble
    onRow(splitCsv(line, (header as CsvHeader).delimiter), c, no, section);
  };
}

function sampleOrder(file: SourceFile): OrderEvidence {
  const ev: OrderEvidence = { mask: 7, ampm: false };
  const walk = walker((f, c) => addEvidence(ev, f, c));
  file.sample.lines.forEach((l, i) => walk(l, i + 1));
  return ev;
}

export const medtronicCareLink: Importer = {
  id: 'medtronic-carelink',
  label: 'Medtronic CareLink CSV',

  detect(file: SourceFile): Detection | null {
    const lines = file.sample.lines;
    let header: CsvHeader | null = null;
    let sections = 0;
    let device = '';
    for (let i = 0; i < lines.length; i++) {
      const line = lines[i]!;
      if (line.replace(/^"/, '').trimStart().startsWith(DIVIDER)) {
        sections++;
        if (device.length === 0)
          device = splitCsv(line, guessDelimiter(line))
            .map((s) => s.trim())
            .filter((s) => s.length > 0 && !s.startsWith(DIVIDER))
            .join(' ');
        continue;
      }
      header ??= headerOf(line, i + 1);
    }
    if (header === null) return null;
    const reasons = [
      `line ${header.line} is a CareLink header (Index, Date, Time, ${DATA_COLUMNS.filter((c) => header.index.has(c)).join(', ')})`,
      `separator "${header.delimiter}"`,
    ];
    if (sections > 0) reasons.push(`${sections} device section(s) in the first lines${device.length > 0 ? `, first: ${device}` : ''}`);
    const order = orderOf(sampleOrder(file));
    if (order !== 'ambiguous' && order !== 'none') reasons.push(`dates look like ${ORDER_TEXT[order]}`);
    return { format: 'medtronic-carelink', score: 0.95, reasons };
  },

  async run(files, ctx: ImportContext): Promise<void> {
    for (const file of files) await importOne(file, ctx);
  },
};

async function settleOrder(file: SourceFile, ctx: ImportContext): Promise<DateOrder> {
  if (ctx.options.dateOrder !== null) return ctx.options.dateOrder;
  let ev = sampleOrder(file);
  let order = orderOf(ev);
  if (order === 'ambiguous' && !file.sample.complete) {
    ev = { mask: 7, ampm: false };
    const evidence = ev;
    const walk = walker((f, c) => addEvidence(evidence, f, c));
    await streamLines(
      file.path,
      (line, no) => {
        walk(line, no);
        return evidence.mask !== 0 && orderOf(evidence) === 'ambiguous';
      },
      { quotedNewlines: true, signal: ctx.signal },
    );
    order = orderOf(ev);
  }
  if (order === 'ambiguous')
    throw new StudioError(
      'INVALID_INPUT',
      `${file.name}: cannot tell whether the dates are DD/MM or MM/DD (no day after the 12th anywhere in the file). ` +
        "Say which with --date-order dmy or --date-order mdy (the CareLink account's locale decides it), and import again.",
      { file: file.path },
    );
  if (order === 'none')
    throw parseError(file, null, 'the Date and Time columns do not share one date format (expected e.g. 2024/03/01 08:00:00, 01.03.24 08:00:00).');
  return order;
}

interface ScheduledBasal {
  ts: number;
  off: number;
  rate: number;
  line: number;
}

interface TempBasal {
  ts: number;
  off: number;
  amount: number;
  percent: boolean;
  durationMin: number;
  line: number;
}

async function importOne(file: SourceFile, ctx: ImportContext): Promise<void> {
  const sink = ctx.sinkFor(file);
  const order = await settleOrder(file, ctx);
  noteNaiveTimes(ctx, sink, file);
  const patient = file.stem;
  const g: GlucoseCell = { value: 0, unit: 'mg/dL', flags: 0 };
  const scheduled: ScheduledBasal[] = [];
  const temps: TempBasal[] = [];
  const sections: string[] = [];
  let aggregatedRows = 0;
  let headers = 0;

  const num = (f: string[], i: number): number => (i < 0 ? Number.NaN : parseNumber(cell(f, i).trim()));

  const walk = walker(
    (f, c, no, section) => {
      if (/aggregated/i.test(section)) {
        aggregatedRows++;
        return;
      }
      const date = cell(f, c.date).trim();
      if (date.length === 0) return;
      const text = `${date} ${cell(f, c.time).trim()}`;
      const local = parseByOrder(text, order);
      if (local !== local) throw parseError(file, no, `Date and Time "${text.slice(0, 40)}" are not a valid ${ORDER_TEXT[order]} hh:mm:ss time.`);
      const ts = localToUtc(ctx, sink, local, no);
      const off = ctx.zone.offsetMin;

      const glucose = (i: number, unit: GlucoseUnit, kind: 'cgm' | 'smbg'): void => {
        if (i < 0) return;
        const raw = cell(f, i).trim();
        if (raw.length === 0) return;
        if (!readGlucoseCell(raw, unit, CGM_LIMITS, g)) throw parseError(file, no, glucoseCellProblem(raw, kind === 'cgm' ? 'Sensor Glucose' : 'BG Reading'));
        sink.glucose(patient, ts, off, kind, g.value, g.unit, g.flags, no);
      };
      glucose(c.sensor, c.sensorUnit, 'cgm');
      glucose(c.bg, c.bgUnit, 'smbg');

      const basal = num(f, c.basal);
      if (basal === basal) scheduled.push({ ts, off, rate: basal, line: no });
      const temp = num(f, c.tempAmount);
      if (temp === temp) {
        const durText = cell(f, c.tempDuration).trim();
        const dur = durText.includes(':') ? parseClockDuration(durText) : parseNumber(durText);
        if (dur !== dur) throw parseError(file, no, `temp basal without a duration ("${durText.slice(0, 20)}").`);
        temps.push({ ts, off, amount: temp, percent: /percent/i.test(cell(f, c.tempType)), durationMin: dur, line: no });
      }
      const bolus = num(f, c.bolus);
      if (bolus === bolus && bolus !== 0) {
        const type = cell(f, c.bolusType).trim();
        const dur = c.bolusDuration < 0 ? Number.NaN : parseClockDuration(cell(f, c.bolusDuration).trim());
        sink.event(patient, ts, off, 'bolus', bolus, dur === dur && dur > 0 ? dur : null, type.length > 0 ? { type } : null, no);
      }
      const carbs = num(f, c.carbs);
      if (carbs === carbs && carbs !== 0) sink.event(patient, ts, off, 'carbs', carbs, null, { source: 'bolus wizard' }, no);
    },
    (section) => sections.push(section),
  );

  await streamLines(
    file.path,
    (line, no) => {
      if (sink.full) return false;
      if (headerOf(line, no) !== null) headers++;
      walk(line, no);
    },
    { quotedNewlines: true, signal: ctx.signal, onBytes: (b) => ctx.onBytes(file, b) },
  );
  if (headers === 0) throw parseError(file, null, 'no CareLink header (Index, Date, Time, Sensor Glucose (mg/dL), …) found.');

  emitBasal(sink, ctx, patient, scheduled, temps);
  sink.note(`${file.name}: ${headers} CareLink section(s)${sections.length > 0 ? ` (${sections.join('; ')})` : ''}; dates read as ${ORDER_TEXT[order]}`);
  if (aggregatedRows > 0)
    sink.note(`${file.name}: ${aggregatedRows} row(s) of the "Aggregated Auto Insulin Data" section (daily totals, not doses) were not imported`);
}

/**
 * Scheduled rates and temp basals in time order: a temp is stored with its duration and
 * the scheduled rate in force at its end resumes then; scheduled changes inside a temp
 * are taken up by that resume. Percent temps are a share of the scheduled rate.
 */
function emitBasal(sink: RecordSink, ctx: ImportContext, patient: string, scheduled: ScheduledBasal[], temps: TempBasal[]): void {
  scheduled.sort((a, b) => a.ts - b.ts || a.line - b.line);
  temps.sort((a, b) => a.ts - b.ts || a.line - b.line);
  const scheduledAt = (ts: number): number | null => {
    let r: number | null = null;
    for (const s of scheduled) {
      if (s.ts > ts) break;
      r = s.rate;
    }
    return r;
  };
  const windows = temps.map((t) => ({ from: t.ts, to: t.ts + t.durationMin * 60_000 }));
  const insideTemp = (ts: number): boolean => windows.some((w) => ts > w.from && ts < w.to);
  for (const s of scheduled) if (!insideTemp(s.ts)) sink.event(patient, s.ts, s.off, 'basal_rate', s.rate, null, null, s.line);
  for (const t of temps) {
    let rate = t.amount;
    if (t.percent) {
      const base = scheduledAt(t.ts);
      if (base === null) {
        sink.warn(
          'temp_without_schedule',
          'Percent temp basals before the first scheduled basal rate of the file were skipped (their rate is unknown).',
          t.line,
        );
        continue;
      }
      rate = (base * t.amount) / 100;
    }
    sink.event(patient, t.ts, t.off, 'basal_rate', rate, t.durationMin, { source: 'temp', ...(t.percent ? { percent: t.amount } : {}) }, t.line);
    const end = t.ts + t.durationMin * 60_000;
    const resume = scheduledAt(end);
    if (resume !== null && t.durationMin > 0)
      sink.event(patient, end, ctx.zone.offsetAt(end), 'basal_rate', resume, null, { source: 'scheduled', resumed: true }, t.line);
  }
}
