import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { downloadHubModel, hubCacheDir, type DownloadProgress } from '../../../src-main/engine/ttm/hub.js';
import { loadModelSource, modelSourceFromTtmConfig } from '../../../src-main/engine/ttm/model-source.js';
import { createDefaultTtmConfig } from '../../../src-main/engine/ttm/ttm-config.js';
import { fixtureBytes } from '../../unit/ttm/fixtures.js';
import { rejection } from '../../helpers/rejection.js';

const REPO = 'ibm-granite/granite-timeseries-ttm-r2';
const files: Record<string, Buffer> = {
  'config.json': Buffer.from(fixtureBytes('r2_512_96', 'config.json')),
  'model.safetensors': Buffer.from(fixtureBytes('r2_512_96', 'model.safetensors')),
};

interface Seen {
  url: string;
  range: string | undefined;
  auth: string | undefined;
}
type Handler = (req: IncomingMessage, res: ServerResponse, file: Buffer | undefined, seen: Seen[]) => void;

let server: Server;
let endpoint: string;
let handler: Handler;
let seen: Seen[] = [];
let tmp: string;

/** Serves a file honouring `Range: bytes=N-` like the hub's CDN does. */
function serve(req: IncomingMessage, res: ServerResponse, file: Buffer | undefined, opts: { ignoreRange?: boolean } = {}): void {
  if (file === undefined) {
    res.writeHead(404, { 'x-error-code': 'EntryNotFound', 'x-error-message': 'Entry not found' }).end();
    return;
  }
  const m = /^bytes=(\d+)-$/.exec(req.headers.range ?? '');
  if (m !== null && !opts.ignoreRange) {
    const start = Number(m[1]);
    if (start >= file.length) {
      res.writeHead(416, { 'content-range': `bytes */${file.length}` }).end();
      return;
    }
    res.writeHead(206, { 'content-range': `bytes ${start}-${file.length - 1}/${file.length}`, 'content-length': file.length - start, etag: '"abc"' });
    res.end(file.subarray(start));
    return;
  }
  res.writeHead(200, { 'content-length': file.length, etag: '"abc"', 'x-repo-commit': '0123abcd' });
  res.end(file);
}

function fileFor(url: string): Buffer | undefined {
  const m = /^\/([^/]+\/[^/]+)\/resolve\/([^/]+)\/(.+)$/.exec(url);
  if (m === null || m[1] !== REPO || decodeURIComponent(m[2]) !== 'main') return undefined;
  return files[m[3]];
}

