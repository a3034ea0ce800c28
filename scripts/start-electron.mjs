// `npm start`: opens the desktop app. Electron's binary is downloaded on first launch (the
// npm package no longer fetches it at install time); where it cannot be had — no internet,
// or GitHub unreachable as on CI — say so in one line and point to the web host.
import { spawn, spawnSync } from 'node:child_process';
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
const root = new URL('..', import.meta.url).pathname;

import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';

// Read electron's own path.txt instead of require('electron'): requiring it triggers a noisy
// download attempt of its own.
function electronPath() {
  try {
    const dir = dirname(require.resolve('electron/package.json'));
    const rel = readFileSync(join(dir, 'path.txt'), 'utf8');
    const full = join(dir, 'dist', rel);
    return existsSync(full) ? full : null;
  } catch {
    return null;
  }
}

let binary = electronPath();
if (binary === null) {
  let installer = null;
  try {
    installer = require.resolve('electron/install.js');
  } catch {
    installer = null;
  }
  if (installer !== null) {
    if (process.stderr.isTTY) process.stderr.write('Electron binary not installed yet: downloading it once (about 100 MB)…\n');
    const r = spawnSync(process.execPath, [installer], { stdio: ['ignore', 'ignore', 'pipe'], timeout: 600_000 });
    if (r.status === 0) binary = electronPath();
  }
}
if (binary === null) {
  process.stderr.write(
    'TTM Studio: no Electron binary could be downloaded here (offline or GitHub unreachable); run `npm run web` to use the app in your browser instead.\n',
  );
  process.exit(1);
}
const child = spawn(binary, [root, ...process.argv.slice(2)], { stdio: 'inherit' });
child.on('exit', (code, signal) => process.exit(code ?? (signal ? 1 : 0)));
