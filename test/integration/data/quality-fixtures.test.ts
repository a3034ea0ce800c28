/**
 * Hand-written Glucose-ML files in test/fixtures/quality/, one situation each,
 * imported through the CLI with their time zones; `check` names each situation (conflicting
 * duplicates, duplicate uploads, overlapping sensors, a DST hour only at DST, no time_backwards
 * from the importer's own spring-forward shift), and applying the fixes clears them.
 */
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { QualityReport } from '../../../src-main/engine/api/contract.js';
import { REPO_ROOT, tempDir } from '../../helpers/tmp.js';
import { cli as studioCli, type CliResult } from '../../helpers/cli.js';

const tmp = tempDir();
const DIR = join(REPO_ROOT, 'test', 'fixtures', 'quality');

const cli = (args: readonly string[]): Promise<CliResult> => studioCli(tmp.dir, args);

async function check(extra: string[] = []): Promise<QualityReport> {
  const r = await cli(['check', 'q', '--context', '24', '--forecast', '6', '--json', ...extra]);
  expect(r.code, r.stderr).toBe(0);
  const out = JSON.parse(r.stdout) as QualityReport | { report: QualityReport };
  return 'report' in out ? out.report : out;
}

function byPatient(report: QualityReport): Record<string, string[]> {
  const out: Record<string, string[]> = {};
  for (const f of report.findings) {
    if (f.externalId === null || f.severity === 'info') continue;
    (out[f.externalId] ??= []).push(f.check);
  }
  return out;
}

beforeAll(async () => {
  const imports: [string[], string][] = [
    [['conflicting-duplicates.csv', 'overlapping-sensors.csv'], 'UTC'],
    [['duplicate-uploads-kolkata.csv'], 'Asia/Kolkata'],
    [['dst-fall-back-oslo.csv', 'dst-spring-forward-oslo.csv'], 'Europe/Oslo'],
  ];
  for (const [i, [files, tz]] of imports.entries()) {
    const r = await cli([
      'import',
      ...files.map((f) => join(DIR, f)),
      '--dataset',
      'q',
      ...(i === 0 ? ['--create'] : []),
      '--tz',
      tz,
      '--format',
      'glucose-ml',
    ]);
    expect(r.code, r.stderr).toBe(0);
  }
}, 60_000);
afterAll(() => tmp.cleanup());

describe('check on the hand-written quality fixtures', () => {
  it('names each situation', async () => {
    const report = await check();
    expect(byPatient(report)).toEqual({
      'conflicting-duplicates': ['conflicting_duplicates'],
      'overlapping-sensors': ['overlapping_sensors'],
      'duplicate-uploads-kolkata': ['duplicate_uploads'],
      'dst-fall-back-oslo': ['dst_repeat', 'time_backwards'],
      'dst-spring-forward-oslo': ['dst_repeat'],
    });
    const f = (id: string, c: string) => report.findings.find((x) => x.externalId === id && x.check === c)!;
    expect(f('conflicting-duplicates', 'conflicting_duplicates').message).toMatch(
      /12 timestamp\(s\).*median 55 mg\/dL, largest 55 mg\/dL; 8 differ by 40 mg\/dL or more/,
    );
    expect(f('conflicting-duplicates', 'conflicting_duplicates').alternatives?.map((a) => (a.kind === 'resolve_conflicts' ? a.strategy : a.kind))).toEqual([
      'mean',
      'drop',
    ]);
    expect(f('overlapping-sensors', 'overlapping_sensors')).toMatchObject({ from: Date.parse('2024-03-04T11:00:00Z'), to: Date.parse('2024-03-04T13:55:08Z') });
    expect(f('dst-fall-back-oslo', 'dst_repeat').message).toMatch(/change back/);
    expect(f('dst-fall-back-oslo', 'time_backwards').message).toMatch(/daylight-saving/);
    expect(f('dst-spring-forward-oslo', 'dst_repeat').message).toMatch(/change forward/);
  }, 60_000);

  it('the fixes clear every finding they are for', async () => {
    const before = await check();
    const fixable = before.findings.flatMap((x, i) => (x.fix !== null ? [i] : []));
    expect(fixable.length).toBeGreaterThanOrEqual(5);
    await check(['--fix', fixable.join(',')]);
    const after = await check();
    expect(after.findings.filter((x) => x.fix !== null)).toEqual([]);
    expect(byPatient(after)['overlapping-sensors'] ?? []).toEqual([]);
  }, 60_000);
});
