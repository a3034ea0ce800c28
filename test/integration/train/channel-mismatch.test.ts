/**
 * End to end: `evaluate` and `predict` with a mix-channel checkpoint made for
 * 31 channels on 1-channel glucose data refuse (exit 2) with a message naming both channel
 * counts, instead of silently re-initialising its decoder.
 */
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { randomTtmConfig } from '../../../src-main/engine/ttm/adapt.js';
import { saveCheckpoint } from '../../../src-main/engine/ttm/checkpoint.js';
import { initializeTtmWeights } from '../../../src-main/engine/ttm/init.js';
import { tempDir } from '../../helpers/tmp.js';
import { cli as studioCli, type CliResult } from '../../helpers/cli.js';
import { cohortStore } from './helpers.js';

const tmp = tempDir();

const cli = (args: readonly string[]): Promise<CliResult> => studioCli(tmp.dir, args);

beforeAll(async () => {
  const config = randomTtmConfig(64, 16, 'small', { num_input_channels: 31, decoder_mode: 'mix_channel' });
  const dir = join(tmp.dir, 'mix31');
  await saveCheckpoint(dir, { config, weights: initializeTtmWeights(config, 1), preprocessor: null });
  const store = await cohortStore(tmp.dir);
  store.models.upsert({ name: 'mix31', source: 'local', path: dir });
  store.close();
}, 60_000);
afterAll(() => tmp.cleanup());

describe('a base model whose channels differ from the data', () => {
  it('evaluate and predict refuse, naming both channel counts', async () => {
    for (const args of [
      ['evaluate', '--model', 'mix31', '--dataset', 'cohort', '--split', 'hyb'],
      ['predict', '--model', 'mix31', '--dataset', 'cohort', '--split', 'hyb', '--out', join(tmp.dir, 'f.csv')],
    ]) {
      const r = await cli(args);
      expect(r.code, r.stderr).toBe(2);
      expect(r.stderr).toMatch(/31 input channels with a mix_channel decoder; this data gives it 1 channel \(bg_mM\)/);
    }
  }, 120_000);
});
