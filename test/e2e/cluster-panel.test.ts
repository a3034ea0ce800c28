import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { REPO_ROOT, SHARED_FIXTURES, tempDir } from '../helpers/tmp.js';
import { apiCall, openApp, type RunningHost, shotAtSizes, startServe } from './helpers.js';

// "Run on a cluster…" on the Train page through the web host in Debian chromium: the run the
// form describes is written as a job folder (in <data dir>/cluster-jobs, the only folder the web
// host lets a job go to) and the page shows the commands; importing a folder whose job has not
// run says so. The PyTorch side is covered by
// test/integration/cluster/cluster-job.test.ts.

let tmp: { dir: string; cleanup: () => void };
let host: RunningHost;
let browser: Browser;
let context: BrowserContext;
let page: Page;
let problems: string[];

beforeAll(async () => {
  tmp = tempDir();
  execFileSync(
    process.execPath,
    [join(REPO_ROOT, 'bin/ttm-studio.js'), '--data-dir', join(tmp.dir, 'data'), 'models', 'import', join(SHARED_FIXTURES, 'ttm', 'tiny'), '--name', 'tiny'],
    { stdio: 'ignore' },
  );
  host = await startServe(join(tmp.dir, 'data'));
  await apiCall(host, 'datasets.simulate', { name: 'cohort', patients: 2, days: 4, seed: 3 });
  await apiCall(host, 'splits.create', {
    dataset: 'cohort',
    name: 's1',
    spec: { kind: 'temporal', testFraction: 0.2, valFraction: 0.2, gapMin: 0, holdoutFraction: 0.1, seed: 1 },
  });
  ({ browser, context, page, problems } = await openApp(host));
}, 120_000);

afterAll(async () => {
  await context?.close();
  await browser?.close();
  await host?.stop();
  tmp?.cleanup();
});

describe('Train page: run on a cluster', () => {
  it('writes the job folder for the configured run and shows the commands; an unfinished job is refused on import', async () => {
    await page.getByTestId('nav-train').click();
    await page.getByTestId('page-train').waitFor();
    await page.getByTestId('train-model').selectOption({ label: 'tiny · 64→16 · 2 ch' });
    await page.getByTestId('cfg-batchSize').fill('16');
    const panel = page.getByTestId('cluster-panel');
    await panel.locator('summary').click();
    // Through the web host a job goes into <data dir>/cluster-jobs only: another folder is refused.
    await page.getByTestId('cluster-out').fill(join(tmp.dir, 'elsewhere'));
    await page.getByTestId('cluster-export').click();
    await expect(page.locator('.error-banner').first().textContent()).resolves.toMatch(/cluster-jobs folder only/);
    await page.getByTestId('cluster-out').fill('');
    await page.getByTestId('cluster-export').click();
    await page.getByTestId('cluster-commands').waitFor({ timeout: 30_000 });
    const commands = (await page.getByTestId('cluster-commands').textContent()) ?? '';
    expect(commands).toContain('torchrun');
    const out = join(tmp.dir, 'data', 'cluster-jobs', 'cluster-cohort-s1');
    expect(commands).toContain(`ttm-studio jobs import "${out}"`);
    await expect(page.getByTestId('cluster-exported').textContent()).resolves.toMatch(/training and\s+\d+ validation windows/);
    expect(existsSync(join(out, 'job.json'))).toBe(true);
    expect(readdirSync(join(out, 'data')).some((f) => f.includes('test'))).toBe(false);
    // The folder to import is prefilled with the one just written; its job has not run.
    await expect(page.getByTestId('cluster-import-dir').inputValue()).resolves.toBe(out);
    await page.getByTestId('cluster-import').click();
    await expect(page.locator('.error-banner').first().textContent()).resolves.toMatch(/has not finished/);
    await shotAtSizes(page, 'cluster-panel', panel);
    // The refused folder answers 403 and the unfinished import 404, which the browser logs; nothing else.
    expect(problems.filter((p) => !/status of (403|404)/.test(p))).toEqual([]);
  }, 120_000);
});
