/**
 * The model report of a run made by the real pipeline, through the CLI: simulate → split →
 * train (tiny, from scratch) → evaluate → predict → report. The train run's report must find
 * the evaluation of the model it produced (another run) and that model's stored forecasts.
 */
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MODEL_REPORT_SECTIONS } from '../../../src-main/engine/report/model-report.js';
import { checkReportHtml } from '../../../src-main/engine/report/validate.js';
import { REPO_ROOT, tempDir } from '../../helpers/tmp.js';

const run = promisify(execFile);
let tmp: { dir: string; cleanup: () => void };

async function cli(...args: string[]): Promise<string> {
  const r = await run(process.execPath, [join(REPO_ROOT, 'bin/ttm-studio.js'), '--data-dir', tmp.dir, ...args], { cwd: REPO_ROOT, timeout: 170_000 });
  return r.stdout;
}

beforeAll(() => {
  tmp = tempDir('ttm-report-real-');
});
afterAll(() => tmp?.cleanup());

describe('model report of a real run', () => {
  it('links the train run to the evaluation and forecasts of the model it produced', async () => {
    await cli('simulate', '--patients', '3', '--days', '8', '--seed', '2', '--dataset', 'demo');
    await cli(
      'splits',
      'create',
      '--dataset',
      'demo',
      '--name',
      's1',
      '--kind',
      'hybrid',
      '--holdout-patients',
      'sim-003',
      '--test-fraction',
      '0.25',
      '--val-fraction',
      '0.15',
    );
    await cli(
      'train',
      '--dataset',
      'demo',
      '--split',
      's1',
      '--mode',
      'from_scratch',
      '--context',
      '64',
      '--forecast',
      '24',
      '--epochs',
      '1',
      '--max-steps',
      '10',
      '--batch-size',
      '32',
      '--train-stride',
      '6',
      '--name',
      'tiny',
    );
    await cli('evaluate', '--model', 'tiny', '--dataset', 'demo', '--split', 's1', '--stride', '6');
    await cli('predict', '--model', 'tiny', '--dataset', 'demo', '--split', 's1', '--every', '12');
    const runs = JSON.parse(await cli('--json', 'runs', 'list')) as { id: number; kind: string }[];
    const train = runs.find((r) => r.kind === 'train')!;
    const out = join(tmp.dir, 'train.html');
    const res = JSON.parse(await cli('--json', 'report', '--run', String(train.id), '--out', out)) as { sections: string[]; title: string };
    expect(res.title).toBe(`Model report: tiny, run ${train.id}`);
    const html = readFileSync(out, 'utf8');
    expect(checkReportHtml(html, MODEL_REPORT_SECTIONS).errors).toEqual([]);
    expect(html).not.toContain('not available</strong>');
    expect(html).toContain('Training loss');
    // Rows name the model by its registered name (not "ttm").
    expect(html).toMatch(/<td>60 min<\/td><td><strong>tiny<\/strong><\/td>/);
    for (const b of ['persistence', 'ridge', 'ar2']) expect(html).toContain(`<td>60 min</td><td>${b} <span class="note">(baseline)</span></td>`);
    // The error-grid caption names the forecasts it read without citing another run's id.
    expect(html).toMatch(/pairs of tiny from the model(?:'|&#39;|&apos;)s latest stored rolling-origin forecasts \(/);
    expect(html).not.toMatch(/from forecasts of run \d+/);
    expect(html.match(/<title>(best|median|worst) window<\/title>/g)).toHaveLength(3);
    expect(html).toContain('trained from scratch by this run');
  });
});
