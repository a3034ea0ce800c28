/**
 * forecasts.get reads what a predict run stored (a store read only): the same values as the
 * CSV the run wrote, filtered by patient and origin range, limited, and refused for runs that
 * store no forecasts.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { StudioService } from '../../../src-main/engine/api/service.js';
import { createLogger } from '../../../src-main/engine/logger.js';
import { tempDir } from '../../helpers/tmp.js';
import { cohortStore, privateSpawn, TINY_MODEL_DIR } from '../train/helpers.js';

describe('forecasts.get', () => {
  const tmp = tempDir();
  let service: StudioService;
  beforeAll(async () => {
    (await cohortStore(tmp.dir)).close();
    service = new StudioService({ dataDir: tmp.dir, logger: createLogger({ logsDir: join(tmp.dir, 'logs') }), spawnWorker: privateSpawn });
    service.store.models.upsert({ name: 'tiny', source: 'local', path: TINY_MODEL_DIR });
  });
  afterAll(() => {
    service.close();
    tmp.cleanup();
  });

  it('returns the stored forecasts of a predict run, as written to its CSV', async () => {
    const out = join(tmp.dir, 'f.csv');
    const p = await service.invoke('forecast.predict', { model: 'tiny', dataset: 'cohort', split: 'hyb', every: 12, out });
    expect(p.status).toBe('completed');
    const all = await service.invoke('forecasts.get', { run: p.runId });
    expect(all.total).toBe(p.result?.origins);
    expect(all.items).toHaveLength(all.total);
    const first = all.items[0]!;
    expect(first.values).toHaveLength(16);
    expect(first.lower).toHaveLength(16);
    expect(first.level).toBe(0.95);
    expect(first.stepMin).toBe(5);
    const rows = readFileSync(out, 'utf8').trim().split('\n').slice(1);
    const csv = rows.filter((r) => r.split(',')[1] === first.patient && r.split(',')[2] === new Date(first.originTs).toISOString());
    expect(csv).toHaveLength(16);
    csv.forEach((r, h) => {
      const c = r.split(',');
      expect(first.values[h]).toBeCloseTo(Number(c[4]), 3);
      expect(first.lower![h]).toBeCloseTo(Number(c[5]), 3);
      expect(first.upper![h]).toBeCloseTo(Number(c[6]), 3);
    });

    const one = await service.invoke('forecasts.get', { run: p.runId, patient: first.patient, from: first.originTs, to: first.originTs + 3_600_000, limit: 2 });
    expect(one.items.length).toBeLessThanOrEqual(2);
    expect(one.items.every((i) => i.patient === first.patient && i.originTs >= first.originTs && i.originTs <= first.originTs + 3_600_000)).toBe(true);
    expect(one.total).toBeGreaterThanOrEqual(one.items.length);

    const e = await service.invoke('forecast.evaluate', { model: 'tiny', dataset: 'cohort', split: 'hyb', stride: 12 });
    await expect(service.invoke('forecasts.get', { run: e.runId })).rejects.toThrow(/forecasts are stored by predict runs/);
  }, 120_000);
});
