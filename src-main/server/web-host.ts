import { randomBytes } from 'node:crypto';
import { createReadStream, createWriteStream, existsSync, mkdirSync, realpathSync, rmSync, statSync } from 'node:fs';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { basename, extname, join, normalize, resolve, sep } from 'node:path';
import { WebSocketServer, type WebSocket } from 'ws';
import type { ApiEvent } from '../engine/api/contract.js';
import { STALE_UPLOAD_MS, sweepStaleUploads } from '../engine/api/handlers/data-import.js';
import type { StudioService } from '../engine/api/service.js';
import { renderErrorMessage, StudioError, toStudioError, type StudioErrorCode } from '../engine/errors.js';
import { checkWebRequestPaths, type PathPolicy } from './path-policy.js';
import { isLoopbackHost, readCookie, SECURITY_HEADERS, tokensEqual, webContentSecurityPolicy } from './security.js';

export interface WebHostOptions {
  service: StudioService;
  /** Folder with the built renderer (index.html + assets). */
  staticDir: string;
  host?: string;
  port?: number;
  /** Binding to a non-loopback address must be asked for explicitly. */
  allowRemote?: boolean;
  token?: string;
  maxBodyBytes?: number;
  /** Largest file `POST /api/upload` accepts (default 2 GiB). */
  maxUploadBytes?: number;
  /** At start, uploads older than this are removed (default STALE_UPLOAD_MS, 1 h): imports delete their own. */
  staleUploadMs?: number;
}

export interface WebHost {
  readonly url: string;
  /** URL that logs the browser in (sets the session cookie) and opens the app. */
  readonly loginUrl: string;
  readonly token: string;
  readonly port: number;
  close(): Promise<void>;
}

const COOKIE = 'ttm_studio_token';
const STATUS: Partial<Record<StudioErrorCode, number>> = {
  INVALID_INPUT: 400,
  PARSE: 400,
  UNAUTHORIZED: 401,
  NOT_FOUND: 404,
  CONFLICT: 409,
  SCHEMA_TOO_NEW: 409,
  UNSUPPORTED: 422,
  CANCELLED: 499,
};
const MIME: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.json': 'application/json',
  '.woff2': 'font/woff2',
  '.map': 'application/json',
};

const JSON_TYPE = 'application/json; charset=utf-8';

function send(res: ServerResponse, status: number, body: string, type = JSON_TYPE, extra: Record<string, string> = {}): void {
  res.writeHead(status, { ...SECURITY_HEADERS, 'Content-Type': type, 'Cache-Control': 'no-store', ...extra });
  res.end(body);
}

function sendError(res: ServerResponse, err: StudioError): void {
  const status = typeof err.details?.httpStatus === 'number' ? err.details.httpStatus : (STATUS[err.code] ?? 500);
  send(res, status, JSON.stringify({ ok: false, error: { code: err.code, message: renderErrorMessage(err.message) } }));
}

function readBody(req: IncomingMessage, maxBody: number): Promise<string> {
  return new Promise((resolveBody, reject) => {
    const declared = Number(req.headers['content-length'] ?? '0');
    const chunks: Buffer[] = [];
    let size = 0;
    let overflow = declared > maxBody;
    // An oversized body is drained (up to a bound) before answering, so the client reads
    // the 413 instead of a connection reset; a sender of endless data is cut off.
    const tooLarge = (): StudioError =>
      new StudioError('INVALID_INPUT', `Request body of ${Math.max(declared, size)} bytes is over the ${maxBody}-byte limit.`, { httpStatus: 413 });
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size > maxBody) overflow = true;
      if (overflow) {
        if (size > 16 * maxBody) req.destroy();
        return;
      }
      chunks.push(c);
    });
    req.on('end', () => (overflow ? reject(tooLarge()) : resolveBody(Buffer.concat(chunks).toString('utf8'))));
    req.on('close', () => reject(tooLarge()));
    req.on('error', reject);
  });
}

