import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { SHARED_FIXTURES } from '../helpers/tmp.js';
import { apiCall, cliSync, paintedPixels, SCREENSHOT_DIR, shotAtSizes, useServedApp } from './helpers.js';

// The Train, Forecast, Evaluate and Reports pages through the web host in Debian chromium:
// a small simulated cohort and the tiny TTM fixture (context 64, horizon 16), created through
// the API to save time; everything else as a user would, in order on one page.

const TINY = join(SHARED_FIXTURES, 'ttm', 'tiny');

const app = useServedApp({
  // The web host reads uploaded files only; a model folder on the server is registered with the CLI.
  prepare: (dataDir) => cliSync(dataDir, ['models', 'import', TINY, '--name', 'tiny']),
  setup: async (host) => {
    await apiCall(host, 'settings.update', { threads: 1 });
    await apiCall(host, 'datasets.simulate', { name: 'cohort', patients: 3, days: 10, seed: 3 });
  },
  open: { acceptDownloads: true },
  hookTimeout: 120_000,
});
const shot = (name: string): Promise<Buffer> => app.page.screenshot({ path: join(SCREENSHOT_DIR, `tf-${name}.png`), fullPage: true });

async function until<T>(what: string, f: () => Promise<T | null | undefined | false>, timeoutMs = 60_000): Promise<T> {
  const t0 = Date.now();
  for (;;) {
    const v = await f();
    if (v !== null && v !== undefined && v !== false) return v;
    if (Date.now() - t0 > timeoutMs) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 150));
  }
}

const text = async (testid: string): Promise<string> => (await app.page.getByTestId(testid).textContent()) ?? '';

