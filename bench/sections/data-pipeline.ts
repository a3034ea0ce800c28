/**
 * Data pipeline speed: simulator throughput (patient-days per second, in memory),
 * then on a simulated store of 100 patients × 90 days (10 × 30 with --quick): grid build
 * from raw readings and events (SQLite read + build, no cache), cached grid loads, and the
 * full quality check. Peak RSS is sampled while building grids.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadPatientGrid } from '../../src-main/engine/data/grid/access.js';
import { qualitySettingsFor, runQualityCheck } from '../../src-main/engine/data/quality/index.js';
import { simulatePatient } from '../../src-main/engine/sim/cohort.js';
import { simulateIntoStore } from '../../src-main/engine/sim/output.js';
import { SimulationSettingsSchema } from '../../src-main/engine/sim/settings.js';
import { Store } from '../../src-main/engine/store/store.js';
import { rateRow, timeRepeats, type BenchContext, type BenchRow, type BenchSection } from '../harness.js';

const SECTION = 'data-pipeline';

export const dataPipelineBench: BenchSection = async (ctx: BenchContext): Promise<BenchRow[]> => {
  const rows: BenchRow[] = [];
  const patients = ctx.quick ? 10 : 100;
  const days = ctx.quick ? 30 : 90;
  const patientDays = patients * days;

  // simulator, in memory: 8 patients × 30 days per repeat
  const simSettings = SimulationSettingsSchema.parse({ patients: 8, days: 30, seed: 11 });
  const simTimes = await timeRepeats(
    () => {
      for (let i = 0; i < simSettings.patients; i++) simulatePatient(simSettings, i);
    },
    ctx.quick ? 2 : 5,
  );
  rows.push(rateRow(SECTION, 'simulator (Hovorka, 1-min steps, in memory)', 'patient-days/s', simSettings.patients * simSettings.days, simTimes));

  const dir = mkdtempSync(join(tmpdir(), 'ttm-bench-pipeline-'));
  const store = Store.open(join(dir, 'studio.sqlite'));
  try {
    ctx.log(`simulating ${patients} patients × ${days} days into a store…`);
    const t0 = performance.now();
    const dataset = await simulateIntoStore(store, SimulationSettingsSchema.parse({ patients, days, seed: 5 }), { name: 'bench' });
    rows.push(rateRow(SECTION, `simulate into store (${patients} × ${days} d, one transaction)`, 'patient-days/s', patientDays, [performance.now() - t0]));
    const ids = store.patients.list(dataset.id).map((p) => p.id);

    let peak = process.memoryUsage().rss;
    const sample = setInterval(() => (peak = Math.max(peak, process.memoryUsage().rss)), 20);
    const build = await timeRepeats(
      () => {
        for (const id of ids) loadPatientGrid(store, id, { noCache: true });
      },
      ctx.quick ? 2 : 3,
    );
    clearInterval(sample);
    const buildRow = rateRow(SECTION, `grid build (read + resample + impute + IOB/COB, ${patients} × ${days} d)`, 'patient-days/s', patientDays, build);
    buildRow.peakRssBytes = peak;
    rows.push(buildRow);

    // first cached call builds and stores, the repeats read the stored blobs
    for (const id of ids) loadPatientGrid(store, id);
    const cached = await timeRepeats(
      () => {
        for (const id of ids) loadPatientGrid(store, id);
      },
      3,
      0,
    );
    rows.push(rateRow(SECTION, 'grid load from the grids table (cache hit)', 'patient-days/s', patientDays, cached));

    const settings = qualitySettingsFor(store, dataset.id, {});
    const quality = await timeRepeats(() => runQualityCheck(store, dataset.id, settings), ctx.quick ? 2 : 3, 0);
    rows.push(rateRow(SECTION, `quality check (${patients} × ${days} d, cached grids)`, 'patient-days/s', patientDays, quality));
  } finally {
    store.close();
    rmSync(dir, { recursive: true, force: true });
  }
  return rows;
};
