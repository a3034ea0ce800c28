/**
 * Streaming text input for the importers: byte-order marks (UTF-8, UTF-16LE and the
 * damaged double-encoded UTF-8 BOM some exports carry), line splitting over chunks with
 * bounded memory, and a CSV field splitter whose common case (no quotes) is one native
 * `split`. Quoted fields may contain the delimiter, doubled quotes and newlines.
 */
import { open } from 'node:fs/promises';
import { createReadStream } from 'node:fs';
import { StringDecoder } from 'node:string_decoder';
import { StudioError } from '../errors.js';

export type TextEncodingName = 'utf8' | 'utf16le';

export interface TextSample {
  /** Decoded text of the first bytes, BOM removed. */
  text: string;
  /** Complete lines of the sample (the last, possibly cut, line dropped unless the file ended). */
  lines: string[];
  encoding: TextEncodingName;
  /** What was found at the start: none, utf8, utf16le, or utf8 followed by a double-encoded BOM. */
  bom: 'none' | 'utf8' | 'utf16le' | 'double-encoded' | 'utf8+double-encoded';
  /** True when the sample is the whole file. */
  complete: boolean;
}

/** The UTF-8 BOM (EF BB BF) read as Latin-1/Windows-1252 and re-encoded as UTF-8. */
export const DOUBLE_ENCODED_BOM = '\u00ef\u00bb\u00bf';

function detectEncoding(head: Buffer): { encoding: TextEncodingName; skip: number } {
  if (head.length >= 3 && head[0] === 0xef && head[1] === 0xbb && head[2] === 0xbf) return { encoding: 'utf8', skip: 3 };
  if (head.length >= 2 && head[0] === 0xff && head[1] === 0xfe) return { encoding: 'utf16le', skip: 2 };
  if (head.length >= 2 && head[0] === 0xfe && head[1] === 0xff) {
    throw new StudioError('UNSUPPORTED', 'The file is UTF-16 big-endian; save it as UTF-8 (or UTF-16LE) and import it again.');
  }
  return { encoding: 'utf8', skip: 0 };
}

/** Removes BOMs (real or double-encoded, possibly repeated, possibly inside a leading quote) from a header cell. */
export function stripBomText(s: string): string {
  let out = s;
  for (;;) {
    const before = out;
    if (out.startsWith('\ufeff')) out = out.slice(1);
    if (out.startsWith(DOUBLE_ENCODED_BOM)) out = out.slice(3);
    if (out === before) return out;
  }
}

/** Reads and decodes the first `bytes` of a file for detection and previews. */
export async function readSample(path: string, bytes = 65_536): Promise<TextSample> {
  const fh = await open(path, 'r').catch((e: unknown) => {
    throw new StudioError('IO', `Cannot read ${path}: ${(e as Error).message}`, { file: path }, { cause: e });
  });
  try {
    const buf = Buffer.alloc(bytes);
    const { bytesRead } = await fh.read(buf, 0, bytes, 0);
    const size = (await fh.stat()).size;
    const head = buf.subarray(0, bytesRead);
    const { encoding, skip } = detectEncoding(head);
    let text = new StringDecoder(encoding).write(head.subarray(skip));
    let bom: TextSample['bom'] = skip === 0 ? 'none' : encoding === 'utf16le' ? 'utf16le' : 'utf8';
    const afterQuote = text.startsWith('"') ? text.slice(1) : text;
    if (afterQuote.startsWith(DOUBLE_ENCODED_BOM)) bom = skip === 0 ? 'double-encoded' : 'utf8+double-encoded';
    const complete = bytesRead >= size;
    if (text.startsWith('\ufeff')) text = text.slice(1);
    const lines = text.split('\n');
    if (!complete) lines.pop();
    return { text, lines: lines.map((l) => (l.endsWith('\r') ? l.slice(0, -1) : l)), encoding, bom, complete };
  } finally {
    await fh.close();
  }
}

export interface StreamOptions {
  signal?: AbortSignal | undefined;
  /** Called after each chunk with the bytes read so far in this file. */
  onBytes?: ((bytes: number) => void) | undefined;
  /** Join physical lines while a quoted field is open (CSV with newlines inside quotes). */
  quotedNewlines?: boolean;
  chunkBytes?: number;
}

/**
 * Calls `onLine(line, lineNo)` for every line of the file (1-based physical line number of
 * the line's start), `\r\n` or `\n` endings, BOM removed. `onLine` returns false to stop
 * early (previews). Memory is bounded by the chunk size plus the longest line.
 */
