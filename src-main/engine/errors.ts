/**
 * The one error type the engine throws on purpose. `code` lets callers (CLI exit codes,
 * HTTP status, UI) react without parsing text; `message` is written for a person: what
 * happened, why, and what to do next.
 */
export type StudioErrorCode =
  | 'INVALID_INPUT'
  | 'NOT_FOUND'
  | 'CONFLICT'
  | 'UNSUPPORTED'
  | 'SCHEMA_TOO_NEW'
  | 'IO'
  | 'PARSE'
  | 'GRAPH'
  | 'MODEL'
  | 'RUNTIME'
  | 'CANCELLED'
  | 'UNAUTHORIZED'
  | 'INTERNAL';

export class StudioError extends Error {
  readonly code: StudioErrorCode;
  readonly details: Record<string, unknown> | undefined;

  constructor(code: StudioErrorCode, message: string, details?: Record<string, unknown>, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'StudioError';
    this.code = code;
    this.details = details;
  }

  /** For people and scripts: the message as renderErrorMessage shows it (one line, escaped, capped). */
  toJSON(): { code: StudioErrorCode; message: string; details?: Record<string, unknown> } {
    const message = renderErrorMessage(this.message);
    return this.details === undefined ? { code: this.code, message } : { code: this.code, message, details: this.details };
  }
}

/** Longest error message shown to a user (CLI, web, desktop); the rest is cut with "…". */
export const MAX_ERROR_MESSAGE_CHARS = 1000;
/** Longest quoted excerpt ("…" of a file's content) inside a shown message. */
export const MAX_EXCERPT_CHARS = 80;

const NAMED_ESCAPES: Record<string, string> = { '\n': '\\n', '\r': '\\r', '\t': '\\t' };

/**
 * Makes text safe to print on a terminal or show in a page: C0/C1 control characters (escape
 * sequences, carriage returns, line breaks), DEL, Unicode line/paragraph separators and bidi
 * overrides become visible escapes (`\x1b`, `\n`, `\u202e`), so the result is always one line
 * and cannot move the cursor or recolour the terminal.
 */
export function escapeControlCharacters(text: string): string {
  // eslint-disable-next-line no-control-regex
  return text.replace(/[\u0000-\u001f\u007f-\u009f\u2028\u2029\u200e\u200f\u202a-\u202e\u2066-\u2069]/g, (c) => {
    const named = NAMED_ESCAPES[c];
    if (named !== undefined) return named;
    const code = c.charCodeAt(0);
    return code <= 0xff ? `\\x${code.toString(16).padStart(2, '0')}` : `\\u${code.toString(16).padStart(4, '0')}`;
  });
}

/** A short, escaped excerpt of untrusted text for a message: `"abc…"` (quotes included). */
export function excerpt(text: string, max = MAX_EXCERPT_CHARS): string {
  const cut = text.length > max ? `${text.slice(0, max)}…` : text;
  return `"${escapeControlCharacters(cut)}"`;
}

/** A run of non-space characters this long is content, not prose. */
const LONG_TOKEN = new RegExp(`\\S{${2 * MAX_EXCERPT_CHARS + 1},}`, 'g');

/**
 * The one place an error message is prepared for a person (CLI stderr and --json, the web
 * host's responses, Electron IPC): control characters escaped, one line, quoted excerpts
 * ("…") and unquoted runs of over 2 × MAX_EXCERPT_CHARS non-space characters (except paths and
 * URLs) shortened to MAX_EXCERPT_CHARS, the whole capped at MAX_ERROR_MESSAGE_CHARS.
 */
export function renderErrorMessage(message: string): string {
  let text = escapeControlCharacters(message);
  // Quotes pair up from the left: odd parts are quoted text (an unpaired last quote is left alone).
  const parts = text.split('"');
  for (let i = 1; i < parts.length - 1; i += 2) {
    const body = parts[i]!;
    if (body.length > MAX_EXCERPT_CHARS) parts[i] = `${body.slice(0, MAX_EXCERPT_CHARS)}…`;
  }
  text = parts.join('"');
  // Unquoted runs of file content (a header line, a cell) are cut too; paths and URLs are kept.
  text = text.replace(LONG_TOKEN, (token) => (/^(?:[/~]|[A-Za-z]:\\|https?:)/.test(token) ? token : `${token.slice(0, MAX_EXCERPT_CHARS)}…`));
  if (text.length > MAX_ERROR_MESSAGE_CHARS) text = `${text.slice(0, MAX_ERROR_MESSAGE_CHARS - 1)}…`;
  return text;
}

/** What a transport sends for a failure: the code and the rendered message. */
export function renderError(e: unknown): { code: StudioErrorCode; message: string } {
  const err = toStudioError(e);
  return { code: err.code, message: renderErrorMessage(err.message) };
}

/**
 * Programming errors (TypeError, ReferenceError, RangeError…) are bugs, not bad input: they are
 * INTERNAL whatever fallback a caller asks for, so a crash in an importer never reaches the
 * user as "the file could not be parsed".
 */
function isProgrammingError(e: unknown): boolean {
  return e instanceof TypeError || e instanceof ReferenceError || e instanceof RangeError || e instanceof EvalError || e instanceof URIError;
}

/** Wraps anything thrown into a StudioError, keeping the original as `cause`. */
export function toStudioError(e: unknown, fallbackCode: StudioErrorCode = 'INTERNAL'): StudioError {
  if (e instanceof StudioError) return e;
  const message = e instanceof Error ? e.message : String(e);
  if (isProgrammingError(e)) {
    return new StudioError('INTERNAL', `Internal error (a bug in TTM Studio; please report it): ${message}`, undefined, { cause: e });
  }
  return new StudioError(fallbackCode, message, undefined, { cause: e });
}

export function cancelledError(what = 'Operation'): StudioError {
  return new StudioError('CANCELLED', `${what} was cancelled.`);
}
