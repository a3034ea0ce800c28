import { describe, expect, it } from 'vitest';
import { StudioError, toStudioError } from '../../src-main/engine/errors.js';

describe('StudioError', () => {
  it('keeps code, message and details and serialises them', () => {
    const e = new StudioError('NOT_FOUND', 'Dataset "x" does not exist.', { name: 'x' });
    expect(e.code).toBe('NOT_FOUND');
    expect(JSON.parse(JSON.stringify(e))).toEqual({ code: 'NOT_FOUND', message: 'Dataset "x" does not exist.', details: { name: 'x' } });
  });
  it('wraps foreign errors and keeps the cause', () => {
    const cause = new TypeError('boom');
    const e = toStudioError(cause, 'IO');
    expect(e.code).toBe('IO');
    expect(e.message).toBe('boom');
    expect(e.cause).toBe(cause);
  });
});
