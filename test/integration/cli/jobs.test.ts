/**
 * `ttm-studio jobs export / import` from the command line: the train flags configure the job
 * exactly as they configure a local run, the output names the next commands, and an import of
 * a job that has not run fails in one line with the not-found exit code.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { JobFileSchema } from '../../../src-main/engine/cluster/job-files.js';
import { cli } from '../../helpers/cli.js';
import { tempDir } from '../../helpers/tmp.js';
import { cohortStore, TINY_MODEL_DIR } from '../train/helpers.js';

const tmp = tempDir();
afterAll(() => tmp.cleanup());

describe('ttm-studio jobs', () => {
  it('export takes the train flags and prints the commands; import of an unfinished job exits 3 in one line', async () => {
    const dataDir = join(tmp.dir, 'data');
    const store = await cohortStore(dataDir);
    store.models.upsert({ name: 'tiny', source: 'local', path: TINY_MODEL_DIR });
    store.close();
    const out = join(tmp.dir, 'job');
    const args = ['jobs', 'export', '--dataset', 'cohort', '--split', 'hyb', '--model', 'tiny', '--epochs', '3', '--batch-size', '32', '--lr', '0.002'];
    const human = await cli(dataDir, [...args, '--no-freeze', '--schedule', 'warmup-cosine', '--max-steps', '50', '--name', 'study-ft', '--out', out]);
    expect(human.code, human.stderr).toBe(0);
    expect(human.stdout).toContain(`Cluster job written to ${out}`);
    expect(human.stdout).toContain(`ttm-studio jobs import ${JSON.stringify(out)}`);
    const job = JobFileSchema.parse(JSON.parse(readFileSync(join(out, 'job.json'), 'utf8')));
    expect(job.name).toBe('study-ft');
    expect(job.training).toMatchObject({ numEpochs: 3, batchSize: 32, learningRate: 0.002, freezeBackbone: false, schedule: 'warmup-cosine', maxSteps: 50 });
    expect(job.source.model?.name).toBe('tiny');

    // The folder holds a job now: a second export needs --force; --json gives the summary.
    const again = await cli(dataDir, [...args, '--out', out]);
    expect(again.code).toBe(4);
    expect(again.stderr.trim().split('\n')).toHaveLength(1);
    const json = await cli(dataDir, [...args, '--out', out, '--force', '--json']);
    expect(json.code, json.stderr).toBe(0);
    expect(JSON.parse(json.stdout)).toMatchObject({ dir: out, name: 'cluster-cohort-hyb' });

    const imp = await cli(dataDir, ['jobs', 'import', out]);
    expect(imp.code).toBe(3);
    expect(imp.stderr).toMatch(/result\.json is missing: the job has not finished/);
    expect(imp.stderr.trim().split('\n')).toHaveLength(1);
  }, 120_000);
});
