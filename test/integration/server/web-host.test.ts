import { describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { startWebHost } from '../../../src-main/server/web-host.js';
import { authHeaders, send, useWebHost, type HttpReply } from './helpers.js';

const web = useWebHost();
const raw = (path: string, init: { method?: string; headers?: Record<string, string>; body?: string } = {}): Promise<HttpReply> => send(web.host, path, init);

const auth = (): Record<string, string> => authHeaders(web.host, 'application/json');

describe('web host', () => {
  it('binds to loopback and answers an authorised call', async () => {
    expect(web.host.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/$/);
    const res = await raw('/api/call/datasets.list', { method: 'POST', headers: auth(), body: '{}' });
    expect(res.status).toBe(200);
    expect(JSON.parse(res.body)).toEqual({ ok: true, result: [] });
  });

  it('answers 401 without the token or with a wrong one, for the API and the page', async () => {
    expect((await raw('/api/call/datasets.list', { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: '{}' })).status).toBe(401);
    expect((await raw('/api/call/datasets.list', { method: 'POST', headers: { ...auth(), Authorization: 'Bearer nope' }, body: '{}' })).status).toBe(401);
    expect((await raw('/')).status).toBe(401);
  });

  it('refuses a foreign Origin and an unexpected Host even with the token', async () => {
    const foreign = await raw('/api/call/datasets.list', { method: 'POST', headers: { ...auth(), Origin: 'http://evil.example' }, body: '{}' });
    expect(foreign.status).toBe(403);
    const sameOrigin = await raw('/api/call/datasets.list', {
      method: 'POST',
      headers: { ...auth(), Origin: `http://127.0.0.1:${web.host.port}` },
      body: '{}',
    });
    expect(sameOrigin.status).toBe(200);
    const rebinding = await raw('/api/call/datasets.list', { method: 'POST', headers: { ...auth(), Host: `attacker.example:${web.host.port}` }, body: '{}' });
    expect(rebinding.status).toBe(403);
  });

  it('limits request bodies and validates payloads and method names', async () => {
    const big = await raw('/api/call/datasets.list', { method: 'POST', headers: auth(), body: JSON.stringify({ pad: 'x'.repeat(2 * 1024 * 1024) }) });
    expect(big.status).toBe(413);
    expect(JSON.parse(big.body).error.message).toMatch(/limit/);
    const bad = await raw('/api/call/datasets.get', { method: 'POST', headers: auth(), body: JSON.stringify({ dataset: { $gt: 1 } }) });
    expect(bad.status).toBe(400);
    expect(JSON.parse(bad.body).error.code).toBe('INVALID_INPUT');
    const unknown = await raw('/api/call/process.exit', { method: 'POST', headers: auth(), body: '{}' });
    expect(unknown.status).toBe(404);
    const notJson = await raw('/api/call/datasets.list', { method: 'POST', headers: auth(), body: '{' });
    expect(notJson.status).toBe(400);
  });

  it('trades the login token for an HttpOnly cookie and serves the page with a strict CSP', async () => {
    const login = await raw(`/?token=${encodeURIComponent(web.host.token)}`);
    expect(login.status).toBe(302);
    const cookie = String(login.headers['set-cookie']);
    expect(cookie).toMatch(/HttpOnly/);
    expect(cookie).toMatch(/SameSite=Strict/);
    const page = await raw('/', { headers: { Cookie: cookie.split(';')[0]! } });
    expect(page.status).toBe(200);
    expect(String(page.headers['content-security-policy'])).toContain("script-src 'self'");
    expect(page.headers['x-frame-options']).toBe('DENY');
    const traversal = await raw('/..%2f..%2fetc%2fpasswd', { headers: { Cookie: cookie.split(';')[0]! } });
    expect(traversal.body).not.toContain('root:');
  });

  it('streams events over an authenticated WebSocket and rejects one without the token', async () => {
    const refused = new WebSocket(`ws://127.0.0.1:${web.host.port}/api/events`);
    const refusedResult = await new Promise<string>((resolve) => {
      refused.on('open', () => resolve('open'));
      refused.on('error', () => resolve('error'));
    });
    expect(refusedResult).toBe('error');

    const ws = new WebSocket(`ws://127.0.0.1:${web.host.port}/api/events`, { headers: { Authorization: `Bearer ${web.host.token}` } });
    await new Promise((resolve, reject) => {
      ws.on('open', resolve);
      ws.on('error', reject);
    });
    const got = new Promise<unknown>((resolve) => ws.once('message', (m: Buffer) => resolve(JSON.parse(m.toString()))));
    const res = await raw('/api/call/settings.update', { method: 'POST', headers: auth(), body: JSON.stringify({ glucoseUnit: 'mmol/L' }) });
    expect(res.status).toBe(200);
    expect(await got).toEqual({ type: 'data.changed', what: 'settings' });
    ws.close();
  });

  it('routes by path, then method: 405 with Allow for a known route, 404 for an unknown API path', async () => {
    const wrongMethod = await raw('/api/call/datasets.list', { method: 'GET', headers: auth() });
    expect(wrongMethod.status).toBe(405);
    expect(wrongMethod.headers.allow).toBe('POST');
    expect(JSON.parse(wrongMethod.body)).toEqual({ ok: false, error: { code: 'INVALID_INPUT', message: 'Use POST.' } });
    const upload = await raw('/api/upload', { method: 'PUT', headers: auth() });
    expect([upload.status, upload.headers.allow]).toEqual([405, 'POST']);
    const report = await raw('/api/reports/x.html', { method: 'DELETE', headers: auth() });
    expect([report.status, report.headers.allow, JSON.parse(report.body).error.message]).toEqual([405, 'GET', 'Use GET.']);
    const unknown = await raw('/api/nothing', { method: 'POST', headers: auth(), body: '{}' });
    expect(unknown.status).toBe(404);
    expect(JSON.parse(unknown.body).error.message).toBe('No API route /api/nothing.');
    expect((await raw('/index.html', { method: 'POST', headers: auth() })).status).toBe(405);
  });

  it('refuses to bind to a non-loopback address without allowRemote', async () => {
    await expect(startWebHost({ service: web.service, staticDir: web.dir, host: '0.0.0.0' })).rejects.toThrow(/--allow-remote/);
  });
});
