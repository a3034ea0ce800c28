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

  toJSON(): { code: StudioErrorCode; message: string; details?: Record<string, unknown> } {
    return this.details === undefined ? { code: this.code, message: this.message } : { code: this.code, message: this.message, details: this.details };
  }
}

export function isStudioError(e: unknown): e is StudioError {
  return e instanceof StudioError;
}

/** Wraps anything thrown into a StudioError, keeping the original as `cause`. */
export function toStudioError(e: unknown, fallbackCode: StudioErrorCode = 'INTERNAL'): StudioError {
  if (e instanceof StudioError) return e;
  const message = e instanceof Error ? e.message : String(e);
  return new StudioError(fallbackCode, message, undefined, { cause: e });
}

export function cancelledError(what = 'Operation'): StudioError {
  return new StudioError('CANCELLED', `${what} was cancelled.`);
}
