import { Command, CommanderError } from 'commander';
import { renderErrorMessage, StudioError, toStudioError } from '../engine/errors.js';
import { MAX_MODEL_PARAMETERS } from '../engine/ttm/checkpoint.js';
import { appVersion } from '../engine/system.js';
import { COMMANDS } from './commands/index.js';
import { exitCodeFor, exitCodeHelp } from './exit-codes.js';

const modelLimitsHelp = (): string =>
  [
    '',
    'Model folders (models import, models pull, the web API) are untrusted input: config.json and',
    'model.safetensors must be regular files (no devices, FIFOs or sockets); config.json is at most 1 MB,',
    "the weights at most what the config's parameter count needs; models above",
    `${MAX_MODEL_PARAMETERS.toLocaleString('en-US')} parameters and weights holding NaN or Infinity are refused.`,
  ].join('\n');

export function buildProgram(): Command {
  const program = new Command('ttm-studio')
    .description('TTM Studio: import CGM data, check it, fine-tune TinyTimeMixer and evaluate glucose forecasts.')
    .version(appVersion(), '-V, --version')
    .option('--data-dir <dir>', "data directory holding the SQLite store, models and runs (env TTM_STUDIO_DATA_DIR; default: the desktop app's)")
    .option('--json', 'print the result as JSON on stdout (for scripts)')
    .option('-v, --verbose', 'log details to stderr')
    .showHelpAfterError('(run with --help for usage)')
    .exitOverride();
  program.addHelpText('after', () => exitCodeHelp() + '\n' + modelLimitsHelp());
  for (const register of COMMANDS) register(program);
  for (const c of program.commands) c.exitOverride();
  return program;
}

/**
 * Prints a failure and returns its exit code (EXIT_CODES): one line on stderr, control
 * characters escaped and excerpts capped (renderErrorMessage); with --json also on stdout.
 */
export function reportError(e: unknown, json: boolean, stdout: NodeJS.WritableStream = process.stdout, stderr: NodeJS.WritableStream = process.stderr): number {
  const err = toStudioError(e);
  if (json) stdout.write(JSON.stringify({ error: err.toJSON() }) + '\n');
  stderr.write(`ttm-studio: ${renderErrorMessage(err.message)}\n`);
  if (!(e instanceof StudioError) && process.env.TTM_STUDIO_DEBUG === '1' && e instanceof Error && e.stack !== undefined) stderr.write(e.stack + '\n');
  return exitCodeFor(err.code);
}

/** Runs the CLI and returns the process exit code; errors become one line on stderr. */
export async function main(argv: readonly string[]): Promise<number> {
  const program = buildProgram();
  try {
    await program.parseAsync([...argv], { from: 'user' });
    return 0;
  } catch (e) {
    if (e instanceof CommanderError) {
      // help/version exit with 0; usage errors were already printed by commander
      return e.exitCode === 0 ? 0 : 2;
    }
    return reportError(e, argv.includes('--json'));
  }
}
