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

export interface ZodIssueFormat {
  /** Issues shown (the first few say what is wrong; a long list buries it); default 5. */
  max?: number;
  /** Name unknown keys as "unknown field(s) a, b" (config files people edit by hand). */
  unknownFields?: boolean;
}

/** "path.to.field: message; …" for error messages; a root-level issue is "(root)". */
export function formatZodIssues(error: z.ZodError, o: ZodIssueFormat = {}): string {
  return error.issues
    .slice(0, o.max ?? 5)
    .map((i) => {
      const where = i.path.length > 0 ? i.path.map(String).join('.') : '(root)';
      if (o.unknownFields === true && i.code === 'unrecognized_keys') return `${where}: unknown field(s) ${i.keys.join(', ')}`;
      return `${where}: ${i.message}`;
    })
    .join('; ');
}

/**
 * A stored object with `legacyKey` renamed to `key`, for files and rows written before a
 * field was renamed (read both, write only the new name). Anything else is returned as is,
 * so the schema reports it.
 */
export function withRenamedKey(raw: unknown, legacyKey: string, key: string): unknown {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw) || key in raw || !(legacyKey in raw)) return raw;
  const { [legacyKey]: value, ...rest } = raw as Record<string, unknown>;
  return { ...rest, [key]: value };
}

export function nowIso(): string {
  return new Date().toISOString();
}
