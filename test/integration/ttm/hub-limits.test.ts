/** A hostile hub cannot fill the disk or memory: downloads stop at what a TTM checkpoint can need. */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { downloadHubModel } from '../../../src-main/engine/ttm/hub.js';
import { fixtureBytes } from '../../unit/ttm/fixtures.js';
import { rejection } from '../../helpers/rejection.js';

let tmp: string;
let server: Server;
let endpoint: string;

beforeAll(async () => {
  tmp = await mkdtemp(join(tmpdir(), 'ttm-hub-limits-'));
  server = createServer((req, res) => {
    const url = req.url ?? '';
    if (url.includes('/endless/') && url.endsWith('/config.json')) {
      // No Content-Length, and it never ends.
      res.writeHead(200, { 'content-type': 'application/json' });
      const chunk = Buffer.alloc(64 * 1024, 0x20);
      const pump = (): void => {
        while (res.write(chunk)) {
          /* keep writing until the socket pushes back */
        }
      };
      res.on('drain', pump);
      res.on('close', () => res.removeAllListeners('drain'));
      res.write('{"a":"');
      pump();
      return;
    }
    if (url.endsWith('/config.json')) {
      const body = Buffer.from(fixtureBytes('tiny', 'config.json'));
      res.writeHead(200, { 'content-length': String(body.length) });
      res.end(body);
      return;
    }
    if (url.endsWith('/model.safetensors')) {
      // Declares 10 GB: refused before a byte is stored.
      res.writeHead(200, { 'content-length': String(10 * 1024 ** 3) });
      res.write(Buffer.alloc(1024));
      return;
    }
    res.writeHead(404).end();
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(async () => {
  server.closeAllConnections();
  await new Promise((r) => server.close(r));
  await rm(tmp, { recursive: true, force: true });
});

describe('hub download limits', () => {
  it('stops an endless config.json at 1 MB', async () => {
    const e = await rejection(downloadHubModel({ repo: 'owner/endless', revision: 'main', cacheRoot: tmp, endpoint, retries: 0 }));
    expect(e.message).toMatch(/"config\.json" of owner\/endless@main is larger than the 1,048,576 bytes/);
  }, 10_000);

  it("refuses weights larger than the config's parameter count allows", async () => {
    const e = await rejection(downloadHubModel({ repo: 'owner/huge', revision: 'main', cacheRoot: tmp, endpoint, retries: 0 }));
    expect(e.code).toBe('MODEL');
    expect(e.message).toMatch(/"model\.safetensors" of owner\/huge@main is larger than the [\d,]+ bytes a TTM checkpoint can need \(10,737,418,240 bytes/);
  }, 10_000);
});
