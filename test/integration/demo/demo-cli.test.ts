/**
 * `ttm-studio demo` end to end at test size (3 patients × 10 days, a 20-step fine-tune):
 * every stage runs through the compiled CLI and worker processes, and every file the
 * summary names exists and holds what it claims.
 */
import { execFile } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DemoResult } from '../../../src-main/cli/commands/demo.js';
import { DEFAULT_BUNDLED_MODEL } from '../../../src-main/engine/first-start.js';
import { Store } from '../../../src-main/engine/store/index.js';
import { REPO_ROOT, tempDir } from '../../helpers/tmp.js';

const run = promisify(execFile);

async function cli(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const r = await run(process.execPath, [join(REPO_ROOT, 'bin/ttm-studio.js'), ...args], {
      cwd: REPO_ROOT,
      // The demo must not depend on (or write to) the environment's data directory.
      env: { ...process.env, TTM_STUDIO_DATA_DIR: '/nonexistent/ttm-studio-demo-test' },
      maxBuffer: 64 * 1024 * 1024,
    });
    return { code: 0, stdout: r.stdout, stderr: r.stderr };
  } catch (e) {
    const err = e as { code: number; stdout: string; stderr: string };
    return { code: err.code, stdout: err.stdout, stderr: err.stderr };
  }
}

const SMALL = ['--patients', '3', '--days', '10', '--max-steps', '20', '--threads', '1'];

describe('ttm-studio demo', () => {
  let tmp: { dir: string; cleanup: () => void };
  let result: DemoResult;
  let stderr: string;
  let seconds: number;
  beforeAll(async () => {
    tmp = tempDir();
    const t0 = performance.now();
    const r = await cli(['demo', '--out', join(tmp.dir, 'out'), ...SMALL, '--json']);
    seconds = (performance.now() - t0) / 1000;
    expect(r.stderr).not.toMatch(/ttm-studio: /);
    expect(r.code).toBe(0);
    result = JSON.parse(r.stdout) as DemoResult;
    stderr = r.stderr;
  });
  afterAll(() => tmp.cleanup());

  it('runs every stage in a fresh data directory under --out, quickly', () => {
    expect(seconds).toBeLessThan(120);
    expect(result.dataDir).toBe(join(tmp.dir, 'out', 'data'));
    expect(result.baseModel).toBe(DEFAULT_BUNDLED_MODEL);
    expect(result.quality).toMatchObject({ patients: 3, errors: 0 });
    expect(result.quality.usableWindows).toBeGreaterThan(0);
    const ids = Object.values(result.runs);
    expect(new Set(ids).size).toBe(4);
    // --json keeps stderr free of progress lines (scripts parse stdout only).
    expect(stderr).not.toMatch(/\[\d\/7\]/);

    const store = Store.open(join(result.dataDir, 'studio.sqlite'));
    try {
      for (const id of ids) expect(store.runs.get(id).status).toBe('completed');
      expect(store.models.resolve(DEFAULT_BUNDLED_MODEL).source).toBe('bundled');
      expect(store.models.resolve(result.fineTune.modelName).source).toBe('trained');
      expect(store.splits.list().find((s) => s.name === result.split)?.kind).toBe('hybrid');
    } finally {
      store.close();
    }
  });

  it('fine-tunes within the step budget and keeps a loadable checkpoint and TensorBoard events', () => {
    expect(result.fineTune.steps).toBeGreaterThan(0);
    expect(result.fineTune.steps).toBeLessThanOrEqual(20);
    expect(Number.isFinite(result.fineTune.initialValidLoss)).toBe(true);
    expect(Number.isFinite(result.fineTune.bestValidLoss)).toBe(true);
    for (const f of ['config.json', 'model.safetensors', 'preprocessor.json']) expect(existsSync(join(result.checkpoint, f))).toBe(true);
    expect(readdirSync(result.tensorboard).some((f) => f.startsWith('events.out.tfevents.'))).toBe(true);
  });

  it('scores zero-shot and fine-tuned TTM beside the three baselines on both groups', () => {
    const groups = new Set(result.rows.map((r) => r.group));
    expect(groups).toEqual(new Set(['in_distribution', 'unseen_patients']));
    for (const g of groups) {
      const models = result.rows.filter((r) => r.group === g).map((r) => r.model);
      expect(models).toEqual(['TTM zero-shot', 'TTM fine-tuned', 'persistence', 'ridge', 'ar2']);
    }
    for (const r of result.rows) {
      expect(r.windows).toBeGreaterThan(0);
      for (const v of [r.rmse30, r.mae30, r.rmse60, r.mae60]) {
        expect(v).not.toBeNull();
        expect(v!).toBeGreaterThan(0);
        expect(v!).toBeLessThan(200);
      }
      expect(r.mae30!).toBeLessThanOrEqual(r.rmse30!);
    }
  });

  it('writes the files it names: reports, evaluation JSON, forecasts CSV', () => {
    const model = readFileSync(result.reports.model, 'utf8');
    expect(model).toMatch(/^<!doctype html>/i);
    expect(model).toContain('persistence');
    const data = readFileSync(result.reports.data, 'utf8');
    expect(data).toMatch(/^<!doctype html>/i);
    const ev = JSON.parse(readFileSync(result.evaluationJson, 'utf8')) as {
      demo: DemoResult;
      zeroShot: { groups: { models: { model: string }[] }[] };
      fineTuned: { groups: { models: { model: string }[] }[] };
    };
    expect(ev.demo.runs).toEqual(result.runs);
    expect(ev.zeroShot.groups[0]!.models.map((m) => m.model)).toContain('persistence');
    // Models by their registered name in the JSON, never "ttm" (two runs' "ttm" could not be told apart).
    expect(ev.zeroShot.groups[0]!.models[0]!.model).toBe(result.baseModel);
    expect(ev.fineTuned.groups[0]!.models[0]!.model).toBe(result.fineTune.modelName);
    // The fine-tune run's model report: titled with the fine-tuned model, compared with its base (zero-shot) on the same windows.
    expect(model).toContain(`<title>Model report: ${result.fineTune.modelName}, run ${result.runs.fineTune}`);
    expect(model).toContain('Fine-tuned against its base model');
    expect(model).toContain(`${result.baseModel} <span class="note">(base model, zero-shot)</span>`);
    expect(model).not.toMatch(/<td>(<strong>)?ttm(-zero-shot)?(<\/strong>)?<\/td>/);
    const caption = model.slice(model.indexOf('Clarke error grid.'), model.indexOf('</figcaption>', model.indexOf('Clarke error grid.')));
    expect(caption).not.toMatch(/run \d/);
    expect(ev.fineTuned.groups).toHaveLength(2);
    const csv = readFileSync(result.forecastsCsv, 'utf8').split('\n');
    expect(csv[0]).toBe('datetime,p_num,origin,horizon_min,forecast,lower,upper,actual');
    expect(csv.length).toBeGreaterThan(96);
  });

  it('refuses to reuse the previous demo data directory without --force', async () => {
    const again = await cli(['demo', '--out', join(tmp.dir, 'out'), ...SMALL]);
    expect(again.code).toBe(4);
    expect(again.stderr).toMatch(/--force/);
  });
});
