/**
 * Downloads a TTM checkpoint (config.json + model.safetensors) from the Hugging Face hub into
 * the app's cache, `<cacheRoot>/<owner>/<name>/<revision>/`.
 *
 * - URL: `<endpoint>/<repo>/resolve/<revision>/<file>`; endpoint from the option, `HF_ENDPOINT`,
 *   or https://huggingface.co; token from the option or `HF_TOKEN` (sent as a Bearer header to
 *   the hub's origin only — redirects to a CDN on another origin do not get it).
 * - Resumable: bytes go to `<file>.partial` in a staging directory that survives interruptions;
 *   the next attempt (automatic retries, or a later call) continues with an HTTP Range request.
 *   206 appends, 200 (server ignored Range or the file changed: If-Range) restarts, 416 means
 *   the partial already holds the whole file (or is stale and is discarded).
 * - Verified before use: config.json must validate and model.safetensors must parse and match
 *   the config's parameter table; only then is the staging directory renamed into the cache.
 */
import { mkdir, open, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { StudioError, cancelledError } from '../errors.js';
import { replaceDirectory } from '../util/atomic-write.js';
import { MAX_JSON_FILE_BYTES, checkModelSize, loadCheckpoint, maxWeightsFileBytes, readRegularFile, type LoadedCheckpoint } from './checkpoint.js';
import { parseHfConfigJson } from './hf-config.js';

export const DEFAULT_HF_ENDPOINT = 'https://huggingface.co';
export const HUB_FILES = ['config.json', 'model.safetensors'] as const;

export interface DownloadProgress {
  file: string;
  bytesDone: number;
  /** null while the server has not said how large the file is. */
  bytesTotal: number | null;
}

export interface HubDownloadOptions {
  repo: string;
  revision?: string;
  /** The app data dir's `models/hub`. */
  cacheRoot: string;
  endpoint?: string;
  token?: string;
  signal?: AbortSignal;
  onProgress?: (p: DownloadProgress) => void;
  /** Download again even when the cache has this revision. */
  force?: boolean;
  /** Extra attempts after a network failure or a 5xx (default 3). */
  retries?: number;
  /** Abort an attempt when no bytes arrive for this long (default 60 s). */
  idleTimeoutMs?: number;
  /** Delay before retry n is `retryDelayMs · n` (default 500 ms). */
  retryDelayMs?: number;
}

export interface HubModel {
  dir: string;
  repo: string;
  revision: string;
  fromCache: boolean;
  checkpoint: LoadedCheckpoint;
}

const REPO_RE = /^[A-Za-z0-9][A-Za-z0-9._-]*\/[A-Za-z0-9][A-Za-z0-9._-]*$/;
const REVISION_RE = /^[A-Za-z0-9][A-Za-z0-9._-]*$/;

export function resolveEndpoint(endpoint?: string): string {
  const e = endpoint ?? process.env.HF_ENDPOINT ?? DEFAULT_HF_ENDPOINT;
  try {
    const u = new URL(e);
    if (u.protocol !== 'https:' && u.protocol !== 'http:') throw new Error('not http(s)');
  } catch {
    throw new StudioError('INVALID_INPUT', `The hub endpoint "${e}" is not an http(s) URL.`);
  }
  return e.replace(/\/+$/, '');
}

function checkNames(repo: string, revision: string): void {
  if (!REPO_RE.test(repo) || repo.includes('..')) throw new StudioError('INVALID_INPUT', `"${repo}" is not a Hugging Face repository name (owner/name).`);
  if (!REVISION_RE.test(revision) || revision.includes('..')) {
    throw new StudioError(
      'INVALID_INPUT',
      `Revision "${revision}" is not supported (use a branch or tag name of letters, digits, ".", "_" and "-", or a commit hash).`,
    );
  }
}

export function hubCacheDir(cacheRoot: string, repo: string, revision: string): string {
  checkNames(repo, revision);
  const [owner, name] = repo.split('/');
  return join(cacheRoot, owner, name, revision);
}

export function hubFileUrl(endpoint: string, repo: string, revision: string, file: string): string {
  return `${endpoint}/${repo}/resolve/${encodeURIComponent(revision)}/${file}`;
}

class RetryableError extends Error {}

interface PartialMeta {
  url: string;
  etag: string | null;
  total: number | null;
}

async function fileSize(path: string): Promise<number> {
  try {
    return (await stat(path)).size;
  } catch {
    return 0;
  }
}

async function readMeta(path: string): Promise<PartialMeta | null> {
  try {
    const raw: unknown = JSON.parse(await readFile(path, 'utf8'));
    if (raw !== null && typeof raw === 'object' && typeof (raw as PartialMeta).url === 'string') return raw as PartialMeta;
  } catch {
    // Missing or unreadable: resume without the ETag check.
  }
  return null;
}

function httpError(
  status: number,
  ctx: { repo: string; revision: string; file: string; url: string; hadToken: boolean; hubMessage: string | null },
): StudioError {
  const what = `"${ctx.file}" of ${ctx.repo} at revision "${ctx.revision}"`;
  const hub = ctx.hubMessage ? ` The hub says: ${ctx.hubMessage}` : '';
  if (status === 404) {
    return new StudioError(
      'NOT_FOUND',
      `${what} was not found (HTTP 404 from ${ctx.url}). Check the repository name, the revision (branch) and that the file exists there.${hub}`,
      { ...ctx, status },
    );
  }
  if (status === 401 || status === 403) {
    const advice = ctx.hadToken
      ? "The access token was rejected or has no access to this repository: check HF_TOKEN (or the token setting) and that you accepted the model's terms on huggingface.co."
      : 'The repository may be gated or private: set HF_TOKEN (or the token setting) to a Hugging Face access token with read access.';
    return new StudioError('UNAUTHORIZED', `Access to ${what} was denied (HTTP ${status}). ${advice}${hub}`, { ...ctx, status });
  }
  return new StudioError('IO', `Downloading ${what} failed with HTTP ${status} from ${ctx.url}.${hub}`, { ...ctx, status });
}

interface FileJob {
  repo: string;
  revision: string;
  file: string;
  url: string;
  dest: string;
  token: string | undefined;
  signal: AbortSignal | undefined;
  idleTimeoutMs: number;
  onProgress: ((p: DownloadProgress) => void) | undefined;
  /** Filled from the hub's x-repo-commit header: the commit the revision resolved to. */
  resolved: { commit: string | null };
  /** The file may not be larger than this (a server streaming forever is cut off). */
  maxBytes: number;
}

function tooLarge(job: FileJob, bytes: number): StudioError {
  return new StudioError(
    'MODEL',
    `"${job.file}" of ${job.repo}@${job.revision} is larger than the ${job.maxBytes.toLocaleString('en-US')} bytes a TTM checkpoint can need (${bytes.toLocaleString('en-US')} bytes or more); download stopped.`,
    { url: job.url, limit: job.maxBytes },
  );
}

/** Follows redirects by hand so the token never leaves the hub's origin. */
async function request(job: FileJob, headers: Record<string, string>, controller: AbortController): Promise<Response> {
  let url = job.url;
  const origin = new URL(job.url).origin;
  for (let hop = 0; hop < 10; hop++) {
    const h: Record<string, string> = { ...headers };
    if (job.token && new URL(url).origin === origin) h.authorization = `Bearer ${job.token}`;
    let res: Response;
    try {
      res = await fetch(url, { headers: h, redirect: 'manual', signal: controller.signal });
    } catch (e) {
      if (job.signal?.aborted) throw cancelledError(`Downloading ${job.file}`);
      throw new RetryableError(`network error: ${(e as Error).message}`);
    }
    if (res.status >= 300 && res.status < 400 && res.headers.has('location')) {
      await res.body?.cancel();
      url = new URL(res.headers.get('location') as string, url).toString();
      continue;
    }
    return res;
  }
  throw new StudioError('IO', `Too many redirects while downloading ${job.url}.`);
}

/** One attempt: continue `<dest>.partial` from its current size. Returns when the file is complete. */
async function attempt(job: FileJob, restartedOnce: { value: boolean }): Promise<void> {
  const partial = `${job.dest}.partial`;
  const metaPath = `${job.dest}.partial.json`;
  let offset = await fileSize(partial);
  const meta = offset > 0 ? await readMeta(metaPath) : null;
  const headers: Record<string, string> = { 'accept-encoding': 'identity', 'user-agent': 'ttm-studio' };
  if (offset > 0) {
    headers.range = `bytes=${offset}-`;
    // If-Range needs a strong validator; with it a changed file comes back whole (200).
    if (meta?.etag && !meta.etag.startsWith('W/')) headers['if-range'] = meta.etag;
  }
  const controller = new AbortController();
  const onAbort = () => controller.abort();
  job.signal?.addEventListener('abort', onAbort, { once: true });
  let idle: NodeJS.Timeout | undefined;
  const armIdle = () => {
    clearTimeout(idle);
    idle = setTimeout(() => controller.abort(), job.idleTimeoutMs);
  };
  try {
    armIdle();
    const res = await request(job, headers, controller);
    const hubMessage = res.headers.get('x-error-message');
    job.resolved.commit ??= res.headers.get('x-repo-commit');
    const ctx = { repo: job.repo, revision: job.revision, file: job.file, url: job.url, hadToken: Boolean(job.token), hubMessage };
    if (res.status === 416) {
      await res.body?.cancel();
      const m = /\*\/(\d+)/.exec(res.headers.get('content-range') ?? '');
      if (m !== null && Number(m[1]) === offset) return; // the partial is already the whole file
      if (restartedOnce.value) throw new StudioError('IO', `The server refused to resume ${job.file} (HTTP 416) twice.`);
      restartedOnce.value = true;
      await rm(partial, { force: true });
      throw new RetryableError('range not satisfiable; restarting');
    }
    if (res.status >= 500) {
      await res.body?.cancel();
      throw new RetryableError(`HTTP ${res.status}`);
    }
    if (res.status !== 200 && res.status !== 206) {
      await res.body?.cancel();
      throw httpError(res.status, ctx);
    }
    let total: number | null = null;
    if (res.status === 206) {
      const m = /^bytes (\d+)-(\d+)\/(\d+|\*)$/.exec(res.headers.get('content-range') ?? '');
      if (m === null || Number(m[1]) !== offset) {
        // Not the range we asked for: start over rather than splice wrong bytes.
        await res.body?.cancel();
        await rm(partial, { force: true });
        throw new RetryableError('unexpected Content-Range; restarting');
      }
      total = m[3] === '*' ? null : Number(m[3]);
    } else {
      offset = 0; // server ignored Range (or If-Range failed): the body is the whole file
      const len = res.headers.get('content-length');
      total = len !== null && /^\d+$/.test(len) ? Number(len) : null;
    }
    if (total !== null && total > job.maxBytes) {
      await res.body?.cancel();
      await rm(partial, { force: true });
      throw tooLarge(job, total);
    }
    const etag = res.headers.get('x-linked-etag') ?? res.headers.get('etag');
    if (offset === 0 || meta === null) await writeFile(metaPath, JSON.stringify({ url: job.url, etag, total } satisfies PartialMeta));
    const fh = await open(partial, offset === 0 ? 'w' : 'a');
    let done = offset;
    try {
      job.onProgress?.({ file: job.file, bytesDone: done, bytesTotal: total });
      if (res.body === null) throw new RetryableError('empty response body');
      const reader = res.body.getReader();
      for (;;) {
        let chunk: Awaited<ReturnType<typeof reader.read>>;
        try {
          chunk = await reader.read();
        } catch (e) {
          if (job.signal?.aborted) throw cancelledError(`Downloading ${job.file}`);
          throw new RetryableError(`connection lost after ${done} bytes: ${(e as Error).message}`);
        }
        if (chunk.done) break;
        armIdle();
        if (done + chunk.value.byteLength > job.maxBytes) {
          await reader.cancel().catch(() => undefined);
          await fh.truncate(0).catch(() => undefined);
          throw tooLarge(job, done + chunk.value.byteLength);
        }
        await fh.write(chunk.value);
        done += chunk.value.byteLength;
        job.onProgress?.({ file: job.file, bytesDone: done, bytesTotal: total });
      }
      await fh.sync();
    } finally {
      await fh.close();
    }
    if (total !== null && done !== total) throw new RetryableError(`received ${done} of ${total} bytes`);
  } finally {
    clearTimeout(idle);
    job.signal?.removeEventListener('abort', onAbort);
  }
}

async function downloadFile(job: FileJob, retries: number, retryDelayMs: number): Promise<void> {
  const restartedOnce = { value: false };
  for (let n = 0; ; n++) {
    if (job.signal?.aborted) throw cancelledError(`Downloading ${job.file}`);
    try {
      await attempt(job, restartedOnce);
      await rename(`${job.dest}.partial`, job.dest);
      await rm(`${job.dest}.partial.json`, { force: true });
      return;
    } catch (e) {
      if (!(e instanceof RetryableError)) throw e;
      if (n >= retries) {
        throw new StudioError(
          'IO',
          `Downloading "${job.file}" of ${job.repo}@${job.revision} failed (${e.message}). The partial file is kept; trying again resumes it.`,
          { url: job.url },
        );
      }
      await new Promise((r) => setTimeout(r, retryDelayMs * (n + 1)));
    }
  }
}

async function isDir(path: string): Promise<boolean> {
  try {
    return (await stat(path)).isDirectory();
  } catch {
    return false;
  }
}

/** Downloads in progress in this process, by cache directory: a second request joins the first. */
const inFlight = new Map<string, Promise<HubModel>>();

/** Downloads (or finds in the cache) a verified checkpoint for repo@revision. */
export async function downloadHubModel(options: HubDownloadOptions): Promise<HubModel> {
  const revision = options.revision ?? 'main';
  const dir = hubCacheDir(options.cacheRoot, options.repo, revision);
  const running = inFlight.get(dir);
  if (running) return running;
  const p = downloadOnce(options, revision, dir).finally(() => inFlight.delete(dir));
  inFlight.set(dir, p);
  return p;
}

function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * Cross-process lock on a staging directory (the CLI and the app may share a cache): a file
 * created exclusively, holding the owner's pid; a lock whose owner is gone is taken over.
 */
async function acquireLock(path: string, what: string): Promise<() => Promise<void>> {
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      const fh = await open(path, 'wx');
      await fh.writeFile(String(process.pid));
      await fh.close();
      return () => rm(path, { force: true });
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw new StudioError('IO', `Cannot lock ${path}: ${(e as Error).message}`, { path }, { cause: e });
      const owner = Number((await readFile(path, 'utf8').catch(() => '')).trim());
      if (Number.isInteger(owner) && owner > 0 && pidAlive(owner)) {
        throw new StudioError('CONFLICT', `${what} is already being downloaded by another process (pid ${owner}); wait for it to finish.`, {
          path,
          pid: owner,
        });
      }
      await rm(path, { force: true });
    }
  }
  throw new StudioError('CONFLICT', `Cannot take the download lock ${path}.`, { path });
}

