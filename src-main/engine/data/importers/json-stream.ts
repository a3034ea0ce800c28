/**
 * Streams the elements of a top-level JSON array (Nightscout entries, Tidepool exports can
 * be hundreds of MB) with bounded memory: a small scanner finds where each element ends
 * and JSON.parse reads it alone. A top-level object is parsed whole, up to a size limit.
 */
import { createReadStream } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { StringDecoder } from 'node:string_decoder';
import { StudioError } from '../../errors.js';

/** Largest JSON file parsed whole (top-level object rather than array). */
export const MAX_WHOLE_JSON_BYTES = 256 * 1024 * 1024;

type ElementHandler = (json: string, index: number, line: number) => boolean | void;

class ArraySplitter {
  top: 'unknown' | 'array' | 'object' | 'other' = 'unknown';
  /** Bracket depth inside the current element (0 = at the array's own level). */
  private depth = 0;
  private inString = false;
  private escape = false;
  private partial = '';
  private inElement = false;
  private elementLine = 0;
  private index = 0;
  line = 1;
  closed = false;

  /** Feeds text; returns false when the handler asked to stop. */
  push(text: string, onElement: ElementHandler): boolean {
    let start = 0;
    const finish = (json: string): boolean => {
      this.partial = '';
      this.inElement = false;
      return onElement(json, this.index++, this.elementLine) !== false;
    };
    for (let i = 0; i < text.length; i++) {
      const c = text.charCodeAt(i);
      if (c === 10) this.line++;
      if (this.inString) {
        if (this.escape) this.escape = false;
        else if (c === 92) this.escape = true;
        else if (c === 34) this.inString = false;
        continue;
      }
      const space = c === 32 || c === 9 || c === 10 || c === 13;
      if (this.top === 'unknown') {
        if (space || c === 0xfeff) continue;
        this.top = c === 91 ? 'array' : c === 123 ? 'object' : 'other';
        if (this.top !== 'array') return true;
        continue;
      }
      if (this.closed) {
        if (space) continue;
        throw new StudioError('PARSE', `line ${this.line}: unexpected text after the end of the JSON array.`, { line: this.line });
      }
      if (!this.inElement) {
        if (space || c === 44) continue;
        if (c === 93) {
          this.closed = true;
          continue;
        }
        this.inElement = true;
        this.elementLine = this.line;
        this.depth = 0;
        start = i;
      }
      if (c === 34) this.inString = true;
      else if (c === 123 || c === 91) this.depth++;
      else if (c === 125 || c === 93) {
        if (this.depth > 0) {
          this.depth--;
          if (this.depth === 0 && !finish(this.partial + text.slice(start, i + 1))) return false;
        } else {
          // a scalar element ended by the array's closing bracket
          this.closed = true;
          if (!finish((this.partial + text.slice(start, i)).trim())) return false;
        }
      } else if (c === 44 && this.depth === 0) {
        if (!finish((this.partial + text.slice(start, i)).trim())) return false;
      }
    }
    if (this.inElement) this.partial += text.slice(start);
    return true;
  }
}

function parseElement(json: string, line: number, name: string): unknown {
  try {
    return JSON.parse(json) as unknown;
  } catch (e) {
    throw new StudioError('PARSE', `${name}, line ${line}: invalid JSON (${(e as Error).message}).`, { line });
  }
}

export type JsonTop = { kind: 'array'; count: number } | { kind: 'object'; value: unknown };

/**
 * Calls `onElement` for each element of a top-level array; for a top-level object, parses
 * the whole file and returns it instead.
 */
export async function streamJson(
  path: string,
  name: string,
  onElement: (value: unknown, index: number, line: number) => boolean | void,
  options: { signal?: AbortSignal | undefined; onBytes?: (bytes: number) => void } = {},
): Promise<JsonTop> {
  const splitter = new ArraySplitter();
  const stream = createReadStream(path, { highWaterMark: 1 << 20 });
  const decoder = new StringDecoder('utf8');
  let bytes = 0;
  let count = 0;
  try {
    for await (const chunk of stream as AsyncIterable<Buffer>) {
      if (options.signal?.aborted === true)
        throw options.signal.reason instanceof Error ? options.signal.reason : new StudioError('CANCELLED', 'Import was cancelled.');
      bytes += chunk.length;
      const go = splitter.push(decoder.write(chunk), (json, index, line) => {
        count++;
        return onElement(parseElement(json, line, name), index, line);
      });
      if (!go) return { kind: 'array', count };
      if (splitter.top === 'object' || splitter.top === 'other') break;
      options.onBytes?.(bytes);
      await new Promise<void>((r) => setImmediate(r));
    }
  } finally {
    stream.destroy();
  }
  if (splitter.top === 'array') {
    if (!splitter.closed) throw new StudioError('PARSE', `${name}: the JSON array is cut off (no closing "]" by line ${splitter.line}).`, { file: path });
    return { kind: 'array', count };
  }
  if (splitter.top === 'unknown') throw new StudioError('PARSE', `${name}: the file is empty.`, { file: path });
  const buf = await readFile(path);
  if (buf.length > MAX_WHOLE_JSON_BYTES)
    throw new StudioError('UNSUPPORTED', `${name}: a JSON object file larger than 256 MB cannot be imported; export it as an array of records.`);
  const text = buf.toString('utf8').replace(/^\ufeff/, '');
  try {
    return { kind: 'object', value: JSON.parse(text) as unknown };
  } catch (e) {
    throw new StudioError('PARSE', `${name}: invalid JSON (${(e as Error).message}).`, { file: path });
  }
}

/** Elements of a top-level array that are complete within a sample (for detection). */
export function sampleJson(text: string, max = 50): { top: 'array' | 'object' | 'other' | 'unknown'; elements: unknown[]; object: unknown } {
  const splitter = new ArraySplitter();
  const elements: unknown[] = [];
  try {
    splitter.push(text, (json) => {
      try {
        elements.push(JSON.parse(json) as unknown);
      } catch {
        return false;
      }
      return elements.length < max;
    });
  } catch {
    // detection only: malformed text just means "not this format"
  }
  let object: unknown = null;
  if (splitter.top === 'object') {
    try {
      object = JSON.parse(text.replace(/^\ufeff/, '')) as unknown;
    } catch {
      object = null;
    }
  }
  return { top: splitter.top, elements, object };
}