function serveStatic(res: ServerResponse, staticRoot: string, pathname: string): void {
  const rel = normalize(decodeURIComponent(pathname)).replace(/^([/\\])+/, '');
  let file = join(staticRoot, rel);
  if (file !== staticRoot && !file.startsWith(staticRoot + sep)) {
    send(res, 404, 'Not found', 'text/plain; charset=utf-8');
    return;
  }
  if (!existsSync(file) || statSync(file).isDirectory()) file = join(staticRoot, 'index.html');
  if (!existsSync(file)) {
    send(res, 503, 'The renderer is not built: run `npm run build:renderer`.', 'text/plain; charset=utf-8');
    return;
  }
  const type = MIME[extname(file)] ?? 'application/octet-stream';
  const headers: Record<string, string> = { ...SECURITY_HEADERS, 'Content-Type': type, 'Content-Security-Policy': webContentSecurityPolicy() };
  headers['Cache-Control'] = file.includes(`${sep}assets${sep}`) ? 'private, max-age=31536000, immutable' : 'no-store';
  res.writeHead(200, headers);
  createReadStream(file).pipe(res);
}

/** What an API route needs besides its request. */
interface RouteContext {
  service: StudioService;
  maxBody: number;
  maxUpload: number;
  pathPolicy: PathPolicy;
}

interface ApiRoute {
  path: RegExp;
  /** Methods the route answers; any other gets 405 naming the first. */
  methods: readonly string[];
  handle(req: IncomingMessage, res: ServerResponse, url: URL, match: RegExpExecArray, ctx: RouteContext): Promise<void> | void;
}

/** POST /api/upload?name=…[&batch=…]: one file streamed into the uploads folder. */
async function uploadRoute(req: IncomingMessage, res: ServerResponse, url: URL, _match: RegExpExecArray, ctx: RouteContext): Promise<void> {
  // A non-simple content type: a cross-site form cannot send it without a preflight.
  if (!(req.headers['content-type'] ?? '').startsWith('application/octet-stream')) {
    return sendError(res, new StudioError('INVALID_INPUT', 'Content-Type must be application/octet-stream.'));
  }
  try {
    const batch = url.searchParams.get('batch');
    if (batch !== null && !UPLOAD_BATCH.test(batch)) {
      return sendError(res, new StudioError('INVALID_INPUT', 'The upload batch must be 8–64 letters, digits, "-" or "_".'));
    }
    const saved = await receiveUpload(req, url.searchParams.get('name') ?? '', ctx.service.layout.uploads, ctx.maxUpload, batch);
    send(res, 200, JSON.stringify({ ok: true, result: saved }));
  } catch (e) {
    const err = toStudioError(e);
    if (err.details?.httpStatus === 413) {
      res.setHeader('Connection', 'close');
      req.resume();
    }
    sendError(res, err);
  }
}

/** GET|HEAD /api/reports/<file>[?inline=1]: a generated report, as a sandboxed document. */
function reportRoute(req: IncomingMessage, res: ServerResponse, url: URL, match: RegExpExecArray, ctx: RouteContext): void {
  const file = reportFile(ctx.service.layout.reports, match[1]!);
  if (file === null) return sendError(res, new StudioError('NOT_FOUND', `No report ${match[1]!}: generate it on the Reports page first.`));
  const inline = url.searchParams.get('inline') === '1';
  const pdf = file.endsWith('.pdf');
  res.writeHead(200, {
    ...SECURITY_HEADERS,
    'Content-Type': pdf ? 'application/pdf' : 'text/html; charset=utf-8',
    'Content-Length': String(statSync(file).size),
    'Cache-Control': 'no-store',
    // Opened in a tab: a sandboxed, script-less document (the report is self-contained: inline styles and SVG).
    'Content-Security-Policy': "sandbox; default-src 'none'; style-src 'unsafe-inline'; img-src data:; font-src data:",
    'Content-Disposition': `${inline ? 'inline' : 'attachment'}; filename="${basename(file)}"`,
  });
  if (req.method === 'HEAD') return void res.end();
  createReadStream(file).pipe(res);
}

