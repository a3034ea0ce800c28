import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Store } from '../../../src-main/engine/store/index.js';
import { tempDir } from '../../helpers/tmp.js';
import { runCli, type CliResult } from '../../helpers/cli.js';

let tmp: { dir: string; cleanup: () => void };

const cli = (args: readonly string[], env: NodeJS.ProcessEnv = {}): Promise<CliResult> => runCli(args, { env });

beforeAll(() => {
  tmp = tempDir();
});
afterAll(() => tmp.cleanup());

describe('ttm-studio CLI', () => {
  it('info --json names onnxruntime version and execution providers', async () => {
    const r = await cli(['--data-dir', join(tmp.dir, 'a'), 'info', '--json']);
    expect(r.code).toBe(0);
    const info = JSON.parse(r.stdout) as { onnxruntime: { version: string; providers: { name: string; available: boolean }[] }; dataDir: string };
    expect(info.onnxruntime.version).toMatch(/^\d+\.\d+\.\d+$/);
    expect(info.onnxruntime.providers.find((p) => p.name === 'cpu')?.available).toBe(true);
    expect(info.onnxruntime.providers.map((p) => p.name)).toContain('cuda');
    expect(info.dataDir).toBe(join(tmp.dir, 'a'));
  });

  it('takes the data dir from TTM_STUDIO_DATA_DIR and lists datasets as a table or JSON', async () => {
    const dataDir = join(tmp.dir, 'b');
    const store = Store.open(join(dataDir, 'studio.sqlite'));
    store.datasets.create({ name: 'alpha' });
    store.close();
    const json = await cli(['datasets', 'list', '--json'], { TTM_STUDIO_DATA_DIR: dataDir });
    expect(json.code).toBe(0);
    expect((JSON.parse(json.stdout) as { name: string }[]).map((d) => d.name)).toEqual(['alpha']);
    const human = await cli(['datasets', 'list'], { TTM_STUDIO_DATA_DIR: dataDir });
    expect(human.stdout).toMatch(/^name\s+source\s+patients/m);
    expect(human.stdout).toContain('alpha');
  });

  it('fails with a one-line error and a non-zero code', async () => {
    const r = await cli(['--data-dir', join(tmp.dir, 'c'), 'datasets', 'show', 'missing']);
    expect(r.code).toBe(3);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toMatch(/No dataset named "missing"/);
    const j = await cli(['--data-dir', join(tmp.dir, 'c'), 'datasets', 'show', 'missing', '--json']);
    expect(JSON.parse(j.stdout)).toMatchObject({ error: { code: 'NOT_FOUND' } });
    const usage = await cli(['no-such-command']);
    expect(usage.code).toBe(2);
    const refused = await cli(['--data-dir', join(tmp.dir, 'c'), 'datasets', 'delete', 'x']);
    expect(refused.code).toBe(2);
    expect(refused.stderr).toMatch(/--yes/);
  });

  it('has --help for every command', async () => {
    const top = await cli(['--help']);
    expect(top.code).toBe(0);
    for (const c of ['info', 'datasets', 'serve']) expect(top.stdout).toContain(c);
    const serve = await cli(['serve', '--help']);
    expect(serve.stdout).toMatch(/--allow-remote/);
  });

  it('serve refuses a non-loopback host without --allow-remote', async () => {
    const r = await cli(['--data-dir', join(tmp.dir, 'd'), 'serve', '--host', '0.0.0.0']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/--allow-remote/);
  });
});
