/**
 * `npm run dist` where Electron's binaries cannot be downloaded (an offline machine): the
 * packaging step (scripts/dist.mjs, what `npm run dist` runs after the build) must stop within
 * a minute with one clear line and a non-zero exit, before staging or rebuilding anything, and
 * leave the developer's node_modules as it was: the CLI still opens its SQLite store.
 */
import { spawn, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, rmSync } from 'node:fs';
import { createServer, type Server, type Socket } from 'node:net';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { REPO_ROOT, tempDir } from '../../helpers/tmp.js';

const NATIVE = join(REPO_ROOT, 'node_modules/better-sqlite3/build/Release/better_sqlite3.node');
const STAGE = join(REPO_ROOT, 'build/dist-app');
const sha = (p: string): string => createHash('sha256').update(readFileSync(p)).digest('hex');

let tmp: { dir: string; cleanup: () => void };
let silent: Server;
let silentPort: number;
const sockets: Socket[] = [];
let nativeBefore: string;

/** Runs the packaging step; resolves with its exit code, output and wall time. */
function dist(env: Record<string, string>): Promise<{ code: number | null; stdout: string; stderr: string; ms: number }> {
  const t0 = Date.now();
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [join(REPO_ROOT, 'scripts/dist.mjs')], {
      cwd: REPO_ROOT,
      env: { ...process.env, ELECTRON_CACHE: join(tmp.dir, 'empty-cache'), ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    const killer = setTimeout(() => child.kill('SIGKILL'), 90_000);
    child.on('exit', (code) => {
      clearTimeout(killer);
      resolve({ code, stdout, stderr, ms: Date.now() - t0 });
    });
  });
}

beforeAll(async () => {
  tmp = tempDir('ttm-dist-');
  mkdirSync(join(tmp.dir, 'empty-cache'));
  rmSync(STAGE, { recursive: true, force: true });
  nativeBefore = sha(NATIVE);
  // A mirror that accepts connections and never answers (a black-holing firewall).
  silent = createServer((s) => sockets.push(s));
  await new Promise<void>((r) => silent.listen(0, '127.0.0.1', r));
  silentPort = (silent.address() as { port: number }).port;
});

afterAll(async () => {
  for (const s of sockets) s.destroy();
  await new Promise((r) => silent.close(r));
  tmp.cleanup();
});

describe('npm run dist without Electron downloads', () => {
  it('a mirror that never answers: one line naming Electron and what to do, exit 1, well within a minute', async () => {
    const r = await dist({ ELECTRON_MIRROR: `http://127.0.0.1:${silentPort}/`, DIST_PROBE_TIMEOUT_MS: '3000' });
    expect(r.code).toBe(1);
    expect(r.ms).toBeLessThan(60_000);
    const lines = r.stderr.trimEnd().split('\n');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(
      /^npm run dist: cannot download Electron \d+\.\d+\.\d+ for \w+-\w+ from http:\/\/127\.0\.0\.1:\d+\/v[\d.]+\/electron-v[\d.]+-\w+-\w+\.zip \(no answer within 3 s\); nothing was built/,
    );
    expect(lines[0]).toMatch(/Set ELECTRON_MIRROR \(or HTTPS_PROXY\), or put electron-v[\d.]+-\w+-\w+\.zip into /);
    expect(r.stdout).toBe('');
  }, 90_000);

  it('a refused connection fails the same way, at once', async () => {
    const closed = createServer();
    await new Promise<void>((r) => closed.listen(0, '127.0.0.1', r));
    const port = (closed.address() as { port: number }).port;
    await new Promise((r) => closed.close(r));
    const r = await dist({ ELECTRON_MIRROR: `http://127.0.0.1:${port}/` });
    expect(r.code).toBe(1);
    expect(r.ms).toBeLessThan(30_000);
    expect(r.stderr.trimEnd().split('\n')).toHaveLength(1);
    expect(r.stderr).toMatch(/cannot download Electron .*\(ECONNREFUSED\)/);
  }, 60_000);

  it('nothing was staged or rebuilt: node_modules is untouched and the CLI still works', () => {
    expect(existsSync(STAGE)).toBe(false);
    expect(sha(NATIVE)).toBe(nativeBefore);
    const r = spawnSync(process.execPath, [join(REPO_ROOT, 'bin/ttm-studio.js'), '--data-dir', join(tmp.dir, 'data'), '--json', 'datasets', 'list'], {
      cwd: REPO_ROOT,
      encoding: 'utf8',
      timeout: 60_000,
    });
    expect(r.status, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout)).toEqual(expect.any(Array));
  });

  it('packages a staged copy and has what the configuration references', () => {
    const config = parse(readFileSync(join(REPO_ROOT, 'electron-builder.yml'), 'utf8')) as {
      directories: { app: string; buildResources: string };
      linux: { icon: string };
      mac: { icon: string };
      win: { icon: string };
    };
    // electron-builder rebuilds native modules in the staged app, never in the project's node_modules.
    expect(config.directories.app).toBe('build/dist-app');
    const pkg = JSON.parse(readFileSync(join(REPO_ROOT, 'package.json'), 'utf8')) as { author?: string; scripts: Record<string, string> };
    expect(pkg.author).toEqual(expect.any(String));
    expect(pkg.scripts.dist).toContain('scripts/dist.mjs');
    expect(existsSync(join(REPO_ROOT, config.linux.icon, '512x512.png'))).toBe(true);
    for (const icon of [config.mac.icon, config.win.icon]) {
      const png = readFileSync(join(REPO_ROOT, icon));
      expect(png.subarray(1, 4).toString()).toBe('PNG');
      expect(png.readUInt32BE(16)).toBeGreaterThanOrEqual(512); // width: macOS needs 512 px or more
    }
  });
});
