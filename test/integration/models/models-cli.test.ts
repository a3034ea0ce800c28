import { stat } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tempDir } from '../../helpers/tmp.js';
import { cli as studioCli, type CliResult } from '../../helpers/cli.js';
import { fixturePath } from '../../unit/ttm/fixtures.js';
import { R2_REPO, startHubServer, type HubServer } from './hub-server.js';

let tmp: { dir: string; cleanup: () => void };
let hub: HubServer;

const cli = (args: readonly string[], env: NodeJS.ProcessEnv = {}): Promise<CliResult> =>
  studioCli(join(tmp.dir, 'data'), args, { env: { HF_ENDPOINT: '', HF_TOKEN: '', ...env } });

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
