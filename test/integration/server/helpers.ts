/**
 * Shared set-up for the web-host integration tests: a host over a real StudioService in a
 * temporary folder, and small HTTP helpers that talk to it on loopback.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { request, type IncomingHttpHeaders } from 'node:http';
import { join } from 'node:path';
import { afterAll, beforeAll } from 'vitest';
import { StudioService } from '../../../src-main/engine/api/service.js';
import { silentLogger } from '../../../src-main/engine/logger.js';
import { startWebHost, type WebHost } from '../../../src-main/server/web-host.js';
import { tempDir } from '../../helpers/tmp.js';

/** What the tests read from the host once it is started. */
export interface WebHostFixture {
  /** The temporary folder; the service's data lives in `<dir>/data`, the page in `<dir>/static`. */
  readonly dir: string;
  readonly service: StudioService;
  readonly host: WebHost;
}

/**
 * Registers beforeAll/afterAll hooks that start a web host over a fresh StudioService
 * (data in `<tmp>/data`, a static folder holding a one-line index.html) and close the
 * host, the service and the folder afterwards. `beforeStart` runs once the service exists
 * and before the host starts (to leave files for the host to find). The fields of the
 * returned object are read inside tests and hooks registered after this call.
 */
export function useWebHost(options: { maxUploadBytes?: number; beforeStart?: (service: StudioService) => void } = {}): WebHostFixture {
  let state: { tmp: { dir: string; cleanup: () => void }; service: StudioService; host: WebHost } | null = null;
  beforeAll(async () => {
    const tmp = tempDir();
    const staticDir = join(tmp.dir, 'static');
    mkdirSync(staticDir);
    writeFileSync(join(staticDir, 'index.html'), '<!doctype html><title>t</title>');
    const service = new StudioService({ dataDir: join(tmp.dir, 'data'), logger: silentLogger });
    options.beforeStart?.(service);
    const host = await startWebHost({ service, staticDir, ...(options.maxUploadBytes === undefined ? {} : { maxUploadBytes: options.maxUploadBytes }) });
    state = { tmp, service, host };
  });
  afterAll(async () => {
    if (state === null) return;
    await state.host.close();
    state.service.close();
    state.tmp.cleanup();
  });
  const started = (): NonNullable<typeof state> => {
    if (state === null) throw new Error('the web host is not started yet (use it inside a test or a later hook)');
    return state;
  };
  return {
    get dir() {
      return started().tmp.dir;
    },
    get service() {
      return started().service;
    },
    get host() {
      return started().host;
    },
  };
}

/** A reply read in full: status, headers and the body as text. */
export interface HttpReply {
  status: number;
  headers: IncomingHttpHeaders;
  body: string;
}

/** Sends one request to the host on 127.0.0.1 (GET unless `method` says otherwise) and reads the whole reply. */
export function send(
  host: WebHost,
  path: string,
  init: { method?: string; headers?: Record<string, string>; body?: Buffer | string } = {},
): Promise<HttpReply> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port: host.port, path, method: init.method ?? 'GET', headers: init.headers }, (res) => {
      let text = '';
      res.on('data', (c: Buffer) => (text += c.toString()));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: text }));
    });
    req.on('error', reject);
    req.end(init.body);
  });
}

/** The host's bearer token as an Authorization header, with a Content-Type when one is given. */
export function authHeaders(host: WebHost, contentType?: string): Record<string, string> {
  return contentType === undefined ? { Authorization: `Bearer ${host.token}` } : { Authorization: `Bearer ${host.token}`, 'Content-Type': contentType };
}

/** POSTs `body` as JSON to /api/call/<method> with the token; the reply as it came. */
export function callApi(host: WebHost, method: string, body: unknown): Promise<HttpReply> {
  return send(host, `/api/call/${method}`, { method: 'POST', headers: authHeaders(host, 'application/json'), body: JSON.stringify(body) });
}

/** Like callApi, but returns the envelope's result and throws the error message when the call failed. */
export async function callResult<T>(host: WebHost, method: string, body: unknown): Promise<T> {
  const res = await callApi(host, method, body);
  const env = JSON.parse(res.body) as { ok: boolean; result: T; error?: { message: string } };
  if (!env.ok) throw new Error(env.error?.message ?? res.body);
  return env.result;
}

/**
 * POSTs a file's bytes to /api/upload?name=<name> (in upload batch `batch` when given) with
 * the token; the status and, when it is 200, the stored path ('' otherwise).
 */
export async function upload(host: WebHost, name: string, body: Buffer | string, batch?: string): Promise<{ status: number; path: string }> {
  const path = `/api/upload?name=${name}${batch === undefined ? '' : `&batch=${batch}`}`;
  const res = await send(host, path, { method: 'POST', headers: authHeaders(host, 'application/octet-stream'), body });
  return { status: res.status, path: res.status === 200 ? (JSON.parse(res.body) as { result: { path: string } }).result.path : '' };
}
