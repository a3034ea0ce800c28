import type { StudioErrorCode } from '../engine/errors.js';

/**
 * The one table from StudioError codes to process exit codes (README and docs/cli.md print it
 * from here). 1 is reserved for internal failures: a bug, never the user's input or files.
 */
export const EXIT_CODES: Readonly<Record<StudioErrorCode, number>> = {
  INVALID_INPUT: 2,
  UNSUPPORTED: 2,
  UNAUTHORIZED: 2,
  NOT_FOUND: 3,
  CONFLICT: 4,
  SCHEMA_TOO_NEW: 5,
  IO: 6,
  PARSE: 6,
  MODEL: 6,
  RUNTIME: 7,
  CANCELLED: 130,
  GRAPH: 1,
  INTERNAL: 1,
};

/** What each exit code means, in order (for --help and the docs). */
export const EXIT_CODE_MEANINGS: readonly (readonly [number, string])[] = [
  [0, 'success'],
  [1, 'internal error: a bug in TTM Studio; please report it'],
  [2, 'bad input: invalid arguments or request, unsupported feature, access refused'],
  [3, 'not found'],
  [4, 'conflict with the current state (the name exists, a run is using it)'],
  [5, 'the database was written by a newer TTM Studio'],
  [6, 'unreadable or unusable file: I/O failure, parse error, bad model checkpoint'],
  [7, 'the compute runtime failed: onnxruntime, the device, Chromium for PDFs'],
  [130, 'cancelled (Ctrl+C)'],
];

/** The StudioError codes that exit with `exit`. */
export function errorCodesFor(exit: number): StudioErrorCode[] {
  return (Object.keys(EXIT_CODES) as StudioErrorCode[]).filter((c) => EXIT_CODES[c] === exit);
}

export function exitCodeFor(code: StudioErrorCode): number {
  return EXIT_CODES[code];
}

/** The table as help text (appended to `ttm-studio --help`). */
export function exitCodeHelp(): string {
  const lines = EXIT_CODE_MEANINGS.map(([n, text]) => {
    const codes = errorCodesFor(n);
    return `  ${String(n).padStart(3)}  ${text}${codes.length > 0 ? ` (${codes.join(', ')})` : ''}`;
  });
  return ['', 'Exit codes (errors are one line on stderr; with --json also {"error": {code, message}} on stdout):', ...lines].join('\n');
}

/** The table in Markdown, aligned the way prettier formats it (README and docs/cli.md). */
export function exitCodeMarkdownTable(): string {
  const rows = [['exit', 'meaning', 'error codes'], ...EXIT_CODE_MEANINGS.map(([n, text]) => [String(n), text, errorCodesFor(n).join(', ')])];
  const widths = [0, 1, 2].map((i) => Math.max(3, ...rows.map((r) => r[i]!.length)));
  const line = (r: string[]): string => `| ${r.map((c, i) => (i === 0 ? c.padStart(widths[i]!) : c.padEnd(widths[i]!))).join(' | ')} |`;
  const rule = `| ${'-'.repeat(widths[0]! - 1)}: | ${'-'.repeat(widths[1]!)} | ${'-'.repeat(widths[2]!)} |`;
  return [line(rows[0]!), rule, ...rows.slice(1).map(line)].join('\n');
}