/** POST /api/call/<method> with a JSON body: one StudioApi call. */
async function callRoute(req: IncomingMessage, res: ServerResponse, _url: URL, match: RegExpExecArray, ctx: RouteContext): Promise<void> {
  if (!(req.headers['content-type'] ?? '').startsWith('application/json')) {
    return sendError(res, new StudioError('INVALID_INPUT', 'Content-Type must be application/json.'));
  }
  try {
    const text = await readBody(req, ctx.maxBody);
    let payload: unknown;
    try {
      payload = text === '' ? {} : JSON.parse(text);
    } catch {
      throw new StudioError('INVALID_INPUT', 'Request body is not valid JSON.');
    }
    checkWebRequestPaths(match[1]!, payload, ctx.pathPolicy);
    const result = await ctx.service.call(match[1]!, payload);
    send(res, 200, JSON.stringify({ ok: true, result }));
  } catch (e) {
    sendError(res, toStudioError(e));
  }
}

/** The API's HTTP routes (events are the WebSocket upgrade of /api/events); other /api/ paths are 404. */
const API_ROUTES: readonly ApiRoute[] = [
  { path: /^\/api\/upload$/, methods: ['POST'], handle: uploadRoute },
  { path: /^\/api\/reports\/([^/]+)$/, methods: ['GET', 'HEAD'], handle: reportRoute },
  { path: /^\/api\/call\/([A-Za-z0-9_.]+)$/, methods: ['POST'], handle: callRoute },
];

/**
 * Serves the renderer and StudioApi (POST /api/call/<method>, WebSocket /api/events) on
 * loopback. Every request needs the per-start token (Bearer header or the cookie set by
 * the login URL); the Host and Origin headers must name this server (no DNS rebinding, no
 * cross-site requests); request bodies are size-limited.
 */
