/**
 * A first user's path, walked in Debian chromium against `ttm-studio serve`: a Clarity export
 * whose header says mmol/L over mg/dL values stops at the preview with a question; a Nightscout
 * export's three files picked together import as the CLI imports their folder, whatever their
 * order; the data report prints the consensus targets. Screenshots at 1280×800 and 1024×700: test/e2e/screenshots/fu-*-{1280,1024}.png.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { Locator } from 'playwright-core';
import { importFiles } from '../../src-main/engine/data/import-service.js';
import { SHARED_FIXTURES } from '../helpers/tmp.js';
import { apiCall, shotAtSizes, useServedApp } from './helpers.js';

const NS = join(SHARED_FIXTURES, 'formats/nightscout');

const app = useServedApp({ open: { height: 800 } });
/** Screenshots at 1280×800 and 1024×700 with what they show scrolled into view. */
const shot = (name: string, subject?: Locator): Promise<void> => shotAtSizes(app.page, `fu-${name}`, subject);

describe('a first user in Debian chromium', () => {
  it('a Clarity file labelled mmol/L with mg/dL values: the preview stops and asks before anything is written', async () => {
    const file = join(app.dir, 'clarity-mislabelled.csv');
    writeFileSync(
      file,
      readFileSync(join(SHARED_FIXTURES, 'formats/dexcom-clarity-synthetic.csv'), 'utf8').replace('Glucose Value (mg/dL)', 'Glucose Value (mmol/L)'),
    );
    await app.page.getByTestId('import-input').setInputFiles(file);
    const question = app.page.getByTestId('unit-question');
    await question.waitFor();
    await expect(question.textContent()).resolves.toMatch(/says mmol\/L, but the values are mg\/dL/);
    await expect(app.page.getByTestId('preview-warnings').textContent()).resolves.toMatch(/e\.g\. 144, 143, 142/);
    await expect(app.page.getByTestId('import-run').isDisabled()).resolves.toBe(true);
    // The preview shows the values as they are: 144 mg/dL, not 2,595.
    await expect(app.page.getByTestId('preview-table').locator('tbody tr').first().textContent()).resolves.toContain('144');
    await app.page.getByTestId('import-name').fill('clarity-unit');
    await question.scrollIntoViewIfNeeded();
    await shot('unit-question', question);
    // Nothing was written while the question was open.
    expect((await apiCall<{ name: string }[]>(app.host, 'datasets.list')).map((d) => d.name)).not.toContain('clarity-unit');
    await app.page.getByTestId('unit-as-mgdl').click();
    await expect(app.page.getByTestId('import-run').isDisabled()).resolves.toBe(false);
    await app.page.getByTestId('import-run').click();
    await app.page.getByTestId('import-report').waitFor();
    await expect(app.page.getByTestId('import-report').textContent()).resolves.toMatch(/3,922 readings/);
    await app.page.getByTestId('import-report').scrollIntoViewIfNeeded();
    await shot('unit-imported', app.page.getByTestId('import-report'));
    const report = await apiCall<{ patients: { externalId: string; meanMgdl: number | null }[] }>(app.host, 'quality.check', { dataset: 'clarity-unit' });
    expect(report.patients.length).toBe(1);
    const trace = await apiCall<{ channels: { bg_mM: (number | null)[] } }>(app.host, 'patients.trace', {
      dataset: 'clarity-unit',
      patient: 'clarity-mislabelled',
      channels: ['bg_mM'],
    });
    const values = trace.channels.bg_mM.filter((v): v is number => v !== null && Number.isFinite(v));
    expect(Math.max(...values)).toBeLessThan(33.3);
    await app.page.getByRole('button', { name: 'Clear' }).click();
  });

  it('Nightscout entries, treatments and profile picked together import as the CLI imports them, in any order', async () => {
    const cli = await importFiles(join(app.dir, 'cli.sqlite'), { paths: [NS], dataset: 'cli', create: true });
    // Profile last and treatments first: the order a file dialog may hand them over.
    await app.page
      .getByTestId('import-input')
      .setInputFiles([join(NS, 'nightscout_treatments.json'), join(NS, 'nightscout_entries.json'), join(NS, 'nightscout_profiles.json')]);
    await expect(app.page.getByTestId('detections').textContent()).resolves.toContain('Nightscout');
    await app.page.getByTestId('import-name').fill('ns-browser');
    await app.page.getByTestId('import-run').click();
    const report = app.page.getByTestId('import-report');
    await report.waitFor();
    const text = (await report.textContent()) ?? '';
    expect(text).toContain(`${cli.readings.toLocaleString('en-US')} readings and ${cli.events.toLocaleString('en-US')} events`);
    expect(text).not.toMatch(/no profile/i);
    await report.scrollIntoViewIfNeeded();
    await shot('nightscout-imported', report);
  });

  it('an empty file is called empty (no mapping form); a file without a zone is told about the form field, not --tz', async () => {
    const empty = join(app.dir, 'empty.csv');
    writeFileSync(empty, '');
    await app.page.getByTestId('import-input').setInputFiles(empty);
    const said = app.page.getByTestId('import-empty');
    await said.waitFor();
    await expect(said.textContent()).resolves.toMatch(/empty\.csv\s+is empty \(0 bytes\): there is nothing to import/);
    await expect(app.page.getByTestId('mapping-form').count()).resolves.toBe(0);
    await expect(app.page.getByTestId('import-run').isDisabled()).resolves.toBe(true);
    await said.scrollIntoViewIfNeeded();
    await shot('empty-file', said);
    await app.page.getByRole('button', { name: 'Clear' }).click();
    // Clarity timestamps are naive local time: without a zone the wizard points at its own field.
    await app.page.getByTestId('import-input').setInputFiles(join(SHARED_FIXTURES, 'formats/dexcom-clarity-synthetic.csv'));
    await app.page.getByTestId('preview-warnings').waitFor();
    await app.page.getByTestId('import-name').fill('clarity-utc');
    await app.page.getByTestId('import-run').click();
    await app.page.getByTestId('import-report').waitFor();
    const panel = (await app.page.getByTestId('import-panel').textContent()) ?? '';
    expect(panel).toContain('Choose “Time zone of local timestamps”');
    expect(panel).not.toContain('--tz');
    await app.page.getByTestId('import-report').scrollIntoViewIfNeeded();
    await shot('no-zone-warning', app.page.getByTestId('import-report'));
    await app.page.getByRole('button', { name: 'Clear' }).click();
  });

  it('the data report prints the consensus targets', async () => {
    const r = await apiCall<{ path: string }>(app.host, 'reports.generate', { dataset: 'ns-browser', unit: 'mg/dL' });
    const name = r.path.split(/[\\/]/).pop()!;
    await app.page.goto(`${app.host.url}api/reports/${name}?inline=1`);
    const ranges = app.page.locator('table', { hasText: 'Consensus target' }).first();
    await ranges.waitFor();
    const text = (await ranges.textContent()) ?? '';
    for (const t of ['< 5 % (above 250)', '< 25 % (above 180)', '> 70 % (70–180)', '< 4 % (below 70)', '< 1 % (below 54)']) expect(text).toContain(t);
    await ranges.scrollIntoViewIfNeeded();
    await shot('data-report-targets', ranges);
    await app.page.goto(app.host.url);
  });

  it('the dataset chosen on one page stays chosen on the others and after a reload', async () => {
    const list = await apiCall<{ id: number; name: string }[]>(app.host, 'datasets.list');
    // Not the alphabetically first dataset.
    const ns = list.find((d) => d.name === 'ns-browser')!;
    expect([...list].sort((a, b) => a.name.localeCompare(b.name))[0]!.name).not.toBe('ns-browser');
    await app.page.getByTestId('nav-data').click();
    await app.page.getByTestId('page-data').waitFor();
    await app.page.getByTestId('dataset-row-ns-browser').getByRole('button', { name: 'ns-browser' }).click();
    for (const [nav, select] of [
      ['nav-train', '#train-dataset'],
      ['nav-forecast', '#fc-dataset'],
      ['nav-evaluate', '#ev-dataset'],
    ] as const) {
      await app.page.getByTestId(nav).click();
      await expect.poll(() => app.page.locator(select).inputValue(), { timeout: 10_000 }).toBe(String(ns.id));
    }
    await app.page.reload();
    await app.page.getByTestId('nav-train').click();
    await expect.poll(() => app.page.locator('#train-dataset').inputValue(), { timeout: 10_000 }).toBe(String(ns.id));
    await shot('train-remembers-dataset');
  });

  it('no console or CSP errors', () => {
    expect(app.problems).toEqual([]);
  });
});
