import { existsSync, mkdirSync, readFileSync, utimesSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { dirname, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { removeUploads, sweepStaleUploads, uploadFoldersOf } from '../../../src-main/engine/api/handlers/data-import.js';
import { StudioService } from '../../../src-main/engine/api/service.js';
import { silentLogger } from '../../../src-main/engine/logger.js';
import { startWebHost, type WebHost } from '../../../src-main/server/web-host.js';
import { SHARED_FIXTURES, tempDir } from '../../helpers/tmp.js';

let tmp: { dir: string; cleanup: () => void };
let service: StudioService;
let host: WebHost;
let staleDir: string;
let freshDir: string;

function post(path: string, headers: Record<string, string>, body: Buffer | string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port: host.port, path, method: 'POST', headers }, (res) => {
      let text = '';
      res.on('data', (c: Buffer) => (text += c.toString()));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: text }));
    });
    req.on('error', reject);
    req.end(body);
  });
}
const upload = async (name: string, body: Buffer | string): Promise<string> => {
  const res = await post(`/api/upload?name=${name}`, { Authorization: `Bearer ${host.token}`, 'Content-Type': 'application/octet-stream' }, body);
  return (JSON.parse(res.body) as { result: { path: string } }).result.path;
};
const call = async (method: string, body: unknown): Promise<{ status: number; body: string }> =>
  post(`/api/call/${method}`, { Authorization: `Bearer ${host.token}`, 'Content-Type': 'application/json' }, JSON.stringify(body));

beforeAll(async () => {
  tmp = tempDir();
  const staticDir = join(tmp.dir, 'static');
  mkdirSync(staticDir);
  writeFileSync(join(staticDir, 'index.html'), '<!doctype html><title>t</title>');
  service = new StudioService({ dataDir: join(tmp.dir, 'data'), logger: silentLogger });
  // Left over from an earlier start: one stale upload, one a moment old (another host's wizard).
  staleDir = join(service.layout.uploads, 'stale');
  freshDir = join(service.layout.uploads, 'fresh');
  mkdirSync(staleDir, { recursive: true });
  mkdirSync(freshDir, { recursive: true });
  writeFileSync(join(staleDir, 'old.csv'), 'x');
  writeFileSync(join(freshDir, 'new.csv'), 'x');
  const old = (Date.now() - 3 * 3600_000) / 1000;
  utimesSync(staleDir, old, old);
  host = await startWebHost({ service, staticDir });
});
afterAll(async () => {
  await host.close();
  service.close();
  tmp.cleanup();
});

describe('upload lifecycle', () => {
  it('sweeps stale uploads when the web host starts, keeping recent ones', () => {
    expect(existsSync(staleDir)).toBe(false);
    expect(existsSync(freshDir)).toBe(true);
  });

  it('deletes an upload when its import succeeds', async () => {
    const path = await upload('001.csv', readFileSync(join(SHARED_FIXTURES, 'formats/d1namo-glucose-ml/001.csv')));
    const res = await call('datasets.import', { paths: [path], dataset: 'up', create: true });
    expect(res.status).toBe(200);
    expect(existsSync(dirname(path))).toBe(false);
  });

  it('deletes an upload when its import fails', async () => {
    const path = await upload('junk.csv', 'this is not,any known\nformat at all,\x01\n');
    const res = await call('datasets.import', { paths: [path], dataset: 'junk', create: true });
    expect(res.status).toBeGreaterThanOrEqual(400);
    expect(existsSync(dirname(path))).toBe(false);
  });

  it('datasets.delete removes the dataset and its data reports', async () => {
    const report = JSON.parse((await call('reports.generate', { dataset: 'up' })).body) as { ok: boolean; result: { path: string } };
    expect(report.ok).toBe(true);
    expect(existsSync(report.result.path)).toBe(true);
    const del = await call('datasets.delete', { dataset: 'up' });
    expect(del.status).toBe(200);
    expect(existsSync(report.result.path)).toBe(false);
    expect((await call('datasets.get', { dataset: 'up' })).status).toBe(404);
  });

  it('only touches folders inside the upload area', async () => {
    const uploads = service.layout.uploads;
    expect(
      uploadFoldersOf([join(uploads, 'a', 'x.csv'), join(uploads, 'a', 'y.csv'), '/etc/hosts', join(uploads, '..', 'studio.sqlite'), uploads], uploads),
    ).toEqual([join(uploads, 'a')]);
    const outside = join(tmp.dir, 'keep');
    mkdirSync(outside);
    expect(await removeUploads([join(outside, 'x.csv')], uploads)).toBe(0);
    expect(existsSync(outside)).toBe(true);
    expect(await sweepStaleUploads(join(tmp.dir, 'no-such-dir'))).toBe(0);
  });
});
