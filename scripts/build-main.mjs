// Transpiles the Node-side TypeScript (src-main, bench, scripts/models) to build/ with esbuild, file by file
// (no bundling: native modules and worker entry points keep their paths). Type checking is
// `npm run typecheck`'s job. The Electron preload is bundled to one CommonJS file because a
// sandboxed preload cannot load ES modules or other files.
import { build } from 'esbuild';
import { readdirSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';

const root = new URL('..', import.meta.url).pathname;

function tsFiles(dir) {
  const out = [];
  for (const name of readdirSync(join(root, dir))) {
    const rel = join(dir, name);
    if (statSync(join(root, rel)).isDirectory()) out.push(...tsFiles(rel));
    else if (name.endsWith('.ts') && !name.endsWith('.d.ts')) out.push(rel);
  }
  return out;
}

rmSync(join(root, 'build/src-main'), { recursive: true, force: true });
rmSync(join(root, 'build/bench'), { recursive: true, force: true });
rmSync(join(root, 'build/scripts'), { recursive: true, force: true });

// scripts/models: the bundled models' training recipes (npm run model:train-bundled / model:train-sim).
const entryPoints = [...tsFiles('src-main'), ...tsFiles('bench'), ...tsFiles('scripts/models')].filter((f) => !f.endsWith('preload.ts'));
await build({
  absWorkingDir: root,
  entryPoints,
  outdir: 'build',
  outbase: '.',
  format: 'esm',
  platform: 'node',
  target: 'node20',
  sourcemap: 'linked',
  logLevel: 'warning',
});
await build({
  absWorkingDir: root,
  entryPoints: ['src-main/app/preload.ts'],
  outfile: 'build/src-main/app/preload.cjs',
  bundle: true,
  format: 'cjs',
  platform: 'node',
  target: 'node20',
  external: ['electron'],
  sourcemap: 'linked',
  logLevel: 'warning',
});
