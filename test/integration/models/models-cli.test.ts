import { execFile } from 'node:child_process';
import { stat } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { REPO_ROOT, tempDir } from '../../helpers/tmp.js';
import { fixturePath } from '../../unit/ttm/fixtures.js';
import { R2_REPO, startHubServer, type HubServer } from './hub-server.js';

const run = promisify(execFile);
let tmp: { dir: string; cleanup: () => void };
let hub: HubServer;

async function cli(args: string[], env: NodeJS.ProcessEnv = {}): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const r = await run(process.execPath, [join(REPO_ROOT, 'bin/ttm-studio.js'), '--data-dir', join(tmp.dir, 'data'), ...args], {
      cwd: REPO_ROOT,
      env: { ...process.env, HF_ENDPOINT: '', HF_TOKEN: '', ...env },
    });
    return { code: 0, stdout: r.stdout, stderr: r.stderr };
  } catch (e) {
    const err = e as { code: number; stdout: string; stderr: string };
    return { code: err.code, stdout: err.stdout, stderr: err.stderr };
  }
}

beforeAll(async () => {
  tmp = tempDir('ttm-models-cli-');
  hub = await startHubServer({ main: 'r2_512_96' });
});
afterAll(async () => {
  await hub.close();
  tmp.cleanup();
});

describe('ttm-studio models', () => {
  it('imports, lists, shows, exports and deletes', async () => {
    const imp = await cli(['models', 'import', fixturePath('tiny', ''), '--name', 'tiny']);
    expect(imp.code, imp.stderr).toBe(0);
    expect(imp.stdout).toMatch(/Imported model "tiny"/);
    const list = JSON.parse((await cli(['--json', 'models', 'list'])).stdout) as { name: string; contextLength: number; channels: number }[];
    // The bundled models are registered too (every start does it).
    expect(list.find((m) => m.name === 'tiny')).toMatchObject({ name: 'tiny', contextLength: 64, channels: 2, default: false });
    const show = await cli(['models', 'show', 'tiny']);
    expect(show.stdout).toMatch(/context 64 → forecast 16, 2 channel/);
    const file = join(tmp.dir, 'tiny.onnx');
    const exp = await cli(['models', 'export-onnx', 'tiny', file]);
    expect(exp.code, exp.stderr).toBe(0);
    expect((await stat(file)).size).toBeGreaterThan(1000);
    expect((await cli(['models', 'export-onnx', 'tiny', file])).code).not.toBe(0);
    expect((await cli(['models', 'export-onnx', 'tiny', file, '--force'])).code).toBe(0);
    const del = await cli(['models', 'delete', 'tiny', '--yes']);
    expect(del.stdout).toMatch(/Deleted model "tiny"/);
  });

  it('pulls from HF_ENDPOINT with --context/--forecast and explains a 404', async () => {
    const ok = await cli(['models', 'pull', '--context', '512', '--forecast', '96'], { HF_ENDPOINT: hub.endpoint });
    expect(ok.code, ok.stderr).toBe(0);
    expect(ok.stdout).toMatch(/Downloaded: ibm-granite\/granite-timeseries-ttm-r2@main \(512-96-r2\) as "ttm-r2-512-96"/);
    const missing = await cli(['models', 'pull', R2_REPO, '--revision', '1024-96-r2', '--endpoint', hub.endpoint]);
    expect(missing.code).not.toBe(0);
    expect(missing.stderr).toMatch(/1024-96-r2/);
  });
});
