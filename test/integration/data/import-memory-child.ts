/**
 * Run in a clean child process by import-memory.test.ts (bundled with esbuild): imports a
 * small then a large generated Clarity CSV and prints peak RSS growth and retained heap.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { importFiles } from '../../../src-main/engine/data/import-service.js';
import { Store } from '../../../src-main/engine/store/store.js';
import { writeClarityCsv } from '../../../bench/sections/data-import.js';

const gc = (globalThis as { gc?: () => void }).gc;
const dir = mkdtempSync(join(tmpdir(), 'ttm-mem-'));
try {
  const small = await writeClarityCsv(join(dir, 'small.csv'), Number(process.argv[2]));
  const big = await writeClarityCsv(join(dir, 'big.csv'), Number(process.argv[3]));
  gc?.();
  const baseline = process.memoryUsage.rss();
  const heapBefore = process.memoryUsage().heapUsed;
  const peaks: number[] = [];
  const readings: number[] = [];
  for (const name of ['small', 'big']) {
    const db = join(dir, `${name}.sqlite`);
    Store.open(db).close();
    let peak = baseline;
    const sample = (): void => {
      peak = Math.max(peak, process.memoryUsage.rss());
    };
    const timer = setInterval(sample, 20);
    const r = await importFiles(db, { paths: [join(dir, `${name}.csv`)], dataset: name, create: true, timeZone: 'Europe/Oslo' }, { update: sample });
    clearInterval(timer);
    peaks.push(peak - baseline);
    readings.push(r.readings);
  }
  gc?.();
  const retained = process.memoryUsage().heapUsed - heapBefore;
  process.stdout.write(
    JSON.stringify({
      smallBytes: small.bytes,
      bigBytes: big.bytes,
      smallEgv: small.egv,
      bigEgv: big.egv,
      readings,
      growthSmall: peaks[0],
      growthBig: Math.max(peaks[0]!, peaks[1]!),
      retained,
    }) + '\n',
  );
} finally {
  rmSync(dir, { recursive: true, force: true });
}
