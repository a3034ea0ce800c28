/** Header lookups shared by the CSV importers. */
import { normalizeHeader, splitCsv } from '../csv.js';

export interface CsvHeader {
  /** 1-based line number of the header. */
  line: number;
  names: string[];
  index: Map<string, number>;
  delimiter: string;
}

export function parseHeader(line: string, lineNo: number, delimiter = ','): CsvHeader {
  const names = splitCsv(line, delimiter).map(normalizeHeader);
  const index = new Map<string, number>();
  names.forEach((n, i) => {
    if (!index.has(n)) index.set(n, i);
  });
  return { line: lineNo, names, index, delimiter };
}

/** Index of the first column whose normalized name matches one of `names` (case-insensitive), or -1. */
export function columnOf(header: CsvHeader, ...names: string[]): number {
  for (const n of names) {
    const exact = header.index.get(n);
    if (exact !== undefined) return exact;
  }
  const lower = names.map((n) => n.toLowerCase());
  return header.names.findIndex((h) => lower.includes(h.toLowerCase()));
}

/** First header among the first `maxLines` lines of a sample for which `accept` holds. */
export function findHeader(lines: readonly string[], accept: (h: CsvHeader) => boolean, maxLines = 12, delimiter = ','): CsvHeader | null {
  for (let i = 0; i < Math.min(lines.length, maxLines); i++) {
    const h = parseHeader(lines[i]!, i + 1, delimiter);
    if (accept(h)) return h;
  }
  return null;
}

export function cell(fields: readonly string[], i: number): string {
  if (i < 0) return '';
  const v = fields[i];
  return v === undefined ? '' : v;
}