export async function startWebHost(options: WebHostOptions): Promise<WebHost> {
  const host = options.host ?? '127.0.0.1';
  if (!isLoopbackHost(host) && options.allowRemote !== true) {
    throw new StudioError('INVALID_INPUT', `Refusing to listen on ${host}: the web host binds to loopback unless --allow-remote is given.`);
  }
  // Uploads left by abandoned imports or a crash; an import removes its own when it ends.
  await sweepStaleUploads(options.service.layout.uploads, options.staleUploadMs ?? STALE_UPLOAD_MS);
  const token = options.token ?? randomBytes(24).toString('base64url');
  const staticRoot = resolve(options.staticDir);
  const service = options.service;
  const routeContext: RouteContext = {
    service,
    maxBody: options.maxBodyBytes ?? 1024 * 1024,
    maxUpload: options.maxUploadBytes ?? 2 * 1024 ** 3,
    // Server-side paths in requests: uploaded files to read, the reports folder to write.
    pathPolicy: { readRoots: [service.layout.uploads], writeRoots: [service.layout.reports], jobRoots: [service.layout.clusterJobs] },
  };
  let port = 0;

  const allowedHosts = (): Set<string> => {
    const names = new Set([host, '127.0.0.1', 'localhost', '[::1]']);
    return new Set([...names].map((h) => `${h.includes(':') && !h.startsWith('[') ? `[${h}]` : h}:${port}`));
  };
  const hostOk = (req: IncomingMessage): boolean => req.headers.host !== undefined && allowedHosts().has(req.headers.host);
  const originOk = (req: IncomingMessage): boolean => {
    const origin = req.headers.origin;
    if (origin === undefined) return true; // same-origin GETs and non-browser clients send none
    return [...allowedHosts()].some((h) => origin === `http://${h}`);
  };
  const authenticated = (req: IncomingMessage, url: URL): boolean => {
    const auth = req.headers.authorization;
    if (auth !== undefined && auth.startsWith('Bearer ') && tokensEqual(auth.slice(7), token)) return true;
    const cookie = readCookie(req.headers.cookie, COOKIE);
    if (cookie !== undefined && tokensEqual(cookie, token)) return true;
    const q = url.searchParams.get('token');
    return q !== null && tokensEqual(q, token);
  };

  const server = createServer((req, res) => {
    void (async () => {
      const url = new URL(req.url ?? '/', 'http://placeholder');
      if (!hostOk(req)) return send(res, 403, JSON.stringify({ ok: false, error: { code: 'UNAUTHORIZED', message: 'Unexpected Host header.' } }));
      if (!originOk(req)) return send(res, 403, JSON.stringify({ ok: false, error: { code: 'UNAUTHORIZED', message: 'Cross-origin requests are refused.' } }));
      if (!authenticated(req, url)) {
        return send(
          res,
          401,
          req.method === 'GET' && !url.pathname.startsWith('/api/')
            ? '<!doctype html><title>TTM Studio</title><p>TTM Studio needs its access token: open the URL that <code>ttm-studio serve</code> printed.</p>'
            : JSON.stringify({ ok: false, error: { code: 'UNAUTHORIZED', message: 'Missing or wrong token.' } }),
          req.method === 'GET' && !url.pathname.startsWith('/api/') ? 'text/html; charset=utf-8' : JSON_TYPE,
        );
      }
      if (url.searchParams.has('token') && req.method === 'GET' && !url.pathname.startsWith('/api/')) {
        // Trade the token in the URL for an HttpOnly cookie, and drop it from the address bar.
        res.writeHead(302, {
          ...SECURITY_HEADERS,
          Location: url.pathname,
          'Set-Cookie': `${COOKIE}=${encodeURIComponent(token)}; HttpOnly; SameSite=Strict; Path=/`,
          'Cache-Control': 'no-store',
        });
        res.end();
        return;
      }
      for (const route of API_ROUTES) {
        const match = route.path.exec(url.pathname);
        if (match === null) continue;
        const allow = route.methods[0]!;
        if (!route.methods.includes(req.method ?? ''))
          return send(res, 405, JSON.stringify({ ok: false, error: { code: 'INVALID_INPUT', message: `Use ${allow}.` } }), undefined, { Allow: allow });
        return route.handle(req, res, url, match, routeContext);
      }
      if (url.pathname.startsWith('/api/')) return sendError(res, new StudioError('NOT_FOUND', `No API route ${url.pathname}.`));
      if (req.method !== 'GET' && req.method !== 'HEAD') return send(res, 405, 'Method not allowed', 'text/plain; charset=utf-8');
      serveStatic(res, staticRoot, url.pathname);
    })().catch((e: unknown) => {
      if (!res.headersSent) sendError(res, toStudioError(e));
      else res.destroy();
    });
  });

  const wss = new WebSocketServer({ noServer: true, maxPayload: 64 * 1024 });
  const sockets = new Set<WebSocket>();
  server.on('upgrade', (req, socket, head) => {
    const url = new URL(req.url ?? '/', 'http://placeholder');
    if (url.pathname !== '/api/events' || !hostOk(req) || !originOk(req) || !authenticated(req, url)) {
      socket.write('HTTP/1.1 401 Unauthorized\r\nConnection: close\r\n\r\n');
      socket.destroy();
      return;
    }
    wss.handleUpgrade(req, socket, head, (ws) => {
      sockets.add(ws);
      ws.on('close', () => sockets.delete(ws));
      ws.on('message', () => ws.close(1003, 'events only'));
    });
  });
  const unsubscribe = service.subscribe((event: ApiEvent) => {
    const data = JSON.stringify(event);
    for (const ws of sockets) if (ws.readyState === ws.OPEN) ws.send(data);
  });

  await new Promise<void>((resolveListen, reject) => {
    server.once('error', (e: NodeJS.ErrnoException) =>
      reject(
        new StudioError(
          'IO',
          e.code === 'EADDRINUSE'
            ? `Port ${options.port ?? 0} on ${host} is already in use; choose another with --port.`
            : `Cannot listen on ${host}: ${e.message}`,
        ),
      ),
    );
    server.listen(options.port ?? 0, host, () => resolveListen());
  });
  port = (server.address() as AddressInfo).port;
  const displayHost = host.includes(':') ? `[${host}]` : host;
  const url = `http://${displayHost}:${port}/`;
  return {
    url,
    loginUrl: `${url}?token=${encodeURIComponent(token)}`,
    token,
    port,
    close: async () => {
      unsubscribe();
      for (const ws of sockets) ws.terminate();
      wss.close();
      server.closeAllConnections();
      await new Promise<void>((r) => server.close(() => r()));
    },
  };
}