export async function streamLines(path: string, onLine: (line: string, lineNo: number) => boolean | void, options: StreamOptions = {}): Promise<void> {
  const stream = createReadStream(path, { highWaterMark: options.chunkBytes ?? 1 << 20 });
  let decoder: StringDecoder | null = null;
  let carry = '';
  let lineNo = 0;
  let bytes = 0;
  let pending = '';
  let pendingStart = 0;
  const quoted = options.quotedNewlines === true;
  let stopped = false;

  const emit = (line: string): boolean => {
    lineNo++;
    if (quoted) {
      if (pending.length > 0) {
        pending += '\n' + line;
        if (!quotesBalanced(pending)) return true;
        const full = pending;
        pending = '';
        return onLine(full, pendingStart) !== false;
      }
      if (line.indexOf('"') !== -1 && !quotesBalanced(line)) {
        pending = line;
        pendingStart = lineNo;
        return true;
      }
    }
    return onLine(line, lineNo) !== false;
  };

  try {
    for await (const chunk of stream as AsyncIterable<Buffer>) {
      if (options.signal?.aborted === true)
        throw options.signal.reason instanceof Error ? options.signal.reason : new StudioError('CANCELLED', 'Import was cancelled.');
      bytes += chunk.length;
      let buf = chunk;
      if (decoder === null) {
        const { encoding, skip } = detectEncoding(chunk);
        decoder = new StringDecoder(encoding);
        buf = chunk.subarray(skip);
      }
      const text = carry + decoder.write(buf);
      let start = 0;
      for (;;) {
        const nl = text.indexOf('\n', start);
        if (nl === -1) break;
        const end = nl > start && text.charCodeAt(nl - 1) === 13 ? nl - 1 : nl;
        if (!emit(text.slice(start, end))) {
          stopped = true;
          break;
        }
        start = nl + 1;
      }
      if (stopped) break;
      carry = text.slice(start);
      options.onBytes?.(bytes);
      // Yield to the event loop between chunks so cancellation and progress get through.
      await new Promise<void>((r) => setImmediate(r));
    }
    if (!stopped) {
      const rest = carry + (decoder?.end() ?? '');
      if (rest.length > 0) emit(rest.endsWith('\r') ? rest.slice(0, -1) : rest);
      if (pending.length > 0) {
        throw new StudioError('PARSE', `line ${pendingStart}: a quoted field is never closed.`, { line: pendingStart });
      }
    }
  } finally {
    stream.destroy();
  }
}

function quotesBalanced(s: string): boolean {
  let n = 0;
  for (let i = s.indexOf('"'); i !== -1; i = s.indexOf('"', i + 1)) n++;
  return n % 2 === 0;
}

/** Splits one CSV record. The no-quote case is a native split; quotes follow RFC 4180. */
export function splitCsv(line: string, delimiter = ','): string[] {
  if (line.indexOf('"') === -1) return line.split(delimiter);
  const out: string[] = [];
  const d = delimiter.charCodeAt(0);
  let i = 0;
  const n = line.length;
  for (;;) {
    if (i < n && line.charCodeAt(i) === 34) {
      // quoted field
      let field = '';
      let j = i + 1;
      for (;;) {
        const q = line.indexOf('"', j);
        if (q === -1) {
          field += line.slice(j);
          j = n;
          break;
        }
        field += line.slice(j, q);
        if (line.charCodeAt(q + 1) === 34) {
          field += '"';
          j = q + 2;
        } else {
          j = q + 1;
          break;
        }
      }
      // tolerate text after the closing quote (malformed but seen in the wild)
      const next = line.indexOf(delimiter, j);
      if (next === -1) {
        out.push(field + line.slice(j));
        return out;
      }
      out.push(field + line.slice(j, next));
      i = next + 1;
    } else {
      let next = i;
      while (next < n && line.charCodeAt(next) !== d) next++;
      out.push(line.slice(i, next));
      if (next >= n) return out;
      i = next + 1;
    }
  }
}

/**
 * Start offsets of the fields of an unquoted record, without allocating: `starts[k]` is
 * where field k begins and `starts[count]` is one past the end (so field k ends at
 * `starts[k + 1] - 1`). Returns the field count, at most `starts.length - 1`.
 */
export function fieldStarts(line: string, delimiter: string, starts: Int32Array): number {
  let n = 0;
  starts[0] = 0;
  const max = starts.length - 1;
  for (let i = line.indexOf(delimiter); i !== -1 && n + 1 < max; i = line.indexOf(delimiter, i + 1)) {
    starts[++n] = i + 1;
  }
  starts[++n] = line.length + 1;
  return n;
}

/** Header cell as a comparable name: BOMs, stray quotes and surrounding spaces removed. */
export function normalizeHeader(cell: string): string {
  return stripBomText(stripBomText(cell.trim()).replace(/"/g, '')).trim();
}

/** Guesses the delimiter of a header line: the most frequent of , ; tab |. */
export function guessDelimiter(header: string): string {
  let best = ',';
  let bestCount = 0;
  for (const d of [',', ';', '\t', '|']) {
    const c = header.split(d).length - 1;
    if (c > bestCount) {
      best = d;
      bestCount = c;
    }
  }
  return best;
}

/**
 * Number of a CSV cell; NaN when empty or not a number. Accepts a decimal comma
 * (European exports) when there is no dot.
 */
export function parseNumber(s: string): number {
  if (s.length === 0) return Number.NaN;
  const n = +s;
  // `+' '` is 0: only a zero needs the blank check
  if (n === n) return n !== 0 || s.trim().length > 0 ? n : Number.NaN;
  if (s.indexOf(',') !== -1 && s.indexOf('.') === -1) {
    const m = +s.replace(',', '.');
    return m;
  }
  return Number.NaN;
}
