import { mkdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { StudioService } from '../../../src-main/engine/api/service.js';
import { silentLogger } from '../../../src-main/engine/logger.js';
import { reportFile, startWebHost, type WebHost } from '../../../src-main/server/web-host.js';
import { tempDir } from '../../helpers/tmp.js';

let tmp: { dir: string; cleanup: () => void };
let service: StudioService;
let host: WebHost;

function get(
  path: string,
  headers: Record<string, string> = {},
  method = 'GET',
): Promise<{ status: number; headers: Record<string, string | string[] | undefined>; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port: host.port, path, method, headers }, (res) => {
      let text = '';
      res.on('data', (c: Buffer) => (text += c.toString()));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: text }));
    });
    req.on('error', reject);
    req.end();
  });
}

const auth = (): Record<string, string> => ({ Authorization: `Bearer ${host.token}` });

beforeAll(async () => {
  tmp = tempDir();
  const staticDir = join(tmp.dir, 'static');
  mkdirSync(staticDir);
  writeFileSync(join(staticDir, 'index.html'), '<!doctype html><title>t</title>');
  service = new StudioService({ dataDir: join(tmp.dir, 'data'), logger: silentLogger });
  host = await startWebHost({ service, staticDir });
  mkdirSync(service.layout.reports, { recursive: true });
  writeFileSync(join(service.layout.reports, 'demo-data-report.html'), '<!doctype html><title>Report</title><p>hello</p>');
  writeFileSync(join(tmp.dir, 'secret.html'), 'TOP-SECRET-CONTENT');
  symlinkSync(join(tmp.dir, 'secret.html'), join(service.layout.reports, 'link.html'));
});
afterAll(async () => {
  await host.close();
  service.close();
  tmp.cleanup();
});

describe('GET /api/reports/<file>', () => {
  it('serves a report under <dataDir>/reports as a download, or inline in a script-less sandbox', async () => {
    const res = await get('/api/reports/demo-data-report.html', auth());
    expect(res.status).toBe(200);
    expect(res.body).toContain('<p>hello</p>');
    expect(res.headers['content-disposition']).toBe('attachment; filename="demo-data-report.html"');
    expect(res.headers['content-type']).toMatch(/^text\/html/);
    expect(String(res.headers['content-security-policy'])).toMatch(/^sandbox;/);
    expect(String(res.headers['content-security-policy'])).not.toContain('script-src');
    const inline = await get('/api/reports/demo-data-report.html?inline=1', auth());
    expect(inline.headers['content-disposition']).toMatch(/^inline;/);
  });

  it('needs the token', async () => {
    expect((await get('/api/reports/demo-data-report.html')).status).toBe(401);
  });

  it('refuses traversal, odd names, other types, links out of the folder and missing files', async () => {
    for (const p of [
      '/api/reports/..%2Fsecret.html',
      '/api/reports/%2E%2E%2Fsecret.html',
      '/api/reports/..%5Csecret.html',
      '/api/reports/link.html',
      '/api/reports/nothing.html',
      '/api/reports/demo-data-report.txt',
      '/api/reports/.hidden.html',
    ]) {
      const res = await get(p, auth());
      expect(res.status, p).toBe(404);
      expect(res.body).not.toContain('TOP-SECRET-CONTENT');
    }
    expect((await get('/api/reports/demo-data-report.html', auth(), 'POST')).status).toBe(405);
    expect(reportFile(service.layout.reports, '..%2F..%2Fetc%2Fpasswd')).toBeNull();
    expect(reportFile(service.layout.reports, 'demo-data-report.html')).toMatch(/demo-data-report\.html$/);
  });
});
