/**
 * Every start of the engine (the CLI included) registers the bundled
 * models, so a fresh --data-dir lists the default model, marks it, and `train --mode
 * fine_tune` without --model starts from it.
 */
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { DEFAULT_BUNDLED_MODEL } from '../../../src-main/engine/first-start.js';
import { Store } from '../../../src-main/engine/store/index.js';
import { cli } from '../../helpers/cli.js';
import { tempDir } from '../../helpers/tmp.js';
import { cohortStore } from '../train/helpers.js';

const tmp = tempDir();
afterAll(() => tmp.cleanup());

describe('the bundled default model in every data directory', () => {
  it('a fresh --data-dir lists the bundled model, marked as the default', async () => {
    const dataDir = join(tmp.dir, 'fresh');
    const json = await cli(dataDir, ['models', 'list', '--json']);
    expect(json.code, json.stderr).toBe(0);
    const list = JSON.parse(json.stdout) as { name: string; source: string; default: boolean }[];
    expect(list.find((m) => m.name === DEFAULT_BUNDLED_MODEL)).toMatchObject({ source: 'bundled', default: true });
    expect(list.filter((m) => m.default)).toHaveLength(1);
    const human = await cli(dataDir, ['models', 'list']);
    expect(human.stdout).not.toMatch(/No models yet/);
    expect(human.stdout).toContain(`${DEFAULT_BUNDLED_MODEL} (default)`);
  });

  it('train --mode fine_tune without --model starts from the default model', async () => {
    const dataDir = join(tmp.dir, 'train');
    (await cohortStore(dataDir, 3, 6)).close();
    const r = await cli(dataDir, [
      'train',
      '--dataset',
      'cohort',
      '--split',
      'hyb',
      '--mode',
      'fine_tune',
      '--epochs',
      '1',
      '--max-steps',
      '1',
      '--batch-size',
      '4',
      '--train-stride',
      '96',
      '--freeze',
      '--threads',
      '1',
      '--json',
    ]);
    expect(r.code, r.stderr).toBe(0);
    const store = Store.open(join(dataDir, 'studio.sqlite'));
    try {
      const runRow = store.runs.get(1);
      expect(runRow.modelId).not.toBeNull();
      expect(store.models.resolve(runRow.modelId!).name).toBe(DEFAULT_BUNDLED_MODEL);
    } finally {
      store.close();
    }
  }, 180_000);
});
