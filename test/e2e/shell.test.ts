import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, ConsoleMessage } from 'playwright-core';
import { Store } from '../../src-main/engine/store/index.js';
import { tempDir } from '../helpers/tmp.js';
import { launchChromium, SCREENSHOT_DIR, startServe, type RunningHost } from './helpers.js';

const PAGES = ['data', 'quality', 'train', 'forecast', 'evaluate', 'reports', 'settings'] as const;

let tmp: { dir: string; cleanup: () => void };
let host: RunningHost;
let browser: Browser;

beforeAll(async () => {
  tmp = tempDir();
  const dataDir = join(tmp.dir, 'data');
  // a small dataset so the Data page has something to list
  const store = Store.open(join(dataDir, 'studio.sqlite'));
  const d = store.datasets.create({ name: 'e2e cohort', source: 'import' });
  const p = store.patients.ensure(d.id, 'patient-7');
  store.transaction(() =>
    store.readings.insertMany(
      Array.from({ length: 288 }, (_, i) => ({
        patientId: p.id,
        importId: null,
        ts: Date.UTC(2024, 0, 1) + i * 300_000,
        utcOffsetMin: 60,
        kind: 'cgm' as const,
        bgMm: 6 + Math.sin(i / 20),
        flags: 0,
        sourceRow: i + 1,
      })),
    ),
  );
  store.close();
  host = await startServe(dataDir);
  browser = await launchChromium();
});

afterAll(async () => {
  await browser?.close();
  await host?.stop();
  tmp?.cleanup();
});

describe('web host in Debian chromium', () => {
  it('opens with the token, lists datasets, navigates every page without errors and screenshots each', async () => {
    const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
    const page = await context.newPage();
    const problems: string[] = [];
    page.on('console', (m: ConsoleMessage) => {
      if (m.type() === 'error') problems.push(m.text());
    });
    page.on('pageerror', (e) => problems.push(e.message));

    await page.goto(host.loginUrl);
    expect(new URL(page.url()).search).toBe(''); // token traded for a cookie, not left in the address bar
    await page.getByTestId('datasets-table').waitFor();
    await expect(page.getByTestId('datasets-table').textContent()).resolves.toContain('e2e cohort');
    await page.getByRole('button', { name: 'e2e cohort' }).click();
    await expect(page.getByTestId('patients-table').textContent()).resolves.toContain('patient-7');

    for (const name of PAGES) {
      await page.getByTestId(`nav-${name}`).click();
      await page.getByTestId(`page-${name}`).waitFor();
      expect(await page.getByTestId(`nav-${name}`).getAttribute('aria-current')).toBe('page');
      await page.screenshot({ path: join(SCREENSHOT_DIR, `${name}.png`), fullPage: true });
    }
    await page.getByTestId('info').waitFor();
    await expect(page.getByTestId('info').textContent()).resolves.toMatch(/onnxruntime/);
    expect(problems).toEqual([]);
    await context.close();
  });

  it('switching the glucose unit in Settings persists and shows everywhere', async () => {
    const context = await browser.newContext();
    const page = await context.newPage();
    await page.goto(host.loginUrl);
    await page.getByTestId('nav-settings').click();
    await page.getByLabel('Glucose unit').selectOption('mmol/L');
    await page.getByText('Saved.').waitFor();
    await page.reload();
    // The badge shows the default until the reloaded page has read the settings: wait for them.
    await expect.poll(() => page.locator('.unit-badge').textContent(), { timeout: 10_000 }).toBe('mmol/L');
    await page.getByLabel('Glucose unit').selectOption('mg/dL');
    await page.getByText('Saved.').waitFor();
    await context.close();
  });

  it('a browser without the token gets 401; a call from a foreign origin is refused', async () => {
    const context = await browser.newContext();
    const page = await context.newPage();
    const res = await page.goto(host.url);
    expect(res?.status()).toBe(401);
    await expect(page.textContent('body')).resolves.toMatch(/access token/);
    // A page on another origin (here: about:blank, origin 'null') trying to call the API.
    const blank = await context.newPage();
    const status = await blank.evaluate(async (url) => {
      try {
        const r = await fetch(`${url}api/call/datasets.list`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: '{}' });
        return r.status;
      } catch {
        return -1; // blocked before reaching us also counts as refused
      }
    }, host.url);
    expect([401, 403, -1]).toContain(status);
    const direct = await fetch(`${host.url}api/call/datasets.list`, {
      method: 'POST',
      headers: { Authorization: `Bearer ${host.token}`, 'Content-Type': 'application/json', Origin: 'https://evil.example' },
      body: '{}',
    });
    expect(direct.status).toBe(403);
    const noToken = await fetch(`${host.url}api/call/datasets.list`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: '{}' });
    expect(noToken.status).toBe(401);
    await context.close();
  });
});
