import type { z } from 'zod';
import { StudioError } from '../errors.js';

/** Parses a JSON column or file and validates it; a bad value is a clear error, not a crash later. */
export function parseJsonWith<T>(schema: z.ZodType<T>, text: string, what: string): T {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (e) {
    throw new StudioError('PARSE', `${what} is not valid JSON: ${(e as Error).message}`, undefined, { cause: e });
  }
  const parsed = schema.safeParse(raw);
  if (!parsed.success) {
    throw new StudioError('PARSE', `${what} is invalid: ${formatZodIssues(parsed.error)}`);
  }
  return parsed.data;
}

export function formatZodIssues(error: z.ZodError): string {
  return error.issues
    .slice(0, 5)
    .map((i) => `${i.path.length > 0 ? i.path.join('.') : '(root)'}: ${i.message}`)
    .join('; ');
}

export function nowIso(): string {
  return new Date().toISOString();
}
