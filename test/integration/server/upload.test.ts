import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { request } from 'node:http';
import { dirname, join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { sanitiseUploadName } from '../../../src-main/server/web-host.js';
import { SHARED_FIXTURES } from '../../helpers/tmp.js';
import { authHeaders, send, useWebHost, type HttpReply } from './helpers.js';

const web = useWebHost({ maxUploadBytes: 64 * 1024 });
const post = (path: string, headers: Record<string, string>, body: Buffer | string): Promise<HttpReply> =>
  send(web.host, path, { method: 'POST', headers, body });

const octet = (): Record<string, string> => authHeaders(web.host, 'application/octet-stream');

describe('POST /api/upload', () => {
  it('stores the body under <dataDir>/uploads/<random>/<name>; the path then imports like any file', async () => {
    const sample = readFileSync(join(SHARED_FIXTURES, 'formats/d1namo-glucose-ml/001.csv'));
    const res = await post('/api/upload?name=001.csv', octet(), sample);
    expect(res.status).toBe(200);
    const { result } = JSON.parse(res.body) as { result: { path: string; name: string; bytes: number } };
    expect(result.name).toBe('001.csv');
    expect(result.bytes).toBe(sample.length);
    expect(dirname(dirname(result.path))).toBe(join(web.dir, 'data', 'uploads'));
    expect(readFileSync(result.path).equals(sample)).toBe(true);
    const detected = await web.service.invoke('datasets.detect', { paths: [result.path] });
    expect(detected[0]!.format).toBe('glucose-ml');
    const again = JSON.parse((await post('/api/upload?name=001.csv', octet(), sample)).body) as { result: { path: string } };
    expect(again.result.path).not.toBe(result.path); // each upload gets its own folder
  });

  it('sanitises the name: no path parts, no leading dots, no odd characters', async () => {
    expect(sanitiseUploadName('../../etc/passwd')).toBe('passwd');
    expect(sanitiseUploadName('..\\..\\x.csv')).toBe('x.csv');
    expect(sanitiseUploadName('.hidden')).toBe('hidden');
    expect(sanitiseUploadName('a<b>|c?.csv')).toBe('a_b__c_.csv');
    expect(sanitiseUploadName('')).toBe('upload');
    const res = await post(`/api/upload?name=${encodeURIComponent('../../evil.csv')}`, octet(), 'x');
    const { result } = JSON.parse(res.body) as { result: { path: string } };
    expect(dirname(dirname(result.path))).toBe(join(web.dir, 'data', 'uploads'));
    expect(result.path.endsWith('evil.csv')).toBe(true);
  });

  it('refuses bodies over the limit (declared or streamed) and leaves no partial file', async () => {
    const big = Buffer.alloc(100 * 1024, 65);
    const declared = await post('/api/upload?name=big.csv', octet(), big);
    expect(declared.status).toBe(413);
    expect(JSON.parse(declared.body).error.message).toMatch(/upload limit/);
    const chunked = await post('/api/upload?name=big.csv', { ...octet(), 'Transfer-Encoding': 'chunked' }, big);
    expect(chunked.status).toBe(413);
    const uploads = join(web.dir, 'data', 'uploads');
    const leftovers = existsSync(uploads) ? readdirSync(uploads, { recursive: true }).filter((f) => String(f).endsWith('big.csv')) : [];
    expect(leftovers).toEqual([]);
  });

  it('removes the partial file when the client goes away mid-upload', async () => {
    const req = request({
      host: '127.0.0.1',
      port: web.host.port,
      path: '/api/upload?name=interrupted.csv',
      method: 'POST',
      headers: { ...octet(), 'Content-Length': '50000' },
    });
    req.on('error', () => undefined);
    req.write(Buffer.alloc(1000, 66));
    const uploads = join(web.dir, 'data', 'uploads');
    const partial = (): unknown[] => readdirSync(uploads, { recursive: true }).filter((f) => String(f).endsWith('interrupted.csv'));
    await expect.poll(partial, { timeout: 5000 }).toHaveLength(1); // being written
    req.destroy();
    await expect.poll(() => readdirSync(uploads, { recursive: true }).filter((f) => String(f).endsWith('interrupted.csv')), { timeout: 5000 }).toEqual([]);
  });

  it('keeps the token, Origin and content-type checks', async () => {
    expect((await post('/api/upload?name=a.csv', { 'Content-Type': 'application/octet-stream' }, 'x')).status).toBe(401);
    expect((await post('/api/upload?name=a.csv', { ...octet(), Origin: 'http://evil.example' }, 'x')).status).toBe(403);
    expect((await post('/api/upload?name=a.csv', { ...octet(), 'Content-Type': 'text/plain' }, 'x')).status).toBe(400);
  });
});
