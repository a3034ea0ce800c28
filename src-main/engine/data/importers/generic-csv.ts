/**
 * Generic CSV with an explicit column mapping (timestamp format, zone, patient, glucose
 * unit, event columns). Never auto-detected: it applies when a mapping is given.
 */
import { guessDelimiter } from '../csv.js';
import { parseHeader } from './csv-header.js';
import { runTabular, specFromMapping } from './tabular.js';
import { parseError, type Detection, type ImportContext, type Importer, type SourceFile } from './types.js';
import type { GenericMapping } from './mapping.js';

/** Checks that the mapped columns exist in the file's header; returns the reasons. */
export function checkMapping(file: SourceFile, mapping: GenericMapping): Detection {
  const line = file.sample.lines[mapping.headerLine - 1];
  if (line === undefined) throw parseError(file, mapping.headerLine, "the file has no header at the mapping's headerLine.");
  const h = parseHeader(line, mapping.headerLine, mapping.delimiter ?? guessDelimiter(line));
  const wanted = [
    mapping.timestamp.column,
    ...(mapping.patient !== undefined && 'column' in mapping.patient ? [mapping.patient.column] : []),
    ...(mapping.glucose !== undefined ? [mapping.glucose.column] : []),
    ...mapping.events.map((e) => e.column),
  ];
  const missing = wanted.filter((c) => !h.names.some((n) => n.toLowerCase() === c.toLowerCase()));
  if (missing.length > 0)
    throw parseError(
      file,
      mapping.headerLine,
      `mapped column(s) ${missing.map((m) => `"${m}"`).join(', ')} not in the header (${h.names.slice(0, 20).join(', ')}).`,
    );
  return {
    format: 'generic-csv',
    score: 1,
    reasons: ['a column mapping was given', `mapped columns found in line ${mapping.headerLine}: ${wanted.join(', ')}`],
  };
}

export const genericCsv: Importer = {
  id: 'generic-csv',
  label: 'Generic CSV with a column mapping',
  detect(): Detection | null {
    return null;
  },
  async run(files, ctx: ImportContext): Promise<void> {
    const mapping = ctx.options.mapping;
    if (mapping === null) throw parseError(files[0]!, null, 'the generic CSV format needs a column mapping (--mapping mapping.json).');
    for (const file of files) {
      checkMapping(file, mapping);
      await runTabular(file, ctx, specFromMapping(mapping));
    }
  },
};
