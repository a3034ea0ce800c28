import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Store } from '../../src-main/engine/store/index.js';
import { rateRow, timeRepeats, type BenchRow, type BenchSection } from '../harness.js';

/** Raw insert rate of the store's readings repository: the floor under every importer. */
export const storeBench: BenchSection = async (ctx) => {
  const n = ctx.quick ? 100_000 : 1_000_000;
  const dir = mkdtempSync(join(tmpdir(), 'ttm-bench-store-'));
  try {
    const store = Store.open(join(dir, 'bench.sqlite'));
    const d = store.datasets.create({ name: 'bench' });
    const p = store.patients.ensure(d.id, 'p');
    let peak = process.memoryUsage().rss;
    const durations = await timeRepeats(
      () => {
        store.transaction(() => {
          store.readings.insertMany(
            (function* () {
              for (let i = 0; i < n; i++)
                yield {
                  patientId: p.id,
                  importId: null,
                  ts: i * 300_000,
                  utcOffsetMin: 0,
                  kind: 'cgm' as const,
                  bgMm: 5 + (i % 100) / 20,
                  flags: 0,
                  sourceRow: i,
                };
            })(),
          );
        });
        peak = Math.max(peak, process.memoryUsage().rss);
        store.db.prepare('DELETE FROM readings').run();
      },
      ctx.quick ? 2 : 3,
      0,
    );
    store.close();
    const row: BenchRow = { ...rateRow('store', `insert ${n.toLocaleString('en-US')} readings, one transaction`, 'rows/s', n, durations), peakRssBytes: peak };
    return [row];
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
};