async function downloadOnce(options: HubDownloadOptions, revision: string, dir: string): Promise<HubModel> {
  const { repo } = options;
  if (!options.force && (await isDir(dir))) {
    return { dir, repo, revision, fromCache: true, checkpoint: await loadCheckpoint(dir) };
  }
  const endpoint = resolveEndpoint(options.endpoint);
  const token = options.token ?? (process.env.HF_TOKEN || undefined);
  const staging = join(options.cacheRoot, ...repo.split('/'), `.${revision}.download`);
  await mkdir(staging, { recursive: true });
  const unlock = await acquireLock(`${staging}.lock`, `${repo}@${revision}`);
  try {
    return await downloadInto(options, { repo, revision, dir, endpoint, token, staging });
  } finally {
    await unlock();
  }
}

async function weightsLimitFromStagedConfig(staging: string, repo: string, revision: string): Promise<number> {
  const path = join(staging, 'config.json');
  try {
    const text = await readRegularFile(path, MAX_JSON_FILE_BYTES, 'config.json');
    if (text === null) throw new StudioError('MODEL', 'config.json is missing.');
    const config = parseHfConfigJson(text.toString('utf8'), 'config.json');
    checkModelSize(config, 'config.json');
    return maxWeightsFileBytes(config);
  } catch (e) {
    await rm(staging, { recursive: true, force: true });
    const msg = e instanceof Error ? e.message : String(e);
    throw new StudioError(
      e instanceof StudioError ? e.code : 'MODEL',
      `The config.json downloaded for ${repo}@${revision} is not usable: ${msg}`,
      { repo, revision },
      { cause: e },
    );
  }
}

