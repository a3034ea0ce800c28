/**
 * Hand-written parsers against the maintained libraries they could be swapped for
 * (docs/adr/0005): records per second and peak RSS of the same file read by both, each in
 * a child process of its own. CSV: the Clarity file of the import bench, data/csv.ts
 * (streamLines + splitCsv) vs csv-parse. JSON: a Nightscout entries array,
 * importers/json-stream.ts vs @streamparser/json. XML: OhioT1DM-style glucose events,
 * importers/ohio-xml.ts's tag scanner vs saxes. 1M records, 100k with --quick.
 */
import { execFileSync } from 'node:child_process';
import { createWriteStream, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { median, spreadOf, type BenchContext, type BenchRow, type BenchSection } from '../harness.js';
import { writeClarityCsv } from './data-import.js';

const SECTION = 'parsers';
const CHILD = new URL('../parser-child.js', import.meta.url).pathname;

async function writeLines(path: string, head: string, rows: number, row: (i: number) => string, tail: string): Promise<number> {
  const out = createWriteStream(path);
  let bytes = 0;
  const write = async (s: string): Promise<void> => {
    bytes += Buffer.byteLength(s);
    if (!out.write(s)) await new Promise<void>((r) => out.once('drain', () => r()));
  };
  await write(head);
  let buf = '';
  for (let i = 0; i < rows; i++) {
    buf += row(i);
    if (buf.length > 1 << 16) {
      await write(buf);
      buf = '';
    }
  }
  await write(buf + tail);
  await new Promise<void>((r, j) => out.end((e?: Error | null) => (e ? j(e) : r())));
  return bytes;
}

const T0 = Date.UTC(2024, 0, 1);
const glucose = (i: number): number => 120 + Math.round(60 * Math.sin(i / 40));

/** Nightscout /api/v1/entries.json: one object per reading. */
function writeNightscoutJson(path: string, rows: number): Promise<number> {
  return writeLines(
    path,
    '[\n',
    rows,
    (i) => {
      const t = T0 + i * 300_000;
      return `${i > 0 ? ',\n' : ''}{"_id":"65a${(100000000 + i).toString(16)}","device":"xDrip-DexcomG6","date":${t},"dateString":"${new Date(t).toISOString()}","sgv":${glucose(i)},"delta":1.5,"direction":"Flat","type":"sgv","noise":1,"utcOffset":60}`;
    },
    '\n]\n',
  );
}

/** OhioT1DM XML: one <glucose_level> list of <event ts value/> elements. */
function writeOhioXml(path: string, rows: number): Promise<number> {
  const pad = (n: number): string => (n < 10 ? '0' + n : String(n));
  return writeLines(
    path,
    '<?xml version="1.0" encoding="UTF-8"?>\n<patient id="559" weight="99" insulin_type="Novalog">\n\t<glucose_level>\n',
    rows,
    (i) => {
      const d = new Date(T0 + i * 300_000);
      return `\t\t<event ts="${pad(d.getUTCDate())}-${pad(d.getUTCMonth() + 1)}-${d.getUTCFullYear()} ${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}:00" value="${glucose(i)}"/>\n`;
    },
    '\t</glucose_level>\n</patient>\n',
  );
}

interface ChildResult {
  records: number;
  ms: number;
  maxRssBytes: number;
}

function runChild(kind: string, impl: string, file: string): ChildResult {
  const out = execFileSync(process.execPath, [CHILD, kind, impl, file], { encoding: 'utf8', maxBuffer: 1 << 20 });
  return JSON.parse(out.trim().split('\n').pop()!) as ChildResult;
}

export const parsersBench: BenchSection = async (ctx: BenchContext): Promise<BenchRow[]> => {
  const rows = ctx.quick ? 100_000 : 1_000_000;
  const repeats = ctx.quick ? 2 : 3;
  const dir = mkdtempSync(join(tmpdir(), 'ttm-bench-parsers-'));
  try {
    const files = {
      csv: { path: join(dir, 'clarity.csv'), what: 'Clarity CSV rows', bytes: (await writeClarityCsv(join(dir, 'clarity.csv'), rows)).bytes },
      json: { path: join(dir, 'entries.json'), what: 'Nightscout JSON entries', bytes: await writeNightscoutJson(join(dir, 'entries.json'), rows) },
      xml: { path: join(dir, 'ohio.xml'), what: 'OhioT1DM XML elements', bytes: await writeOhioXml(join(dir, 'ohio.xml'), rows) },
    };
    const lib = { csv: 'csv-parse', json: '@streamparser/json', xml: 'saxes' } as const;
    const out: BenchRow[] = [];
    for (const kind of ['csv', 'json', 'xml'] as const) {
      const f = files[kind];
      const rates: Record<'ours' | 'lib', number[]> = { ours: [], lib: [] };
      const rss: Record<'ours' | 'lib', number> = { ours: 0, lib: 0 };
      let records: Record<'ours' | 'lib', number> = { ours: 0, lib: 0 };
      for (let r = 0; r < repeats; r++) {
        // Alternate the order so neither side always runs on a warmer page cache.
        for (const impl of r % 2 === 0 ? (['ours', 'lib'] as const) : (['lib', 'ours'] as const)) {
          const res = runChild(kind, impl, f.path);
          rates[impl].push((res.records * 1000) / res.ms);
          rss[impl] = Math.max(rss[impl], res.maxRssBytes);
          records = { ...records, [impl]: res.records };
          ctx.log(
            `parsers: ${kind} ${impl}: ${Math.round((res.records * 1000) / res.ms).toLocaleString('en-US')} records/s, peak RSS ${Math.round(res.maxRssBytes / 1048576)} MiB`,
          );
        }
      }
      for (const impl of ['ours', 'lib'] as const) {
        out.push({
          section: SECTION,
          name: `${f.what}, ${impl === 'ours' ? 'ours' : lib[kind]}`,
          value: median(rates[impl]),
          unit: 'records/s',
          spread: spreadOf(rates[impl]),
          repeats: rates[impl].length,
          peakRssBytes: rss[impl],
          note: `${records[impl].toLocaleString('en-US')} records, file ${(f.bytes / 1048576).toFixed(0)} MiB`,
        });
      }
    }
    return out;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
};
