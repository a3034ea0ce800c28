import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { QualityReportSchema, SplitDetailSchema } from '../../../src-main/engine/api/contract.js';
import { tempDir } from '../../helpers/tmp.js';
import { cli as studioCli, type CliResult } from '../../helpers/cli.js';

let tmp: { dir: string; cleanup: () => void };

const cli = (args: readonly string[]): Promise<CliResult> => studioCli(join(tmp.dir, 'data'), args);

beforeAll(() => {
  tmp = tempDir();
});
afterAll(() => tmp.cleanup());

describe('ttm-studio simulate / check / splits', () => {
  it('simulate writes the same CSV for the same seed', async () => {
    const a = join(tmp.dir, 'a.csv');
    const b = join(tmp.dir, 'b.csv');
    expect((await cli(['simulate', '--patients', '2', '--days', '2', '--seed', '9', '--out', a])).code).toBe(0);
    expect((await cli(['simulate', '--patients', '2', '--days', '2', '--seed', '9', '--out', b])).code).toBe(0);
    const text = readFileSync(a, 'utf8');
    expect(text).toBe(readFileSync(b, 'utf8'));
    const lines = text.trim().split('\n');
    expect(lines[0]).toBe('datetime,p_num,bg_mM,dose_units,bolus,rate,food_g,iob,cob,insulin_availability,carb_availability');
    expect(new Set(lines.slice(1).map((l) => l.split(',')[1]))).toEqual(new Set(['sim-001', 'sim-002']));
  });

  it('simulate into a dataset, check --json, fix, and split', async () => {
    const made = await cli(['--json', 'simulate', '--patients', '3', '--days', '5', '--seed', '2', '--dataset', 'cli-sim']);
    expect(made.code).toBe(0);
    expect(JSON.parse(made.stdout)).toMatchObject({ name: 'cli-sim', patientCount: 3 });
    const checked = await cli(['--json', 'check', 'cli-sim', '--context', '96', '--forecast', '12']);
    expect(checked.code).toBe(0);
    const report = QualityReportSchema.parse(JSON.parse(checked.stdout));
    expect(report.summary.patients).toBe(3);
    const human = await cli(['check', 'cli-sim', '--context', '5000']);
    expect(human.stdout).toMatch(/no usable window/);
    // nothing fixable in simulated data: --fix applies nothing and says so
    const fixed = await cli(['check', 'cli-sim', '--context', '96', '--fix']);
    expect(fixed.code).toBe(0);
    expect(fixed.stdout).toMatch(/No finding had an automatic fix/);
    const bad = await cli(['check', 'cli-sim', '--fix', '0']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/no automatic fix|has no finding/);

    const created = await cli([
      '--json',
      'splits',
      'create',
      '--dataset',
      'cli-sim',
      '--kind',
      'hybrid',
      '--holdout-patients',
      'sim-002',
      '--gap-min',
      '30',
      '--name',
      'h1',
    ]);
    expect(created.code).toBe(0);
    const split = SplitDetailSchema.parse(JSON.parse(created.stdout));
    expect(split.content.holdoutPatients).toEqual(['sim-002']);
    const shown = await cli(['splits', 'show', 'cli-sim', 'h1']);
    expect(shown.stdout).toMatch(/sim-002\s+holdout/);
    const listed = await cli(['splits', 'list', '--dataset', 'cli-sim']);
    expect(listed.stdout).toMatch(/h1\s+1\s+hybrid/);
    const wrong = await cli(['splits', 'create', '--dataset', 'cli-sim', '--kind', 'random', '--name', 'x']);
    expect(wrong.code).not.toBe(0);
  });
});