/**
 * The path of a report under `reportsDir` for a URL segment, or null: only plain names
 * (letters, digits, dot, dash, underscore) ending .html/.pdf, that resolve inside the folder
 * (no traversal, no links out of it) and are regular files.
 */
export function reportFile(reportsDir: string, segment: string): string | null {
  let name: string;
  try {
    name = decodeURIComponent(segment);
  } catch {
    return null;
  }
  if (!/^[A-Za-z0-9][A-Za-z0-9._-]{0,200}\.(html|pdf)$/.test(name) || name.includes('..')) return null;
  const root = resolve(reportsDir);
  const file = resolve(root, name);
  if (!file.startsWith(root + sep)) return null;
  try {
    const real = realpathSync(file);
    const realRoot = realpathSync(root);
    if (!real.startsWith(realRoot + sep) || !statSync(real).isFile()) return null;
    return real;
  } catch {
    return null;
  }
}

/** A file name safe to create: the last path part, odd characters replaced, no leading dots. */
export function sanitiseUploadName(name: string): string {
  const base = basename(name.replace(/\\/g, '/'))
    .replace(/[^A-Za-z0-9._ ()-]/g, '_')
    .replace(/^[.\s]+/, '')
    .slice(0, 200)
    .trim();
  return base === '' ? 'upload' : base;
}

/** A client-chosen id that puts the files picked together into one upload folder. */
const UPLOAD_BATCH = /^[A-Za-z0-9_-]{8,64}$/;

/** `name` in `dir`, or "stem-2.ext", "stem-3.ext" … when a file of the batch already has it. */
function freeName(dir: string, name: string): string {
  if (!existsSync(join(dir, name))) return name;
  const dot = name.lastIndexOf('.');
  const [stem, ext] = dot > 0 ? [name.slice(0, dot), name.slice(dot)] : [name, ''];
  for (let i = 2; ; i++) if (!existsSync(join(dir, `${stem}-${i}${ext}`))) return `${stem}-${i}${ext}`;
}

/**
 * Streams a request body to `<uploads>/<random>/<sanitised name>` and returns the
 * server-side path (for datasets.detect / preview / import). Files sent with the same
 * `batch` (picked together in the import wizard) share one folder, so the files of one
 * export (Nightscout entries, treatments and profile) import together whatever their order.
 * Over `limit` bytes the partial file is removed and a 413 is thrown.
 */
function receiveUpload(
  req: IncomingMessage,
  name: string,
  uploadsDir: string,
  limit: number,
  batch: string | null = null,
): Promise<{ path: string; name: string; bytes: number }> {
  const tooLarge = (bytes: number): StudioError =>
    new StudioError(
      'INVALID_INPUT',
      `The file is ${bytes} bytes or more, over the ${limit}-byte upload limit. Import it with the CLI (\`ttm-studio import\`) instead.`,
      {
        httpStatus: 413,
      },
    );
  const declared = Number(req.headers['content-length'] ?? '0');
  if (declared > limit) return Promise.reject(tooLarge(declared));
  const dir = join(uploadsDir, batch ?? randomBytes(9).toString('base64url'));
  mkdirSync(dir, { recursive: true });
  const safe = freeName(dir, sanitiseUploadName(name));
  const path = join(dir, safe);
  const out = createWriteStream(path, { flags: 'wx' });
  return new Promise((resolveUpload, reject) => {
    let size = 0;
    let settled = false;
    const fail = (err: Error): void => {
      if (settled) return;
      settled = true;
      req.unpipe(out);
      out.destroy();
      // A batch folder holds the other files of the pick: remove only this one.
      if (batch === null) rmSync(dir, { recursive: true, force: true });
      else rmSync(path, { force: true });
      reject(err);
    };
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size > limit) fail(tooLarge(size));
    });
    req.on('close', () => {
      if (!req.complete) fail(new StudioError('IO', 'The upload was interrupted.'));
    });
    req.on('error', fail);
    out.on('error', (e) => fail(new StudioError('IO', `Cannot save the upload: ${e.message}`)));
    out.on('finish', () => {
      if (settled) return;
      settled = true;
      resolveUpload({ path, name: safe, bytes: size });
    });
    req.pipe(out);
  });
}
