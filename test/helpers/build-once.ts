import { execFileSync } from 'node:child_process';
import { REPO_ROOT } from './tmp.js';

/**
 * vitest globalSetup for integration and e2e tests: child processes (CLI, worker, crash
 * writer) run the compiled JavaScript, so compile src-main first (esbuild, ~1 s).
 */
export default function setup(): void {
  execFileSync(process.execPath, ['scripts/build-main.mjs'], { cwd: REPO_ROOT, stdio: 'inherit' });
}
