/**
 * Nightscout's CSV entries export (`/api/v1/entries.csv`): no header, one entry per line,
 * `"dateString",date (epoch ms),sgv (mg/dL),"direction","device"`. Instants come from the
 * epoch milliseconds (the ISO text when those are missing); the local offset from a
 * non-UTC ISO suffix, else `--tz`. The patient is the file name without `_entries`, the
 * same id the JSON importer gives the export's other files.
 */
import { parseNumber, splitCsv, streamLines } from '../csv.js';
import { parseIsoLike, type ParsedInstant } from '../time.js';
import { glucoseCellProblem, readGlucoseCell, CGM_LIMITS, type GlucoseCell } from './glucose-cell.js';
import { nightscoutPatient } from './nightscout.js';
import { parseError, type Detection, type ImportContext, type Importer, type SourceFile } from './types.js';

/** `"2024-03-01T08:00:00.000Z",1709280000000,…` (quotes optional). */
const ENTRY_LINE = /^"?\d{4}-\d{2}-\d{2}T\d{2}:\d{2}[^,]*"?,\s*\d{10,13}(\.\d+)?\s*,/;

function entryLines(file: SourceFile): { matching: number; total: number } {
  let matching = 0;
  let total = 0;
  for (const line of file.sample.lines.slice(0, 50)) {
    if (line.trim().length === 0) continue;
    total++;
    if (ENTRY_LINE.test(line)) matching++;
  }
  return { matching, total };
}

export const nightscoutCsv: Importer = {
  id: 'nightscout-csv',
  label: 'Nightscout CSV entries export',

  detect(file: SourceFile): Detection | null {
    const { matching, total } = entryLines(file);
    if (matching === 0 || matching < total * 0.9) return null;
    return {
      format: 'nightscout-csv',
      score: 0.9,
      reasons: [
        `${matching} of the first ${total} lines are Nightscout entries without a header ("ISO time",epoch ms,sgv,"direction","device")`,
        `patient "${nightscoutPatient(file)}"`,
      ],
    };
  },

  async run(files, ctx: ImportContext): Promise<void> {
    for (const file of files) await importOne(file, ctx);
  },
};

async function importOne(file: SourceFile, ctx: ImportContext): Promise<void> {
  const sink = ctx.sinkFor(file);
  const patient = nightscoutPatient(file);
  const inst: ParsedInstant = { localMs: 0, offsetMin: null };
  const g: GlucoseCell = { value: 0, unit: 'mg/dL', flags: 0 };
  let any = false;
  await streamLines(
    file.path,
    (line, no) => {
      if (sink.full) return false;
      if (line.trim().length === 0) return;
      const f = splitCsv(line);
      const iso = (f[0] ?? '').trim();
      const epoch = parseNumber((f[1] ?? '').trim());
      const parsed = parseIsoLike(iso, inst);
      let ts: number;
      if (epoch === epoch && epoch > 0) ts = Math.round(epoch < 1e11 ? epoch * 1000 : epoch);
      else if (parsed !== null && parsed.offsetMin !== null) ts = parsed.localMs;
      else throw parseError(file, no, `entry without an epoch-ms date or an ISO time with a zone ("${iso.slice(0, 40)}").`);
      any = true;
      const raw = (f[2] ?? '').trim();
      if (raw.length === 0) {
        sink.warn('entry_without_sgv', 'Entries without an sgv value (meter or calibration records) were skipped.', no);
        return;
      }
      if (!readGlucoseCell(raw, 'mg/dL', CGM_LIMITS, g)) throw parseError(file, no, glucoseCellProblem(raw, 'sgv'));
      // A `Z` suffix says nothing about the patient's clock: then --tz, else unknown.
      const off =
        parsed !== null && parsed.offsetMin !== null && parsed.offsetMin !== 0
          ? parsed.offsetMin
          : ctx.options.timeZone !== null
            ? ctx.zone.offsetAt(ts)
            : null;
      sink.glucose(patient, ts, off, 'cgm', g.value, g.unit, g.flags, no);
    },
    { quotedNewlines: true, signal: ctx.signal, onBytes: (b) => ctx.onBytes(file, b) },
  );
  if (!any) throw parseError(file, null, 'no Nightscout entries in the file.');
}
