import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { REPO_ROOT } from './tmp.js';

const run = promisify(execFile);

/** What a CLI run printed and how it exited. */
export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** How to run the CLI: variables added to this process's environment, a time limit in ms. */
export interface CliOptions {
  env?: NodeJS.ProcessEnv;
  timeout?: number;
}

/** Runs the built `ttm-studio` with exactly `args` from the repo root; a non-zero exit is returned, not thrown. */
export async function runCli(args: readonly string[], options: CliOptions = {}): Promise<CliResult> {
  try {
    const r = await run(process.execPath, [join(REPO_ROOT, 'bin/ttm-studio.js'), ...args], {
      cwd: REPO_ROOT,
      ...(options.env === undefined ? {} : { env: { ...process.env, ...options.env } }),
      ...(options.timeout === undefined ? {} : { timeout: options.timeout }),
    });
    return { code: 0, stdout: r.stdout, stderr: r.stderr };
  } catch (e) {
    const err = e as CliResult;
    return { code: err.code, stdout: err.stdout, stderr: err.stderr };
  }
}

/** Runs the built `ttm-studio` with `--data-dir`; a non-zero exit is returned, not thrown. */
export function cli(dataDir: string, args: readonly string[], options: CliOptions = {}): Promise<CliResult> {
  return runCli(['--data-dir', dataDir, ...args], options);
}
