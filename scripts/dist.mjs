// `npm run dist` (after `npm run build`): packages the desktop app with electron-builder
// without ever touching the developer's node_modules.
//
// 1. Preflight, in seconds: Electron's binary for this platform must be in the cache or
//    downloadable (ELECTRON_MIRROR honoured). If not, one line on stderr and exit 1, before
//    anything is copied or built: electron-builder would otherwise retry for ten minutes.
// 2. Stage the app in build/dist-app/ (package.json without devDependencies, bin/, the
//    compiled main process and renderer, and a copy of the production dependencies).
// 3. electron-builder packages the staged app (electron-builder.yml: directories.app), so the
//    rebuild of better-sqlite3 for Electron's ABI happens in the staged copy only: the CLI
//    and tests keep their Node build.
//
// Options: --preflight-only (steps 1 only), --stage-only (1 and 2), anything else is passed to
// electron-builder. Environment: ELECTRON_MIRROR, ELECTRON_CACHE, DIST_PROBE_TIMEOUT_MS.
import { spawn } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { homedir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const require = createRequire(join(root, 'package.json'));
const args = process.argv.slice(2);
const fail = (line) => {
  process.stderr.write(`npm run dist: ${line}\n`);
  process.exit(1);
};

const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));
let electronVersion;
try {
  electronVersion = JSON.parse(readFileSync(require.resolve('electron/package.json'), 'utf8')).version;
} catch {
  fail('the electron package is not installed; run `npm install` first.');
}
const platform = process.env.npm_config_platform ?? process.platform;
const arch = process.env.npm_config_arch ?? process.arch;
const zipName = `electron-v${electronVersion}-${platform}-${arch}.zip`;

/** Where @electron/get keeps downloads (ELECTRON_CACHE, else the per-OS cache folder). */
function electronCacheDir() {
  if (process.env.ELECTRON_CACHE) return process.env.ELECTRON_CACHE;
  if (process.platform === 'darwin') return join(homedir(), 'Library', 'Caches', 'electron');
  if (process.platform === 'win32') return join(process.env.LOCALAPPDATA ?? join(homedir(), 'AppData', 'Local'), 'electron', 'Cache');
  return join(process.env.XDG_CACHE_HOME ?? join(homedir(), '.cache'), 'electron');
}

/** True when the zip lies in the cache folder or one level below it (@electron/get hashes the URL into a folder). */
function cached(dir) {
  if (!existsSync(dir)) return false;
  if (existsSync(join(dir, zipName))) return true;
  for (const d of readdirSync(dir)) {
    const p = join(dir, d);
    try {
      if (statSync(p).isDirectory() && existsSync(join(p, zipName))) return true;
    } catch {
      /* unreadable entry */
    }
  }
  return false;
}

async function preflight() {
  const cacheDir = electronCacheDir();
  if (cached(cacheDir)) return;
  const mirror = (process.env.ELECTRON_MIRROR ?? 'https://github.com/electron/electron/releases/download/').replace(/\/?$/, '/');
  const customDir = process.env.ELECTRON_CUSTOM_DIR ?? `v${electronVersion}`;
  const url = `${mirror}${customDir}/${zipName}`;
  const timeoutMs = Number(process.env.DIST_PROBE_TIMEOUT_MS ?? 20_000);
  let problem = null;
  try {
    const res = await fetch(url, { method: 'HEAD', redirect: 'follow', signal: AbortSignal.timeout(timeoutMs) });
    if (!res.ok) problem = `the server answered ${res.status}`;
  } catch (e) {
    const cause = e?.cause?.code ?? e?.cause?.message ?? e?.message ?? String(e);
    problem = e?.name === 'TimeoutError' ? `no answer within ${Math.round(timeoutMs / 1000)} s` : String(cause);
  }
  if (problem !== null) {
    fail(
      `cannot download Electron ${electronVersion} for ${platform}-${arch} from ${url} (${problem}); nothing was built and node_modules is untouched. ` +
        `Set ELECTRON_MIRROR (or HTTPS_PROXY), or put ${zipName} into ${cacheDir}, then run it again.`,
    );
  }
}

/** Production dependencies of the app, with their own dependencies, as folders under node_modules. */
function productionPackages() {
  const out = new Map();
  const visit = (name, fromDir) => {
    let manifest;
    try {
      manifest = createRequire(join(fromDir, 'package.json')).resolve(`${name}/package.json`);
    } catch {
      return; // optional or platform-specific dependency that is not installed
    }
    const dir = dirname(manifest);
    if (out.has(dir)) return;
    out.set(dir, name);
    const m = JSON.parse(readFileSync(manifest, 'utf8'));
    for (const dep of Object.keys({ ...(m.dependencies ?? {}), ...(m.optionalDependencies ?? {}) })) visit(dep, dir);
  };
  for (const dep of Object.keys(pkg.dependencies ?? {})) visit(dep, root);
  return out;
}

function stage() {
  const app = join(root, 'build', 'dist-app');
  rmSync(app, { recursive: true, force: true });
  mkdirSync(app, { recursive: true });
  for (const rel of ['bin', 'build/src-main', 'build/renderer']) {
    if (!existsSync(join(root, rel))) fail(`${rel}/ is missing: run \`npm run build\` first.`);
    cpSync(join(root, rel), join(app, rel), { recursive: true, filter: (src) => !src.endsWith('.map') && !src.includes(`${join('build', 'bench')}`) });
  }
  const { devDependencies: _dev, scripts: _scripts, allowScripts: _allow, ...rest } = pkg;
  writeFileSync(join(app, 'package.json'), `${JSON.stringify({ ...rest, scripts: {} }, null, 2)}\n`);
  const modules = join(root, 'node_modules');
  for (const dir of productionPackages().keys()) {
    const rel = dir.slice(modules.length + 1);
    // Build leftovers of the Node build are not shipped: electron-builder rebuilds the staged copy.
    cpSync(dir, join(app, 'node_modules', rel), {
      recursive: true,
      dereference: true,
      filter: (src) => !/[\\/]build[\\/](Debug|deps|obj|obj\.target)([\\/]|$)/.test(src),
    });
  }
  return app;
}

await preflight();
if (args.includes('--preflight-only')) process.exit(0);
const app = stage();
if (args.includes('--stage-only')) {
  process.stdout.write(`${app}\n`);
  process.exit(0);
}
const builder = require.resolve('electron-builder/cli.js');
const child = spawn(process.execPath, [builder, '--config', 'electron-builder.yml', ...args], { cwd: root, stdio: 'inherit' });
child.on('exit', (code, signal) => process.exit(code ?? (signal ? 1 : 0)));
