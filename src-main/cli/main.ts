import { Command, CommanderError } from 'commander';
import { StudioError, toStudioError, type StudioErrorCode } from '../engine/errors.js';
import { appVersion } from '../engine/system.js';
import { COMMANDS } from './commands/index.js';

const EXIT_CODES: Partial<Record<StudioErrorCode, number>> = {
  INVALID_INPUT: 2,
  NOT_FOUND: 3,
  CONFLICT: 4,
  SCHEMA_TOO_NEW: 5,
  PARSE: 6,
  CANCELLED: 130,
};

export function buildProgram(): Command {
  const program = new Command('ttm-studio')
    .description('TTM Studio: import CGM data, check it, fine-tune TinyTimeMixer and evaluate glucose forecasts.')
    .version(appVersion(), '-V, --version')
    .option('--data-dir <dir>', "data directory holding the SQLite store, models and runs (env TTM_STUDIO_DATA_DIR; default: the desktop app's)")
    .option('--json', 'print the result as JSON on stdout (for scripts)')
    .option('-v, --verbose', 'log details to stderr')
    .showHelpAfterError('(run with --help for usage)')
    .exitOverride();
  for (const register of COMMANDS) register(program);
  for (const c of program.commands) c.exitOverride();
  return program;
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
    const err = toStudioError(e);
    const json = argv.includes('--json');
    if (json) process.stdout.write(JSON.stringify({ error: err.toJSON() }) + '\n');
    process.stderr.write(`ttm-studio: ${err.message}\n`);
    if (!(e instanceof StudioError) && process.env.TTM_STUDIO_DEBUG === '1' && e instanceof Error && e.stack !== undefined)
      process.stderr.write(e.stack + '\n');
    return EXIT_CODES[err.code] ?? 1;
  }
}
