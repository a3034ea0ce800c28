import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { main } from '../../../src-main/cli/main.js';
import { tempDir } from '../../helpers/tmp.js';
import { LOCAL, SHARED } from './import-helpers.js';

let tmp: { dir: string; cleanup: () => void };
let stdout: string;
let stderr: string;
beforeEach(() => {
  tmp = tempDir();
  stdout = '';
  stderr = '';
  vi.spyOn(process.stdout, 'write').mockImplementation((c: string | Uint8Array) => {
    stdout += String(c);
    return true;
  });
  vi.spyOn(process.stderr, 'write').mockImplementation((c: string | Uint8Array) => {
    stderr += String(c);
    return true;
  });
});
afterEach(() => {
  vi.restoreAllMocks();
  tmp.cleanup();
});

const run = (...args: string[]): Promise<number> => main(['--data-dir', join(tmp.dir, 'data'), ...args]);

describe('ttm-studio import', () => {
  it('imports files into a new dataset and prints a report (--json)', async () => {
    const code = await run(
      'import',
      join(LOCAL, 'libreview-eu-mmol.csv'),
      join(SHARED, 'dexcom-clarity-synthetic.csv'),
      '--dataset',
      'cli',
      '--create',
      '--tz',
      'Europe/Oslo',
      '--json',
    );
    expect(code).toBe(0);
    const report = JSON.parse(stdout) as { dataset: string; readings: number; files: { file: string; format: string; status: string }[] };
    expect(report.dataset).toBe('cli');
    expect(report.readings).toBe(5 + 3922);
    expect(report.files.map((f) => [f.file, f.format, f.status])).toEqual([
      ['libreview-eu-mmol.csv', 'libreview', 'imported'],
      ['dexcom-clarity-synthetic.csv', 'dexcom-clarity', 'imported'],
    ]);
  });

  it('reports "already imported" in human output, and the errors of bad input with exit codes', async () => {
    expect(await run('import', join(LOCAL, 'ohio-559.xml'), '--dataset', 'h', '--create')).toBe(0);
    expect(stdout).toContain('Created dataset "h": added 4 readings');
    stdout = '';
    expect(await run('import', join(LOCAL, 'ohio-559.xml'), '--dataset', 'h')).toBe(0);
    expect(stdout).toContain('already imported into "h"');
    expect(await run('import', join(LOCAL, 'ohio-559.xml'))).toBe(2);
    expect(stderr).toContain('--dataset NAME');
    expect(await run('import', join(LOCAL, 'libreview-ambiguous.csv'), '--dataset', 'h')).toBe(2);
    expect(stderr).toContain('--date-order');
    expect(await run('import', join(LOCAL, 'libreview-ambiguous.csv'), '--dataset', 'h', '--date-order', 'dmy')).toBe(0);
  });

  it('imports a generic CSV with --mapping, and previews with --dry-run without writing', async () => {
    expect(await run('import', join(LOCAL, 'generic-semicolon.csv'), '--mapping', join(LOCAL, 'generic-mapping.json'), '--dry-run')).toBe(0);
    expect(stdout).toContain('generic-csv');
    expect(stdout).toContain('2024-07-01T06:00:00.000Z');
    stdout = '';
    expect(await run('datasets', 'list', '--json')).toBe(0);
    expect(JSON.parse(stdout)).toEqual([]);
    stdout = '';
    expect(
      await run('import', join(LOCAL, 'generic-semicolon.csv'), '--mapping', join(LOCAL, 'generic-mapping.json'), '--dataset', 'g', '--create', '--json'),
    ).toBe(0);
    expect(JSON.parse(stdout)).toMatchObject({ readings: 4, files: [{ patients: ['P1', 'P2'] }] });
    const bad = join(tmp.dir, 'bad-mapping.json');
    writeFileSync(bad, JSON.stringify({ timestamp: { column: 'Zeit' } }));
    expect(await run('import', join(LOCAL, 'generic-semicolon.csv'), '--mapping', bad, '--dataset', 'g')).toBe(6);
    expect(stderr).toContain('map at least a glucose column or one event column');
  });
});
