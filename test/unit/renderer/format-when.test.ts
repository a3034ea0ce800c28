import { describe, expect, it } from 'vitest';
import { finishedText, formatLocal, formatWhen } from '../../../src-renderer/lib/format.js';

describe('run times in words', () => {
  const now = Date.parse('2026-12-08T12:00:00Z');
  it('relative within a day, local date and time before, never a raw ISO string', () => {
    expect(formatWhen('2026-12-08T11:59:30Z', now)).toBe('just now');
    expect(formatWhen('2026-12-08T11:55:00Z', now)).toBe('5 min ago');
    expect(formatWhen('2026-12-08T09:00:00Z', now)).toBe('3 h ago');
    const old = '2026-12-01T08:30:00.000Z';
    const t = Date.parse(old);
    expect(formatWhen(old, now)).toBe(formatLocal(t, { timeZone: null, utcOffsetMin: -new Date(t).getTimezoneOffset() }));
    expect(formatWhen(old, now)).toMatch(/^\d{4}-\d\d-\d\d \d\d:\d\d$/);
    expect(formatWhen(null, now)).toBe('—');
  });

  it('a resumed (running) run has not finished, whatever its earlier attempt recorded', () => {
    expect(finishedText({ status: 'running', finishedAt: '2026-12-08T11:00:00Z' }, now)).toBe('—');
    expect(finishedText({ status: 'completed', finishedAt: '2026-12-08T11:00:00Z' }, now)).toBe('1 h ago');
  });
});
