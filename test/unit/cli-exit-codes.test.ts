import { readFileSync } from 'node:fs';
import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { EXIT_CODE_MEANINGS, EXIT_CODES, exitCodeHelp, exitCodeMarkdownTable } from '../../src-main/cli/exit-codes.js';
import { reportError } from '../../src-main/cli/main.js';
import { StudioError, type StudioErrorCode } from '../../src-main/engine/errors.js';
import { REPO_ROOT } from '../helpers/tmp.js';

function sink(): { stream: Writable; text: () => string } {
  let text = '';
  const stream = new Writable({
    write(chunk: Buffer, _enc, cb) {
      text += chunk.toString();
      cb();
    },
  });
  return { stream, text: () => text };
}

const EXPECTED: Record<StudioErrorCode, number> = {
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

describe('exit codes', () => {
  for (const [code, exit] of Object.entries(EXPECTED) as [StudioErrorCode, number][]) {
    it(`${code} exits with ${exit}, one escaped line on stderr, the error as JSON on stdout`, () => {
      const out = sink();
      const err = sink();
      const n = reportError(new StudioError(code, `failed on "\x1b[2Jcell"\nnext`), true, out.stream, err.stream);
      expect(n).toBe(exit);
      expect(err.text()).toBe('ttm-studio: failed on "\\x1b[2Jcell"\\nnext\n');
      expect(JSON.parse(out.text())).toEqual({ error: { code, message: 'failed on "\\x1b[2Jcell"\\nnext' } });
    });
  }

  it('a foreign exception is an internal failure (1), never a parse error', () => {
    const err = sink();
    expect(reportError(new TypeError('x is undefined'), false, sink().stream, err.stream)).toBe(1);
    expect(err.text()).toMatch(/^ttm-studio: Internal error/);
  });

  it('maps every code, and every exit code is explained', () => {
    expect(EXIT_CODES).toEqual(EXPECTED);
    const explained = new Set(EXIT_CODE_MEANINGS.map(([n]) => n));
    for (const exit of Object.values(EXIT_CODES)) expect(explained.has(exit)).toBe(true);
    expect(exitCodeHelp()).toContain('  6  unreadable or unusable file: I/O failure, parse error, bad model checkpoint (IO, PARSE, MODEL)');
  });

  it('README and docs/cli.md print the same table', () => {
    const readme = readFileSync(`${REPO_ROOT}/README.md`, 'utf8');
    const cli = readFileSync(`${REPO_ROOT}/docs/cli.md`, 'utf8');
    expect(cli).toContain(exitCodeMarkdownTable());
    expect(readme).toContain(exitCodeMarkdownTable());
  });
});
