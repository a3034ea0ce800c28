import { describe, expect, it } from 'vitest';
import {
  excerpt,
  MAX_ERROR_MESSAGE_CHARS,
  MAX_EXCERPT_CHARS,
  renderError,
  renderErrorMessage,
  StudioError,
  toStudioError,
} from '../../src-main/engine/errors.js';

describe('StudioError', () => {
  it('keeps code, message and details and serialises them', () => {
    const e = new StudioError('NOT_FOUND', 'Dataset "x" does not exist.', { name: 'x' });
    expect(e.code).toBe('NOT_FOUND');
    expect(JSON.parse(JSON.stringify(e))).toEqual({ code: 'NOT_FOUND', message: 'Dataset "x" does not exist.', details: { name: 'x' } });
  });
  it('wraps foreign errors and keeps the cause', () => {
    const cause = new Error('boom');
    const e = toStudioError(cause, 'IO');
    expect(e.code).toBe('IO');
    expect(e.message).toBe('boom');
    expect(e.cause).toBe(cause);
  });
});

describe('error rendering', () => {
  it('escapes terminal control sequences and keeps every message on one line', () => {
    const cell = '2024-01-01\x1b[2J\x1b]0;owned\x07 12:00';
    const shown = renderErrorMessage(`line 3: cannot parse the timestamp "${cell}"\nsecond line\r\u2028\u202e`);
    // eslint-disable-next-line no-control-regex
    expect(shown).not.toMatch(/[\x00-\x1f\x7f-\x9f\u2028\u2029\u202e]/);
    expect(shown).toContain('\\x1b[2J');
    expect(shown).toContain('\\x07');
    expect(shown).toContain('\\nsecond line\\r\\u2028\\u202e');
  });

  it('caps quoted excerpts and the whole message', () => {
    const long = 'x'.repeat(5000);
    const shown = renderErrorMessage(`"a" has shape [1], expected [2]; cell "${long}" is bad`);
    expect(shown).toBe(`"a" has shape [1], expected [2]; cell "${'x'.repeat(MAX_EXCERPT_CHARS)}…" is bad`);
    const unquoted = renderErrorMessage('word '.repeat(1000));
    expect(unquoted.length).toBe(MAX_ERROR_MESSAGE_CHARS);
    expect(unquoted.endsWith('…')).toBe(true);
    expect(excerpt('ab\x1bc', 2)).toBe('"ab…"');
    expect(excerpt('a\nb')).toBe('"a\\nb"');
  });

  it('serialises and transports the rendered message', () => {
    const e = new StudioError('PARSE', 'bad "\x1b[31mred\x1b[0m"\nmore');
    expect(e.toJSON().message).toBe('bad "\\x1b[31mred\\x1b[0m"\\nmore');
    expect(renderError(e)).toEqual({ code: 'PARSE', message: 'bad "\\x1b[31mred\\x1b[0m"\\nmore' });
  });

  it('never turns a bug into a parse error', () => {
    const bug = toStudioError(new TypeError("Cannot read properties of undefined (reading 'x')"), 'PARSE');
    expect(bug.code).toBe('INTERNAL');
    expect(bug.message).toMatch(/^Internal error \(a bug in TTM Studio; please report it\)/);
    expect(toStudioError(new RangeError('Invalid time value'), 'PARSE').code).toBe('INTERNAL');
    expect(toStudioError(new Error('Unexpected token'), 'PARSE').code).toBe('PARSE');
    expect(toStudioError(new SyntaxError('Unexpected token } in JSON'), 'PARSE').code).toBe('PARSE');
  });
});

describe('unquoted content', () => {
  it('cuts long runs of file content but keeps paths and URLs', () => {
    const line = `SECRET=abc,${'0'.repeat(300)}`;
    expect(renderErrorMessage(`x.csv, line 1: column "timestamp" is missing (columns: ${line}).`)).toBe(
      `x.csv, line 1: column "timestamp" is missing (columns: ${line.slice(0, MAX_EXCERPT_CHARS)}…`,
    );
    const path = `/data/${'deep/'.repeat(60)}config.json`;
    expect(renderErrorMessage(`Cannot read ${path}: EACCES`)).toBe(`Cannot read ${path}: EACCES`);
  });
});
