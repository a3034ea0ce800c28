import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { SHARED_FIXTURES } from '../helpers/tmp.js';
import { apiCall, cliSync, shotAtSizes, useServedApp } from './helpers.js';

// "Run on a cluster…" on the Train page through the web host in Debian chromium: the run the
// form describes is written as a job folder (in <data dir>/cluster-jobs, the only folder the web
// host lets a job go to) and the page shows the commands; importing a folder whose job has not
// run says so. The PyTorch side is covered by
// test/integration/cluster/cluster-job.test.ts.

const app = useServedApp({
  prepare: (dataDir) => cliSync(dataDir, ['models', 'import', join(SHARED_FIXTURES, 'ttm', 'tiny'), '--name', 'tiny']),
  setup: async (host) => {
    await apiCall(host, 'datasets.simulate', { name: 'cohort', patients: 2, days: 4, seed: 3 });
    await apiCall(host, 'splits.create', {
      dataset: 'cohort',
      name: 's1',
      spec: { kind: 'temporal', testFraction: 0.2, valFraction: 0.2, gapMin: 0, holdoutFraction: 0.1, seed: 1 },
    });
  },
  hookTimeout: 120_000,
});

describe('Train page: run on a cluster', () => {
  it('writes the job folder for the configured run and shows the commands; an unfinished job is refused on import', async () => {
    await app.page.getByTestId('nav-train').click();
    await app.page.getByTestId('page-train').waitFor();
    await app.page.getByTestId('train-model').selectOption({ label: 'tiny · 64→16 · 2 ch' });
    await app.page.getByTestId('cfg-batchSize').fill('16');
    const panel = app.page.getByTestId('cluster-panel');
    await panel.locator('summary').click();
    // Through the web host a job goes into <data dir>/cluster-jobs only: another folder is refused.
    await app.page.getByTestId('cluster-out').fill(join(app.dir, 'elsewhere'));
    await app.page.getByTestId('cluster-export').click();
    await expect(app.page.locator('.error-banner').first().textContent()).resolves.toMatch(/cluster-jobs folder only/);
    await app.page.getByTestId('cluster-out').fill('');
    await app.page.getByTestId('cluster-export').click();
    await app.page.getByTestId('cluster-commands').waitFor({ timeout: 30_000 });
    const commands = (await app.page.getByTestId('cluster-commands').textContent()) ?? '';
    expect(commands).toContain('torchrun');
    const out = join(app.dir, 'data', 'cluster-jobs', 'cluster-cohort-s1');
    expect(commands).toContain(`ttm-studio jobs import "${out}"`);
    await expect(app.page.getByTestId('cluster-exported').textContent()).resolves.toMatch(/training and\s+\d+ validation windows/);
    expect(existsSync(join(out, 'job.json'))).toBe(true);
    expect(readdirSync(join(out, 'data')).some((f) => f.includes('test'))).toBe(false);
    // The folder to import is prefilled with the one just written; its job has not run.
    await expect(app.page.getByTestId('cluster-import-dir').inputValue()).resolves.toBe(out);
    await app.page.getByTestId('cluster-import').click();
    await expect(app.page.locator('.error-banner').first().textContent()).resolves.toMatch(/has not finished/);
    await shotAtSizes(app.page, 'cluster-panel', panel);
    // The refused folder answers 403 and the unfinished import 404, which the browser logs; nothing else.
    expect(app.problems.filter((p) => !/status of (403|404)/.test(p))).toEqual([]);
  }, 120_000);
});
