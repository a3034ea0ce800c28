/** Reads the header of a CSV the user picked (in the browser) so the mapping form can offer its columns. */

export type Delimiter = ',' | ';' | '\t' | '|';
export const DELIMITERS: Delimiter[] = [',', ';', '\t', '|'];

/** The delimiter that splits the first lines most consistently (ties: the earlier in DELIMITERS). */
export function guessDelimiter(lines: string[]): Delimiter {
  let best: Delimiter = ',';
  let bestScore = -1;
  for (const d of DELIMITERS) {
    const counts = lines.slice(0, 10).map((l) => splitCsvLine(l, d).length);
    if (counts.length === 0) continue;
    const first = counts[0]!;
    const score = first > 1 && counts.every((c) => c === first) ? first * 10 : first > 1 ? first : 0;
    if (score > bestScore) {
      best = d;
      bestScore = score;
    }
  }
  return best;
}

/** Splits one CSV line, honouring double quotes ("" inside quotes is a quote). */
export function splitCsvLine(line: string, delimiter: Delimiter): string[] {
  const out: string[] = [];
  let cur = '';
  let quoted = false;
  for (let i = 0; i < line.length; i++) {
    const ch = line[i]!;
    if (quoted) {
      if (ch === '"' && line[i + 1] === '"') {
        cur += '"';
        i++;
      } else if (ch === '"') quoted = false;
      else cur += ch;
    } else if (ch === '"') quoted = true;
    else if (ch === delimiter) {
      out.push(cur.trim());
      cur = '';
    } else cur += ch;
  }
  out.push(cur.trim());
  return out;
}

export interface CsvHead {
  delimiter: Delimiter;
  /** Column names of the header line. */
  columns: string[];
  /** The first data lines, split. */
  sample: string[][];
}

/** Header and a few rows from the start of a text (BOM removed). `headerLine` is 1-based. */
export function parseCsvHead(text: string, headerLine = 1, delimiter?: Delimiter): CsvHead {
  const lines = text.replace(/^\uFEFF/, '').split(/\r?\n/);
  const from = Math.max(0, headerLine - 1);
  const body = lines.slice(from).filter((l) => l.trim() !== '');
  const d = delimiter ?? guessDelimiter(body);
  const columns = body.length > 0 ? splitCsvLine(body[0]!, d).map((c, i) => (c === '' ? `column ${i + 1}` : c)) : [];
  return { delimiter: d, columns, sample: body.slice(1, 6).map((l) => splitCsvLine(l, d)) };
}

/** Guesses which column holds what, from the names. */
export function guessColumns(columns: string[]): { timestamp?: string; glucose?: string; patient?: string; bolus?: string; carbs?: string } {
  const find = (re: RegExp): string | undefined => columns.find((c) => re.test(c));
  return {
    timestamp: find(/time|date/i),
    glucose: find(/glucose|bg|sgv|cgm/i),
    patient: find(/^(id|patient|p_num|subject)/i),
    bolus: find(/bolus/i),
    carbs: find(/carb|food/i),
  };
}