beforeAll(async () => {
  server = createServer((req, res) => {
    seen.push({ url: req.url ?? '', range: req.headers.range, auth: req.headers.authorization });
    handler(req, res, fileFor(req.url ?? ''), seen);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  tmp = await mkdtemp(join(tmpdir(), 'ttm-hub-'));
});
afterAll(async () => {
  server.closeAllConnections();
  await new Promise((r) => server.close(r));
  await rm(tmp, { recursive: true, force: true });
});
afterEach(() => {
  seen = [];
});

let n = 0;
const freshCache = () => join(tmp, `cache-${n++}`);

describe('hub download', () => {
  it('downloads, verifies and caches; reports progress; sends the token', async () => {
    handler = (req, res, file) => serve(req, res, file);
    const cacheRoot = freshCache();
    const progress: DownloadProgress[] = [];
    const m = await downloadHubModel({ repo: REPO, cacheRoot, endpoint, token: 'hf_secret', onProgress: (p) => progress.push(p), retryDelayMs: 1 });
    expect(m.fromCache).toBe(false);
    expect(m.dir).toBe(hubCacheDir(cacheRoot, REPO, 'main'));
    expect(m.dir).toBe(join(cacheRoot, 'ibm-granite', 'granite-timeseries-ttm-r2', 'main'));
    expect((await readFile(join(m.dir, 'model.safetensors'))).equals(files['model.safetensors'])).toBe(true);
    expect(m.checkpoint.config.num_patches).toBe(8);
    expect(JSON.parse(await readFile(join(m.dir, 'source.json'), 'utf8'))).toMatchObject({ repo: REPO, revision: 'main', commit: '0123abcd', endpoint });
    expect(seen.map((s) => s.auth)).toEqual(['Bearer hf_secret', 'Bearer hf_secret']);
    const modelProgress = progress.filter((p) => p.file === 'model.safetensors');
    expect(modelProgress.at(-1)).toEqual({
      file: 'model.safetensors',
      bytesDone: files['model.safetensors'].length,
      bytesTotal: files['model.safetensors'].length,
    });
    for (let i = 1; i < modelProgress.length; i++) expect(modelProgress[i].bytesDone).toBeGreaterThanOrEqual(modelProgress[i - 1].bytesDone);
    expect((await readdir(join(cacheRoot, 'ibm-granite', 'granite-timeseries-ttm-r2'))).sort()).toEqual(['main']);
    // Second call: from the cache, no network.
    seen = [];
    const again = await downloadHubModel({ repo: REPO, cacheRoot, endpoint });
    expect(again.fromCache).toBe(true);
    expect(seen).toEqual([]);
  });

  it('resumes an interrupted download with a Range request', async () => {
    let dropped = false;
    handler = (req, res, file) => {
      if (file === files['model.safetensors'] && !dropped) {
        dropped = true;
        res.writeHead(200, { 'content-length': file.length, etag: '"abc"' });
        res.write(file.subarray(0, 1_000_000), () => setTimeout(() => res.socket?.destroy(), 50));
        return;
      }
      serve(req, res, file);
    };
    const cacheRoot = freshCache();
    const m = await downloadHubModel({ repo: REPO, cacheRoot, endpoint, retryDelayMs: 1 });
    expect((await readFile(join(m.dir, 'model.safetensors'))).equals(files['model.safetensors'])).toBe(true);
    const modelReqs = seen.filter((s) => s.url.endsWith('model.safetensors'));
    expect(modelReqs).toHaveLength(2);
    expect(modelReqs[0].range).toBeUndefined();
    expect(Number(/^bytes=(\d+)-$/.exec(modelReqs[1].range ?? '')?.[1])).toBeGreaterThan(0);
  });

  it('keeps the partial file when retries run out and resumes on the next call', async () => {
    let drops = 0;
    handler = (req, res, file) => {
      if (file === files['model.safetensors'] && drops === 0) {
        drops++;
        res.writeHead(200, { 'content-length': file.length });
        res.write(file.subarray(0, 500_000), () => setTimeout(() => res.socket?.destroy(), 50));
        return;
      }
      serve(req, res, file);
    };
    const cacheRoot = freshCache();
    const e = await rejection(downloadHubModel({ repo: REPO, cacheRoot, endpoint, retries: 0 }));
    expect(e.code).toBe('IO');
    expect(e.message).toMatch(/partial file is kept/);
    const m = await downloadHubModel({ repo: REPO, cacheRoot, endpoint, retries: 0 });
    expect((await readFile(join(m.dir, 'model.safetensors'))).equals(files['model.safetensors'])).toBe(true);
    expect(seen.filter((s) => s.url.endsWith('model.safetensors')).at(-1)?.range).toMatch(/^bytes=[1-9]\d*-$/);
  });

  it('restarts from zero when the server ignores Range', async () => {
    handler = (req, res, file) => serve(req, res, file, { ignoreRange: true });
    const cacheRoot = freshCache();
    const staging = join(cacheRoot, 'ibm-granite', 'granite-timeseries-ttm-r2', '.main.download');
    await mkdir(staging, { recursive: true });
    // A stale partial of the wrong bytes: a 200 reply must replace it, not be appended to it.
    await writeFile(join(staging, 'model.safetensors.partial'), Buffer.alloc(1234, 7));
    const m = await downloadHubModel({ repo: REPO, cacheRoot, endpoint });
    expect(seen.find((s) => s.url.endsWith('model.safetensors'))?.range).toBe('bytes=1234-');
    expect((await readFile(join(m.dir, 'model.safetensors'))).equals(files['model.safetensors'])).toBe(true);
  });

  it('treats 416 on a complete partial as done', async () => {
    handler = (req, res, file) => serve(req, res, file);
    const cacheRoot = freshCache();
    const staging = join(cacheRoot, 'ibm-granite', 'granite-timeseries-ttm-r2', '.main.download');
    await mkdir(staging, { recursive: true });
    await writeFile(join(staging, 'model.safetensors.partial'), files['model.safetensors']);
    const m = await downloadHubModel({ repo: REPO, cacheRoot, endpoint });
    expect(seen.filter((s) => s.url.endsWith('model.safetensors')).map((s) => s.range)).toEqual([`bytes=${files['model.safetensors'].length}-`]);
    expect((await readFile(join(m.dir, 'model.safetensors'))).equals(files['model.safetensors'])).toBe(true);
  });

  it('404 names repo, revision and file', async () => {
    handler = (req, res, file) => serve(req, res, file);
    const e = await rejection(downloadHubModel({ repo: REPO, revision: '512-999-r2', cacheRoot: freshCache(), endpoint }));
    expect(e.code).toBe('NOT_FOUND');
    expect(e.message).toMatch(/"config.json" of ibm-granite\/granite-timeseries-ttm-r2 at revision "512-999-r2" was not found \(HTTP 404/);
    expect(e.message).toMatch(/Entry not found/);
  });

  it('401 explains the token', async () => {
    handler = (_req, res) => res.writeHead(401).end();
    const e = await rejection(downloadHubModel({ repo: REPO, cacheRoot: freshCache(), endpoint }));
    expect(e.code).toBe('UNAUTHORIZED');
    expect(e.message).toMatch(/set HF_TOKEN/);
    const withToken = await rejection(downloadHubModel({ repo: REPO, cacheRoot: freshCache(), endpoint, token: 'bad' }));
    expect(withToken.message).toMatch(/token was rejected/);
  });

  it('follows redirects, keeping the token on the hub origin only', async () => {
    const cdn = createServer((req, res) => {
      seen.push({ url: `cdn${req.url}`, range: req.headers.range, auth: req.headers.authorization });
      serve(req, res, files[(req.url ?? '').slice(1)]);
    });
    await new Promise<void>((r) => cdn.listen(0, 'localhost', r));
    const cdnBase = `http://localhost:${(cdn.address() as AddressInfo).port}`;
    try {
      handler = (req, res, file) => {
        const name = (req.url ?? '').split('/').at(-1) ?? '';
        if (file !== undefined) res.writeHead(302, { location: `${cdnBase}/${name}` }).end();
        else serve(req, res, file);
      };
      const m = await downloadHubModel({ repo: REPO, cacheRoot: freshCache(), endpoint, token: 'hf_secret' });
      expect((await readFile(join(m.dir, 'config.json'))).equals(files['config.json'])).toBe(true);
      expect(seen.filter((s) => s.url.startsWith('cdn')).map((s) => s.auth)).toEqual([undefined, undefined]);
      expect(seen.filter((s) => !s.url.startsWith('cdn')).map((s) => s.auth)).toEqual(['Bearer hf_secret', 'Bearer hf_secret']);
    } finally {
      cdn.closeAllConnections();
      await new Promise((r) => cdn.close(r));
    }
  });

  it('can be cancelled with an AbortSignal', async () => {
    handler = (req, res, file) => {
      if (file === files['model.safetensors']) {
        res.writeHead(200, { 'content-length': file.length });
        res.write(file.subarray(0, 100_000)); // then stall
        return;
      }
      serve(req, res, file);
    };
    const ac = new AbortController();
    const e = await rejection(
      downloadHubModel({
        repo: REPO,
        cacheRoot: freshCache(),
        endpoint,
        signal: ac.signal,
        onProgress: (p) => {
          if (p.file === 'model.safetensors' && p.bytesDone > 0) ac.abort();
        },
      }),
    );
    expect(e.code).toBe('CANCELLED');
  });

  it('refuses content that is not a valid checkpoint and caches nothing', async () => {
    const badConfig = Buffer.from(JSON.stringify({ ...JSON.parse(files['config.json'].toString()), d_model: 64 }));
    handler = (req, res, file) => serve(req, res, file === files['config.json'] ? badConfig : file);
    const cacheRoot = freshCache();
    const e = await rejection(downloadHubModel({ repo: REPO, cacheRoot, endpoint }));
    expect(e.code).toBe('MODEL');
    expect(e.message).toMatch(/not a usable TTM checkpoint: .*has shape \[192, 64\], expected \[64, 64\]/);
    expect(await readdir(join(cacheRoot, 'ibm-granite', 'granite-timeseries-ttm-r2'))).toEqual([]);
  });

  it('model sources: TTMConfig.modelPath → hub-auto with prediction_filter_length, or a local dir', async () => {
    handler = (req, res, file) => serve(req, res, file);
    const cacheRoot = freshCache();
    const src = modelSourceFromTtmConfig(createDefaultTtmConfig({ forecastLength: 72 }));
    expect(src).toMatchObject({ kind: 'hub-auto', repo: REPO, contextLength: 512, forecastLength: 72, freq: '5min' });
    const m = await loadModelSource(src, { cacheRoot, endpoint });
    expect(m.origin).toMatchObject({ kind: 'hub', repo: REPO, revision: 'main', key: '512-96-r2' });
    expect(m.checkpoint.config.prediction_filter_length).toBe(72);
    const local = await loadModelSource(modelSourceFromTtmConfig(createDefaultTtmConfig({ modelPath: m.dir })), { cacheRoot });
    expect(local.origin).toEqual({ kind: 'local', dir: m.dir });
    expect(() => modelSourceFromTtmConfig(createDefaultTtmConfig({ modelPath: 'someone/model' }))).toThrow(/neither a local directory/);
    const missing = await rejection(loadModelSource({ kind: 'local', dir: join(tmp, 'nope') }, { cacheRoot }));
    expect(missing.code).toBe('NOT_FOUND');
  });

  it('concurrent requests share one download; another process holding the lock is a CONFLICT; a stale lock is taken over', async () => {
    handler = (req, res, file) => serve(req, res, file);
    const cacheRoot = freshCache();
    const [a, b] = await Promise.all([downloadHubModel({ repo: REPO, cacheRoot, endpoint }), downloadHubModel({ repo: REPO, cacheRoot, endpoint })]);
    expect(a).toBe(b);
    expect(seen.filter((s) => s.url.endsWith('model.safetensors'))).toHaveLength(1);

    const other = freshCache();
    const lock = join(other, 'ibm-granite', 'granite-timeseries-ttm-r2', '.main.download.lock');
    await mkdir(join(other, 'ibm-granite', 'granite-timeseries-ttm-r2'), { recursive: true });
    await writeFile(lock, String(process.pid)); // a live owner
    const e = await rejection(downloadHubModel({ repo: REPO, cacheRoot: other, endpoint }));
    expect(e.code).toBe('CONFLICT');
    expect(e.message).toMatch(/already being downloaded by another process/);
    await writeFile(lock, '2147483646'); // an owner that no longer exists
    const m = await downloadHubModel({ repo: REPO, cacheRoot: other, endpoint });
    expect(m.fromCache).toBe(false);
    expect(await readdir(join(other, 'ibm-granite', 'granite-timeseries-ttm-r2'))).toEqual(['main']);
  });
});
