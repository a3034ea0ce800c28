/**
 * Import throughput: CGM readings per second from a Clarity-style CSV (14 columns, 5-minute
 * EGV rows, a few insulin/carb rows) into a fresh SQLite store, through the same code path
 * as `ttm-studio import` (detection, hashing, streaming parse, one transaction). 1M rows,
 * 100k with --quick. Peak RSS is sampled during the import.
 */
import { createWriteStream, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { importFiles } from '../../src-main/engine/data/import-service.js';
import { Store } from '../../src-main/engine/store/store.js';
import { median, spreadOf, type BenchContext, type BenchRow, type BenchSection } from '../harness.js';

const SECTION = 'data-import';

const HEADER =
  'Index,Timestamp (YYYY-MM-DDThh:mm:ss),Event Type,Event Subtype,Patient Info,Device Info,Source Device ID,Glucose Value (mg/dL),Insulin Value (u),Carb Value (grams),Duration (hh:mm:ss),Glucose Rate of Change (mg/dL/min),Transmitter Time (Long Integer),Transmitter ID';

function pad(n: number): string {
  return n < 10 ? '0' + n : String(n);
}

/**
 * Writes a Clarity-style CSV of `rows` data rows (about 1 in 100 an insulin or carb row,
 * the rest EGV every 5 minutes, glucose a bounded random walk). Also used by the memory
 * test. Returns the bytes written and the EGV row count.
 */
export async function writeClarityCsv(path: string, rows: number): Promise<{ bytes: number; egv: number }> {
  const out = createWriteStream(path);
  let bytes = 0;
  let egv = 0;
  const write = async (s: string): Promise<void> => {
    bytes += Buffer.byteLength(s);
    if (!out.write(s)) await new Promise<void>((r) => out.once('drain', () => r()));
  };
  await write('\ufeff' + HEADER + '\n1,,FirstName,,Bench,,,,,,,,,\n2,,LastName,,,,,,,,,,,\n3,,Device,,,Dexcom G6 Mobile App,android G6,,,,,,,\n');
  let t = Date.UTC(2024, 0, 1, 0, 0, 7);
  let g = 120;
  let seed = 12345;
  const rand = (): number => {
    seed = (seed * 1103515245 + 12345) % 2147483648;
    return seed / 2147483648;
  };
  let buf = '';
  for (let i = 0; i < rows; i++) {
    const d = new Date(t);
    const ts = `${d.getUTCFullYear()}-${pad(d.getUTCMonth() + 1)}-${pad(d.getUTCDate())} ${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}:${pad(d.getUTCSeconds())}`;
    const idx = i + 4;
    if (i % 200 === 199) buf += `${idx},${ts},Insulin,Fast-Acting,,,android G6,,${(1 + rand() * 6).toFixed(1)},,,,,\n`;
    else if (i % 300 === 299) buf += `${idx},${ts},Carbs,,,,android G6,,,${Math.round(10 + rand() * 60)},,,,\n`;
    else {
      g = Math.min(380, Math.max(45, g + (rand() - 0.5) * 12));
      buf += `${idx},${ts},EGV,,,,android G6,${Math.round(g)},,,,,${4240874 + i * 300},HBRPOI\n`;
      egv++;
      t += 300_000;
    }
    if (buf.length > 1 << 16) {
      await write(buf);
      buf = '';
    }
  }
  await write(buf);
  await new Promise<void>((r, j) => out.end((e?: Error | null) => (e ? j(e) : r())));
  return { bytes, egv };
}

export const dataImportBench: BenchSection = async (ctx: BenchContext): Promise<BenchRow[]> => {
  const rows = ctx.quick ? 100_000 : 1_000_000;
  const repeats = ctx.quick ? 2 : 3;
  const dir = mkdtempSync(join(tmpdir(), 'ttm-bench-import-'));
  try {
    const csv = join(dir, 'clarity.csv');
    const t0 = performance.now();
    const { bytes, egv } = await writeClarityCsv(csv, rows);
    ctx.log(
      `data-import: wrote ${egv.toLocaleString('en-US')} EGV rows (${(bytes / 1048576).toFixed(1)} MiB) in ${((performance.now() - t0) / 1000).toFixed(1)} s`,
    );
    const rates: number[] = [];
    let peak = 0;
    for (let r = 0; r < repeats; r++) {
      const db = join(dir, `studio-${r}.sqlite`);
      Store.open(db).close();
      const timer = setInterval(() => {
        peak = Math.max(peak, process.memoryUsage.rss());
      }, 50);
      const start = performance.now();
      const report = await importFiles(
        db,
        { paths: [csv], dataset: 'bench', create: true, timeZone: 'Europe/Oslo' },
        {
          update: () => {
            peak = Math.max(peak, process.memoryUsage.rss());
          },
        },
      );
      const ms = performance.now() - start;
      clearInterval(timer);
      if (report.readings !== egv) throw new Error(`bench import stored ${report.readings} readings, expected ${egv}`);
      rates.push((report.readings * 1000) / ms);
      ctx.log(`data-import: run ${r + 1}: ${Math.round((report.readings * 1000) / ms).toLocaleString('en-US')} readings/s (${(ms / 1000).toFixed(2)} s)`);
      rmSync(db, { force: true });
      rmSync(db + '-wal', { force: true });
      rmSync(db + '-shm', { force: true });
    }
    return [
      {
        section: SECTION,
        name: `Clarity CSV → SQLite, ${rows.toLocaleString('en-US')} rows`,
        value: median(rates),
        unit: 'readings/s',
        spread: spreadOf(rates),
        repeats: rates.length,
        peakRssBytes: peak,
        note: `file ${(bytes / 1048576).toFixed(0)} MiB; target ≥ 500,000 readings/s`,
      },
    ];
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
};
