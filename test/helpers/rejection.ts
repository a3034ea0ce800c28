import { expect } from 'vitest';
import { StudioError } from '../../src-main/engine/errors.js';

/** Awaits `p`, expects it to reject with a StudioError and returns that error (throws when it resolves). */
export async function rejection(p: Promise<unknown>): Promise<StudioError> {
  try {
    await p;
  } catch (e) {
    expect(e).toBeInstanceOf(StudioError);
    return e as StudioError;
  }
  throw new Error('expected a rejection');
}
