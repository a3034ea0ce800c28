import { existsSync, mkdirSync, readFileSync, utimesSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { removeUploads, sweepStaleUploads, uploadFoldersOf } from '../../../src-main/engine/api/handlers/data-import.js';
import { SHARED_FIXTURES } from '../../helpers/tmp.js';
import { callApi, upload as uploadFile, useWebHost, type HttpReply } from './helpers.js';

let staleDir: string;
let freshDir: string;

const web = useWebHost({
  beforeStart: (service) => {
    // Left over from an earlier start: one stale upload, one a moment old (another host's wizard).
    staleDir = join(service.layout.uploads, 'stale');
    freshDir = join(service.layout.uploads, 'fresh');
    mkdirSync(staleDir, { recursive: true });
    mkdirSync(freshDir, { recursive: true });
    writeFileSync(join(staleDir, 'old.csv'), 'x');
    writeFileSync(join(freshDir, 'new.csv'), 'x');
    const old = (Date.now() - 3 * 3600_000) / 1000;
    utimesSync(staleDir, old, old);
  },
});
const upload = async (name: string, body: Buffer | string): Promise<string> => {
  const res = await uploadFile(web.host, name, body);
  expect(res.status).toBe(200);
  return res.path;
};
const call = (method: string, body: unknown): Promise<HttpReply> => callApi(web.host, method, body);

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
    const uploads = web.service.layout.uploads;
    expect(
      uploadFoldersOf([join(uploads, 'a', 'x.csv'), join(uploads, 'a', 'y.csv'), '/etc/hosts', join(uploads, '..', 'studio.sqlite'), uploads], uploads),
    ).toEqual([join(uploads, 'a')]);
    const outside = join(web.dir, 'keep');
    mkdirSync(outside);
    expect(await removeUploads([join(outside, 'x.csv')], uploads)).toBe(0);
    expect(existsSync(outside)).toBe(true);
    expect(await sweepStaleUploads(join(web.dir, 'no-such-dir'))).toBe(0);
  });
});
