/**
 * One parser measurement in a process of its own, so its peak RSS (the kernel's maxRSS) is
 * its own: `node build/bench/parser-child.js <csv|json|xml> <ours|lib> <file>` prints
 * `{"records", "ms", "maxRssBytes"}`. Run by the parsers bench section (docs/adr/0005).
 * Both sides do the same work per record: the fields of a CSV row as strings, a JSON array
 * element as a value, an XML element's name and attributes.
 */
import { createReadStream } from 'node:fs';
import { StringDecoder } from 'node:string_decoder';
import { JSONParser } from '@streamparser/json';
import { parse as parseCsv } from 'csv-parse';
import { SaxesParser } from 'saxes';
import { splitCsv, streamLines } from '../src-main/engine/data/csv.js';
import { streamJson } from '../src-main/engine/data/importers/json-stream.js';
import { streamXmlTags } from '../src-main/engine/data/importers/ohio-xml.js';

type Kind = 'csv' | 'json' | 'xml';
type Impl = 'ours' | 'lib';

let sink = 0;

async function csvOurs(path: string): Promise<number> {
  let n = 0;
  await streamLines(path, (line) => {
    const f = splitCsv(line);
    sink += f.length;
    n++;
  });
  return n;
}

async function csvLib(path: string): Promise<number> {
  let n = 0;
  // relax_column_count: Clarity's header block has fewer cells than its data rows.
  const parser = createReadStream(path, { highWaterMark: 1 << 20 }).pipe(parseCsv({ bom: true, relax_column_count: true }));
  for await (const rec of parser as AsyncIterable<string[]>) {
    sink += rec.length;
    n++;
  }
  return n;
}

async function jsonOurs(path: string): Promise<number> {
  let n = 0;
  await streamJson(path, 'bench.json', (v) => {
    if (typeof v === 'object' && v !== null) sink++;
    n++;
  });
  return n;
}

async function jsonLib(path: string): Promise<number> {
  let n = 0;
  const parser = new JSONParser({ paths: ['$.*'], keepStack: false });
  parser.onValue = ({ value }) => {
    if (typeof value === 'object' && value !== null) sink++;
    n++;
  };
  for await (const chunk of createReadStream(path, { highWaterMark: 1 << 20 }) as AsyncIterable<Buffer>) parser.write(chunk);
  return n;
}

async function xmlOurs(path: string): Promise<number> {
  let n = 0;
  await streamXmlTags(
    path,
    (t) => {
      if (!t.closing) {
        sink += t.attrs.size;
        n++;
      }
    },
    {},
  );
  return n;
}

async function xmlLib(path: string): Promise<number> {
  let n = 0;
  const parser = new SaxesParser();
  parser.on('opentag', (t) => {
    sink += Object.keys(t.attributes).length;
    n++;
  });
  parser.on('error', (e) => {
    throw e;
  });
  const decoder = new StringDecoder('utf8');
  for await (const chunk of createReadStream(path, { highWaterMark: 1 << 20 }) as AsyncIterable<Buffer>) parser.write(decoder.write(chunk));
  parser.close();
  return n;
}

const RUN: Record<Kind, Record<Impl, (path: string) => Promise<number>>> = {
  csv: { ours: csvOurs, lib: csvLib },
  json: { ours: jsonOurs, lib: jsonLib },
  xml: { ours: xmlOurs, lib: xmlLib },
};

async function main(): Promise<void> {
  const [kind, impl, path] = process.argv.slice(2) as [Kind, Impl, string];
  const run = RUN[kind]?.[impl];
  if (run === undefined || path === undefined) throw new Error('usage: parser-child <csv|json|xml> <ours|lib> <file>');
  const t0 = performance.now();
  const records = await run(path);
  const ms = performance.now() - t0;
  process.stdout.write(JSON.stringify({ records, ms, maxRssBytes: process.resourceUsage().maxRSS * 1024, sink: sink > 0 }) + '\n');
}

await main();