async function downloadInto(
  options: HubDownloadOptions,
  ctx: { repo: string; revision: string; dir: string; endpoint: string; token: string | undefined; staging: string },
): Promise<HubModel> {
  const { repo, revision, dir, endpoint, token, staging } = ctx;
  const resolved: { commit: string | null } = { commit: null };
  for (const file of HUB_FILES) {
    const dest = join(staging, file);
    if (await fileSize(dest)) continue; // finished by an earlier, interrupted call
    let maxBytes = MAX_JSON_FILE_BYTES;
    if (file === 'model.safetensors') {
      // Bounded by the (already downloaded) config's parameter count; a bad config stops here.
      maxBytes = await weightsLimitFromStagedConfig(staging, repo, revision);
    }
    await downloadFile(
      {
        repo,
        revision,
        file,
        url: hubFileUrl(endpoint, repo, revision, file),
        dest,
        token,
        signal: options.signal,
        idleTimeoutMs: options.idleTimeoutMs ?? 60_000,
        onProgress: options.onProgress,
        resolved,
        maxBytes,
      },
      options.retries ?? 3,
      options.retryDelayMs ?? 500,
    );
  }
  let checkpoint: LoadedCheckpoint;
  try {
    checkpoint = await loadCheckpoint(staging);
  } catch (e) {
    // Bad content will not get better by resuming: drop it so the next try starts clean.
    await rm(staging, { recursive: true, force: true });
    const msg = e instanceof Error ? e.message : String(e);
    throw new StudioError(
      e instanceof StudioError ? e.code : 'MODEL',
      `The files downloaded for ${repo}@${revision} are not a usable TTM checkpoint: ${msg}`,
      { repo, revision },
      { cause: e },
    );
  }
  await writeFile(
    join(staging, 'source.json'),
    `${JSON.stringify({ repo, revision, commit: resolved.commit, endpoint, downloadedAt: new Date().toISOString() }, null, 2)}\n`,
  );
  // The old copy (force) is moved aside first, removed only after the swap, put back if it fails.
  await replaceDirectory(staging, dir);
  return { dir, repo, revision, fromCache: false, checkpoint: { ...checkpoint } };
}
