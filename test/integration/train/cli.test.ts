/**
 * The CLI front door: `train` (progress on stderr, result on stdout), `--device cuda` falling
 * back to CPU with a message where CUDA is absent, `runs list|show`, `predict --out`,
 * `evaluate --json`.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Store } from '../../../src-main/engine/store/index.js';
import { tempDir } from '../../helpers/tmp.js';
import { cli as studioCli, type CliResult } from '../../helpers/cli.js';
import { cohortStore, TINY_MODEL_DIR } from './helpers.js';

const tmp = tempDir();

const cli = (args: readonly string[]): Promise<CliResult> => studioCli(tmp.dir, args);
/** `train` on the cohort's hybrid split from the tiny model; each test adds its own flags. */
const TRAIN_TINY = ['train', '--dataset', 'cohort', '--split', 'hyb', '--model', 'tiny'] as const;

beforeAll(async () => {
  const store = await cohortStore(tmp.dir);
  store.models.upsert({ name: 'tiny', source: 'local', path: TINY_MODEL_DIR });
  store.close();
});
afterAll(() => tmp.cleanup());

describe('ttm-studio train / predict / evaluate / runs', () => {
  it('trains with flags, shows the run and its model', async () => {
    const r = await cli([
      ...TRAIN_TINY,
      '--epochs',
      '1',
      '--batch-size',
      '16',
      '--train-stride',
      '6',
      '--max-steps',
      '6',
      '--threads',
      '1',
      '--freeze',
      '--name',
      'cli-model',
    ]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/Run 1: completed/);
    expect(r.stdout).toMatch(/model "cli-model" registered/);
    expect(r.stderr).toMatch(/run 1/);
    const list = await cli(['runs', 'list', '--json']);
    expect((JSON.parse(list.stdout) as { id: number; status: string }[])[0]).toMatchObject({ id: 1, status: 'completed' });
    const show = await cli(['runs', 'show', '1']);
    expect(show.stdout).toMatch(/train\/loss/);
    expect(show.stdout).toMatch(/best checkpoint: step/);
  });

  it('--device cuda runs (on CUDA, or on the CPU with a message saying so)', async () => {
    const r = await cli([...TRAIN_TINY, '--epochs', '1', '--max-steps', '2', '--train-stride', '6', '--device', 'cuda']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/training on (cuda|cpu)/);
    if (/training on cpu/.test(r.stderr)) expect(r.stderr).toMatch(/CUDA/i);
  });

  it('predicts to a CSV and evaluates as JSON', async () => {
    const out = join(tmp.dir, 'forecasts.csv');
    const p = await cli(['predict', '--model', 'cli-model', '--dataset', 'cohort', '--split', 'hyb', '--every', '24', '--out', out]);
    expect(p.code, p.stderr).toBe(0);
    expect(p.stdout).toMatch(/95 % interval: empirical coverage/);
    expect(readFileSync(out, 'utf8').split('\n')[0]).toBe('datetime,p_num,origin,horizon_min,forecast,lower,upper,actual');
    const e = await cli(['evaluate', '--model', 'cli-model', '--dataset', 'cohort', '--split', 'hyb', '--stride', '6', '--json']);
    expect(e.code, e.stderr).toBe(0);
    const res = JSON.parse(e.stdout) as { status: string; result: { report: { groups: { models: { model: string; at: { minutes: number }[] }[] }[] } } };
    expect(res.status).toBe('completed');
    expect(res.result.report.groups[0]!.models.map((m) => m.model)).toEqual(['cli-model', 'persistence', 'ridge', 'ar2']);
    expect(res.result.report.groups[0]!.models[0]!.at.map((a) => a.minutes)).toEqual([30, 60]);
  });

  it('reads --config (snake_case, trainingOptions); `runs cancel` from another process stops the run; `train --resume` finishes it', async () => {
    const cfg = join(tmp.dir, 'cfg.json');
    writeFileSync(
      cfg,
      JSON.stringify({
        training_mode: 'fine_tune',
        num_epochs: 50,
        batch_size: 16,
        learning_rate: 0.001,
        threads: 1,
        trainingOptions: { trainStride: 6, checkpointEverySteps: 2 },
      }),
    );
    const training = cli([...TRAIN_TINY, '--config', cfg, '--name', 'cfg-model']);
    // Wait until the worker has trained a few steps, then cancel from a second process.
    const store = Store.open(join(tmp.dir, 'studio.sqlite'));
    let runId = 0;
    try {
      for (let i = 0; i < 300 && runId === 0; i++) {
        await new Promise((r) => setTimeout(r, 100));
        const row = store.db
          .prepare("SELECT run_id FROM checkpoints WHERE is_best = 0 AND run_id IN (SELECT id FROM runs WHERE status = 'running') LIMIT 1")
          .get() as { run_id: number } | undefined;
        runId = row?.run_id ?? 0;
      }
      expect(runId).toBeGreaterThan(0);
      const c = await cli(['runs', 'cancel', String(runId)]);
      expect(c.stdout).toMatch(/will stop after its current step/);
      const r = await training;
      expect(r.code).toBe(130);
      expect(r.stderr).toMatch(new RegExp(`--resume ${runId}`));
      const run = store.runs.get(runId);
      expect(run.status).toBe('cancelled');
      expect((run.config as { config: { numEpochs: number } }).config.numEpochs).toBe(50);
      const resumed = await cli(['train', '--resume', String(runId)]);
      expect(resumed.code, resumed.stderr).toBe(0);
      expect(resumed.stdout).toMatch(new RegExp(`Run ${runId}: completed`));
      expect(store.runs.get(runId).status).toBe('completed');
    } finally {
      store.close();
    }
  });
});
