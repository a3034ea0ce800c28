import { mkdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { reportFile } from '../../../src-main/server/web-host.js';
import { authHeaders, send, useWebHost, type HttpReply } from './helpers.js';

const web = useWebHost();
const get = (path: string, headers: Record<string, string> = {}, method = 'GET'): Promise<HttpReply> => send(web.host, path, { method, headers });
const auth = (): Record<string, string> => authHeaders(web.host);

beforeAll(() => {
  const reports = web.service.layout.reports;
  mkdirSync(reports, { recursive: true });
  writeFileSync(join(reports, 'demo-data-report.html'), '<!doctype html><title>Report</title><p>hello</p>');
  writeFileSync(join(web.dir, 'secret.html'), 'TOP-SECRET-CONTENT');
  symlinkSync(join(web.dir, 'secret.html'), join(reports, 'link.html'));
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
    expect(reportFile(web.service.layout.reports, '..%2F..%2Fetc%2Fpasswd')).toBeNull();
    expect(reportFile(web.service.layout.reports, 'demo-data-report.html')).toMatch(/demo-data-report\.html$/);
  });
});
