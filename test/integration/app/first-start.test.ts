import { symlinkSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { StudioService } from '../../../src-main/engine/api/service.js';
import { prepareDataDir, registerBundledModels } from '../../../src-main/engine/first-start.js';
import { silentLogger } from '../../../src-main/engine/logger.js';
import { SHARED_FIXTURES, tempDir } from '../../helpers/tmp.js';

let tmp: { dir: string; cleanup: () => void };
beforeEach(() => {
  tmp = tempDir();
});
afterEach(() => tmp.cleanup());

describe('first start', () => {
  it('creates the demo cohort once, in an empty data directory only', async () => {
    const service = new StudioService({ dataDir: join(tmp.dir, 'a'), logger: silentLogger });
    const first = await prepareDataDir(service, { demo: true });
    expect(first.demoCreated).toBe(true);
    const demo = service.store.datasets.list().find((d) => d.source === 'demo');
    expect(demo?.patientCount).toBeGreaterThan(0);
    expect(demo?.readingCount).toBeGreaterThan(1000);
    service.store.datasets.delete(demo!.id);
    const second = await prepareDataDir(service, { demo: true });
    expect(second.demoCreated).toBe(false);
    expect(service.store.datasets.list()).toHaveLength(0); // a deleted demo stays deleted
    service.close();
  }, 120_000);

  it('leaves a data directory that already has data alone', async () => {
    const service = new StudioService({ dataDir: join(tmp.dir, 'b'), logger: silentLogger });
    service.store.datasets.create({ name: 'mine' });
    expect((await prepareDataDir(service, { demo: true })).demoCreated).toBe(false);
    expect(service.store.datasets.list().map((d) => d.name)).toEqual(['mine']);
    service.close();
  });

  it('registers bundled model directories idempotently and skips incomplete ones', () => {
    const models = join(tmp.dir, 'models');
    mkdirSync(join(models, 'empty'), { recursive: true });
    symlinkSync(join(SHARED_FIXTURES, 'ttm', 'tiny'), join(models, 'ttm-tiny'));
    const service = new StudioService({ dataDir: join(tmp.dir, 'c'), logger: silentLogger });
    expect(registerBundledModels(service.store, models)).toEqual(['ttm-tiny']);
    expect(registerBundledModels(service.store, models)).toEqual(['ttm-tiny']);
    const rows = service.store.models.list();
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({ name: 'ttm-tiny', source: 'bundled' });
    expect(rows[0]!.config.context_length).toBe(64);
    service.close();
  });
});