describe('Train, Forecast, Evaluate and Reports pages in Debian chromium', () => {
  it('Train: creates a split in the page, validates the config inline, every control labelled', async () => {
    await app.page.getByTestId('nav-train').click();
    await app.page.getByTestId('page-train').waitFor();
    await app.page.getByTestId('split-create').locator('summary').click();
    await app.page.getByTestId('split-name').fill('t1');
    await app.page.getByTestId('split-kind').selectOption('temporal');
    await app.page.getByLabel('Validation fraction').fill('0.2');
    await app.page.getByTestId('split-create-button').click();
    await expect(app.page.getByTestId('train-notice').textContent()).resolves.toMatch(/Created split "t1"/);
    await expect(app.page.getByTestId('train-split').locator('option:checked').textContent()).resolves.toContain('t1 v1');
    await app.page.getByTestId('train-model').selectOption({ label: 'tiny · 64→16 · 2 ch' });

    // presets fill the form; an invalid value shows zod's message and disables Start
    await app.page.getByTestId('train-preset').selectOption('zero-shot');
    await expect(app.page.getByTestId('cfg-numEpochs').inputValue()).resolves.toBe('0');
    await app.page.getByTestId('train-preset').selectOption('default');
    await expect(app.page.getByTestId('cfg-learningRate').inputValue()).resolves.toBe('0.0001');
    await app.page.getByTestId('cfg-learningRate').fill('-1');
    await expect(text('cfg-learningRate-error')).resolves.toMatch(/>\s*0/);
    expect(await app.page.getByTestId('train-start').isDisabled()).toBe(true);
    await expect(app.page.getByTestId('cfg-learningRate').getAttribute('aria-invalid')).resolves.toBe('true');
    await app.page.getByTestId('config-form').screenshot({ path: join(SCREENSHOT_DIR, 'tf-train-invalid.png') });
    await app.page.getByTestId('cfg-learningRate').fill('0.001');
    await expect(app.page.getByTestId('cfg-learningRate-error').count()).resolves.toBe(0);
    await app.page.getByTestId('cfg-numEpochs').fill('40');
    await app.page.getByTestId('cfg-batchSize').fill('8');
    await app.page.getByTestId('cfg-earlyStoppingPatience').fill('0');
    await app.page.getByTestId('train-max-steps').fill('8000');
    await app.page.getByTestId('train-name').fill('tiny-ft');

    // every input, select and textarea has an accessible name
    const unlabelled = await app.page.evaluate<string[]>(`(() => [...document.querySelectorAll('input, select, textarea')]
      .filter((el) => !(el.labels && el.labels.length > 0) && !el.getAttribute('aria-label') && !el.closest('label'))
      .map((el) => el.id || el.outerHTML.slice(0, 80)))()`);
    expect(unlabelled).toEqual([]);
    // keyboard: the form is reachable with Tab
    await app.page.getByTestId('cfg-trainingMode').focus();
    await app.page.keyboard.press('Tab');
    const focused = await app.page.evaluate<string>('document.activeElement?.getAttribute("data-testid") ?? ""');
    expect(focused).toMatch(/^cfg-/);
    expect(await app.page.getByTestId('train-start').isEnabled()).toBe(true);
    await shot('train-form');
  });

  it('Train: progress bar, loss curve and numbers move; cancel; resume from the history', async () => {
    await app.page.getByTestId('train-start').click();
    await app.page.getByTestId('train-progress').waitFor({ timeout: 30_000 });
    const chart = app.page.getByTestId('loss-chart');
    await chart.waitFor({ timeout: 30_000 });
    await until('a drawn loss chart', async () => (await chart.getAttribute('data-drawn')) === 'true');
    const step1 = await text('train-percent');
    const loss1 = await text('train-loss');
    await until('the progress to move', async () => (await text('train-percent')) !== step1 && (await text('train-loss')) !== loss1, 60_000);
    expect(await paintedPixels(app.page, '[data-testid="train-live"]')).toBeGreaterThan(500);
    await expect(text('train-device')).resolves.toMatch(/cpu/i);
    await shot('train-running');
    await app.page.getByTestId('train-cancel').click();
    await until('cancelled', async () => (await text('train-status')) === 'cancelled', 60_000);
    const runRow = app.page.locator('[data-testid^="run-row-"]').first();
    await until('the history to say cancelled', async () => ((await runRow.textContent()) ?? '').includes('cancelled'), 10_000);
    await shot('train-cancelled');
    const resume = runRow.locator('[data-testid^="resume-"]');
    await resume.click();
    await until('running again', async () => ['running', 'completed'].includes(await text('train-status')), 30_000);
    await until('completed', async () => (await text('train-status')) === 'completed', 240_000);
    await until('the history to say completed', async () => ((await runRow.textContent()) ?? '').includes('completed'), 10_000);
    await shot('train-completed');

    // When the run ends the page still shows the user's dataset, split and base
    // model (never "No split yet"), and they survive a trip to another page and a reload.
    const selection = (): Promise<string[]> =>
      Promise.all(
        ['train-dataset', 'train-split', 'train-model'].map(async (id) => (await app.page.getByTestId(id).locator('option:checked').textContent()) ?? ''),
      );
    // the page reads the run list again 500 ms after the run's last event
    await new Promise((r) => setTimeout(r, 800));
    const after = await selection();
    expect(after[0]).toContain('cohort');
    expect(after[1]).toContain('t1 v1');
    // the run locked the split, and the list says so once it ends
    expect(after[1]).toContain('· used');
    expect(after[2]).toContain('tiny ·');
    await expect(app.page.getByTestId('train-split').textContent()).resolves.not.toContain('No split');
    await app.page.getByTestId('nav-data').click();
    await app.page.getByTestId('page-data').waitFor();
    await app.page.getByTestId('nav-train').click();
    await app.page.getByTestId('page-train').waitFor();
    await expect.poll(selection).toEqual(after);
    await app.page.reload();
    await app.page.getByTestId('page-train').waitFor();
    await expect.poll(selection).toEqual(after);
    // The run table says when in words, not as ISO timestamps.
    const runs = app.page.getByTestId('runs-table');
    await expect(runs.textContent()).resolves.not.toMatch(/\d{4}-\d\d-\d\dT/);
    await shotAtSizes(app.page, 'tf-train-after-run', runs);
    await shotAtSizes(app.page, 'tf-train-selection-after-run', app.page.getByTestId('train-split'));
  }, 360_000);

  it('Forecast: the trained model and the base model overlaid, origin stepped with the keyboard', async () => {
    await app.page.getByTestId('nav-forecast').click();
    await app.page.getByTestId('page-forecast').waitFor();
    await until('models listed', async () => (await app.page.getByTestId('fc-model-tiny').count()) > 0);
    await app.page.getByTestId('fc-model-tiny').check();
    await app.page.getByTestId('fc-model-tiny-ft').check();
    await app.page.getByTestId('fc-run').click();
    const chart = app.page.getByTestId('forecast-chart');
    await chart.waitFor({ timeout: 60_000 });
    await until('a drawn forecast chart', async () => (await chart.getAttribute('data-drawn')) === 'true');
    expect(await paintedPixels(app.page, '[data-testid="fc-origin"]')).toBeGreaterThan(1000);
    const origin = app.page.getByTestId('fc-origin');
    const before = await origin.getAttribute('aria-valuenow');
    await origin.focus();
    await app.page.keyboard.press('ArrowRight');
    await expect(origin.getAttribute('aria-valuenow')).resolves.toBe(String(Number(before) + 1));
    await app.page.keyboard.press('PageDown');
    await expect(origin.getAttribute('aria-valuenow')).resolves.toBe(String(Number(before) + 13));
    await app.page.keyboard.press('PageUp');
    await expect(origin.getAttribute('aria-valuenow')).resolves.toBe(String(Number(before) + 1));
    // One legend, in the chart's colours: no uPlot legend with "—" values beside the page's.
    await expect(app.page.locator('[data-testid="forecast-chart"] .u-legend').count()).resolves.toBe(0);
    // Strings evaluated in the page: this project's Node typings have no DOM.
    const legendColour = (i: number): Promise<string> =>
      app.page.evaluate<string>(`getComputedStyle(document.querySelector('[data-testid="forecast-legend-${i}"]')).borderTopColor`);
    const cssColour = (name: string): Promise<string> =>
      app.page.evaluate<string>(`(() => {
        const probe = document.createElement('span');
        probe.style.color = getComputedStyle(document.documentElement).getPropertyValue(${JSON.stringify(name)}).trim();
        document.body.append(probe);
        const c = getComputedStyle(probe).color;
        probe.remove();
        return c;
      })()`);
    expect(await legendColour(0)).toBe(await cssColour('--accent'));
    expect(await legendColour(1)).toBe(await cssColour('--chart-carbs'));
    // Charts elsewhere show labels without placeholder values.
    await expect(app.page.locator('.u-legend .u-value').count()).resolves.toBe(0);
    // Bolus and carb markers have scales (right-hand axes) and the note says how to read them.
    await expect(app.page.locator('.chart-note').last().textContent()).resolves.toContain('on the scales at the right');
    await shotAtSizes(app.page, 'tf-forecast-legend', app.page.getByTestId('forecast-legend'));
    await shot('forecast');
  }, 120_000);

  it('Evaluate: metric tables beside the baselines, RMSE chart, error grids drawn; unit switch changes the numbers', async () => {
    await app.page.getByTestId('nav-evaluate').click();
    await app.page.getByTestId('page-evaluate').waitFor();
    await until('models listed', async () => (await app.page.getByTestId('ev-model').locator('option').count()) > 1);
    await app.page.getByTestId('ev-model').selectOption({ label: 'tiny-ft (trained)' });
    await app.page.getByTestId('ev-run').click();
    await app.page.getByTestId('ev-report').waitFor({ timeout: 120_000 });
    const table = app.page.locator('[data-testid^="ev-table-"]').first();
    const t = (await table.textContent()) ?? '';
    for (const m of ['persistence', 'ridge']) expect(t).toContain(m);
    await until(
      'drawn error grids',
      async () => {
        const n = Number(await app.page.getByTestId('ev-grid-clarke').getAttribute('data-points'));
        return n > 0 && (await app.page.getByTestId('ev-grid-parkes').getAttribute('data-drawn')) === 'true';
      },
      120_000,
    );
    expect(await paintedPixels(app.page, '[data-testid="ev-report"]')).toBeGreaterThan(2000);
    const cell = app.page.locator('[data-testid$="-persistence-30"]').first();
    const mg = Number(await cell.textContent());
    expect(mg).toBeGreaterThan(0);
    // A page in mg/dL explains the hypo threshold in mg/dL only (no mmol/L in the heading or the note).
    const hypoHeading = app.page.locator('h3', { hasText: 'Hypoglycaemia detection' }).first();
    const hypoNote = app.page.locator('p', { hasText: 'a window is a low' }).first();
    await expect(hypoHeading.textContent()).resolves.toContain('< 70 mg/dL');
    await expect(hypoNote.textContent()).resolves.toContain('below 70 mg/dL');
    for (const words of [hypoHeading, hypoNote]) await expect(words.textContent()).resolves.not.toContain('mmol');
    await shot('evaluate');
    await shotAtSizes(app.page, 'tf-evaluate-hypo', app.page.locator('[data-testid^="ev-hypo-"]').first());

    await app.page.getByTestId('nav-settings').click();
    await app.page.getByLabel('Glucose unit').selectOption('mmol/L');
    await app.page.getByTestId('nav-evaluate').click();
    await app.page.getByTestId('ev-report').waitFor({ timeout: 60_000 });
    const mmol = Number(await app.page.locator('[data-testid$="-persistence-30"]').first().textContent());
    expect(mmol).toBeCloseTo(mg / 18.018, 1);
    await expect(app.page.getByTestId('page-evaluate').textContent()).resolves.toContain('RMSE @ 30 min (mmol/L)');
    await expect(hypoHeading.textContent()).resolves.toContain('< 3.9 mmol/L');
    await expect(hypoNote.textContent()).resolves.toContain('below 3.9 mmol/L');
    for (const words of [hypoHeading, hypoNote]) await expect(words.textContent()).resolves.not.toContain('mg/dL');
    await shot('evaluate-mmol');
  }, 300_000);

  it('Reports: generates the model report with progress, lists its sections, serves the file', async () => {
    await app.page.getByTestId('nav-reports').click();
    await app.page.getByTestId('page-reports').waitFor();
    await app.page.getByTestId('report-kind-model').check();
    await until('runs listed', async () => (await app.page.getByTestId('report-run').locator('option').count()) > 0);
    await app.page.getByTestId('report-generate').click();
    await app.page.getByTestId('report-result').waitFor({ timeout: 120_000 });
    await expect(text('report-sections')).resolves.not.toBe('');
    const href = await app.page.getByTestId('report-download').getAttribute('href');
    expect(href).toMatch(/^\/api\/reports\/run-\d+-model-report\.html$/);
    const res = await app.page.request.get(new URL(href!, app.host.url).toString());
    expect(res.status()).toBe(200);
    expect(await res.text()).toContain('<html');
    await shot('reports');
    // The fine-tune run's report is titled with the model it produced, not the base model.
    await app.page.goto(new URL(`${href!}?inline=1`, app.host.url).toString());
    await expect(app.page.locator('h1').first().textContent()).resolves.toContain('tiny-ft');
    await shotAtSizes(app.page, 'tf-model-report');
    await app.page.goto(app.host.url);
    await app.page.getByTestId('page-data').waitFor();
  }, 180_000);

  it('layout at 1440, 1280 and 1024 px: no page scrolls sideways; the metric table fits; zone tables do not run under the other grid', async () => {
    const sideways = (): Promise<number> => app.page.evaluate<number>('document.documentElement.scrollWidth - document.documentElement.clientWidth');
    for (const [w, h] of [
      [1440, 900],
      [1280, 800],
      [1024, 700],
    ] as const) {
      await app.page.setViewportSize({ width: w, height: h });
      await app.page.getByTestId('nav-train').click();
      await app.page.getByTestId('page-train').waitFor();
      // the split chosen earlier stays selected: never a blank select or "No split yet"
      await expect.poll(async () => app.page.getByTestId('train-split').locator('option:checked').textContent()).toContain('t1 v1');
      await expect.poll(sideways).toBeLessThanOrEqual(0);
      await app.page.screenshot({ path: join(SCREENSHOT_DIR, `tf-train-${w}.png`) });
      await app.page.getByTestId('nav-evaluate').click();
      await app.page.getByTestId('ev-report').waitFor({ timeout: 60_000 });
      await expect.poll(sideways).toBeLessThanOrEqual(0);
      // Every model's column of the metric table is on screen (no scrolling inside the table either).
      const table = app.page.locator('[data-testid^="ev-table-"]').first();
      const overflow = await table.evaluate((el) => el.scrollWidth - (el.parentElement?.clientWidth ?? el.scrollWidth));
      expect(overflow, `metric table at ${w} px`).toBeLessThanOrEqual(0);
      // The Clarke zone table ends before the Parkes grid begins (same row) or lies above it (stacked).
      const clarkeTable = app.page.locator('.grid-pair > div').nth(0).locator('table');
      const parkes = app.page.locator('.grid-pair > div').nth(1);
      const a = (await clarkeTable.boundingBox())!;
      const b = (await parkes.boundingBox())!;
      expect(a.x + a.width <= b.x + 1 || a.y + a.height <= b.y + 1, `zone table vs Parkes grid at ${w} px`).toBe(true);
      await table.scrollIntoViewIfNeeded();
      await app.page.screenshot({ path: join(SCREENSHOT_DIR, `tf-evaluate-${w}.png`) });
      // the page forecasts the test part again for the plots: screenshot the grids with their points
      await until('the error grid points', async () => Number(await app.page.getByTestId('ev-grid-clarke').getAttribute('data-points')) > 0, 60_000);
      await app.page.locator('.grid-pair').scrollIntoViewIfNeeded();
      await app.page.screenshot({ path: join(SCREENSHOT_DIR, `tf-evaluate-grids-${w}.png`) });
    }
    await app.page.setViewportSize({ width: 1280, height: 900 });
  });

  it('dark theme renders the pages; no console or CSP errors', async () => {
    await app.page.getByTestId('nav-settings').click();
    await app.page.getByLabel('Theme').selectOption('dark');
    await app.page.getByTestId('nav-evaluate').click();
    await app.page.getByTestId('ev-report').waitFor({ timeout: 60_000 });
    await until('the error grid points', async () => Number(await app.page.getByTestId('ev-grid-clarke').getAttribute('data-points')) > 0, 60_000);
    await shot('evaluate-dark');
    await app.page.getByTestId('nav-train').click();
    await app.page.getByTestId('page-train').waitFor();
    await shot('train-dark');
    expect(app.problems).toEqual([]);
  }, 120_000);
});
