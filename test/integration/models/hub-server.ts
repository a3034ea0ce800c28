/**
 * A local stand-in for the Hugging Face hub: serves the read-only golden fixtures
 * (../shared/fixtures/ttm/<case>/) at `/<repo>/resolve/<revision>/<file>`, honouring
 * `Range: bytes=N-`. `mode` lets a test stall a download midway (to cancel it) or log requests.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { fixtureBytes, type FixtureCase } from '../../unit/ttm/fixtures.js';

export const R2_REPO = 'ibm-granite/granite-timeseries-ttm-r2';

export interface SeenRequest {
  url: string;
  range: string | undefined;
  auth: string | undefined;
}

export interface HubServer {
  endpoint: string;
  seen: SeenRequest[];
  /**
   * 'stall': model.safetensors sends `stallAfter` bytes and then hangs (until the client gives up);
   * 'drop': it sends `stallAfter` bytes and then the connection is cut (once; later requests are served).
   */
  mode: 'normal' | 'stall' | 'drop';
  stallAfter: number;
  /** revision → fixture case */
  revisions: Map<string, FixtureCase>;
  fileBytes(c: FixtureCase, file: string): Buffer;
  close(): Promise<void>;
}

export async function startHubServer(revisions: Record<string, FixtureCase>): Promise<HubServer> {
  const cache = new Map<string, Buffer>();
  const fileBytes = (c: FixtureCase, file: string): Buffer => {
    const key = `${c}/${file}`;
    let b = cache.get(key);
    if (b === undefined) {
      b = Buffer.from(fixtureBytes(c, file));
      cache.set(key, b);
    }
    return b;
  };
  const state: HubServer = {
    endpoint: '',
    seen: [],
    mode: 'normal',
    stallAfter: 1 << 20,
    revisions: new Map(Object.entries(revisions)),
    fileBytes,
    close: async () => {
      server.closeAllConnections();
      await new Promise((r) => server.close(r));
    },
  };
  const handle = (req: IncomingMessage, res: ServerResponse): void => {
    state.seen.push({ url: req.url ?? '', range: req.headers.range, auth: req.headers.authorization });
    const m = /^\/([^/]+\/[^/]+)\/resolve\/([^/]+)\/([^/?]+)$/.exec(req.url ?? '');
    const c = m !== null && m[1] === R2_REPO ? state.revisions.get(decodeURIComponent(m[2])) : undefined;
    if (m === null || c === undefined || (m[3] !== 'config.json' && m[3] !== 'model.safetensors')) {
      res.writeHead(404, { 'x-error-code': 'EntryNotFound', 'x-error-message': 'Entry not found' }).end();
      return;
    }
    const file = fileBytes(c, m[3]);
    const r = /^bytes=(\d+)-$/.exec(req.headers.range ?? '');
    const start = r === null ? 0 : Number(r[1]);
    if (start >= file.length && r !== null) {
      res.writeHead(416, { 'content-range': `bytes */${file.length}` }).end();
      return;
    }
    const headers: Record<string, string | number> = { 'content-length': file.length - start, etag: '"fixture"', 'x-repo-commit': 'f1x7ure0' };
    if (r !== null) headers['content-range'] = `bytes ${start}-${file.length - 1}/${file.length}`;
    res.writeHead(r !== null ? 206 : 200, headers);
    if (state.mode === 'drop' && m[3] === 'model.safetensors') {
      state.mode = 'normal';
      res.write(file.subarray(start, Math.min(file.length, start + state.stallAfter)), () => setTimeout(() => res.destroy(), 50));
      return;
    }
    if (state.mode === 'stall' && m[3] === 'model.safetensors') {
      res.write(file.subarray(start, Math.min(file.length, start + state.stallAfter)));
      return; // never ends: the client cancels or times out
    }
    res.end(file.subarray(start));
  };
  const server: Server = createServer(handle);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  state.endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return state;
}
