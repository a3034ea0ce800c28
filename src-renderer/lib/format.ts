/** Formatting shared by the pages: durations, sizes, counts and times in a patient's local zone. */

export function formatDuration(ms: number | null): string {
  if (ms === null || !Number.isFinite(ms) || ms < 0) return '—';
  const s = Math.round(ms / 1000);
  if (s < 60) return `${s} s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m} min ${String(s % 60).padStart(2, '0')} s`;
  const h = Math.floor(m / 60);
  return `${h} h ${String(m % 60).padStart(2, '0')} min`;
}

export { formatBytes } from '../../src-main/engine/util/bytes.js';

export function formatCount(n: number): string {
  return Math.round(n).toLocaleString('en-US');
}

export function formatPercent(v: number | null, decimals = 1): string {
  return v === null || !Number.isFinite(v) ? '—' : `${v.toFixed(decimals)} %`;
}

/** "UTC+01:00", "UTC−05:30", "UTC" for an offset in minutes. */
export function offsetName(offsetMin: number): string {
  if (offsetMin === 0) return 'UTC';
  const sign = offsetMin > 0 ? '+' : '−';
  const a = Math.abs(offsetMin);
  return `UTC${sign}${String(Math.floor(a / 60)).padStart(2, '0')}:${String(a % 60).padStart(2, '0')}`;
}

export interface PatientZone {
  timeZone: string | null;
  utcOffsetMin: number | null;
}

/** The zone a patient's times are shown in, named: an IANA zone, a fixed offset, or UTC. */
export function zoneName(z: PatientZone): string {
  if (z.timeZone !== null && z.timeZone !== '') return z.timeZone;
  if (z.utcOffsetMin !== null) return offsetName(z.utcOffsetMin);
  return 'UTC';
}

const fmtCache = new Map<string, Intl.DateTimeFormat>();
function formatter(timeZone: string): Intl.DateTimeFormat {
  let f = fmtCache.get(timeZone);
  if (f === undefined) {
    f = new Intl.DateTimeFormat('en-CA', {
      timeZone,
      year: 'numeric',
      month: '2-digit',
      day: '2-digit',
      hour: '2-digit',
      minute: '2-digit',
      hourCycle: 'h23',
    });
    fmtCache.set(timeZone, f);
  }
  return f;
}

/** Minutes to add to UTC for local time in `timeZone` at instant `ts` (ms). */
export function zoneOffsetMin(timeZone: string, ts: number): number {
  let parts: Intl.DateTimeFormatPart[];
  try {
    parts = formatter(timeZone).formatToParts(new Date(ts));
  } catch {
    return 0;
  }
  const get = (t: string): number => Number(parts.find((p) => p.type === t)?.value ?? 0);
  const local = Date.UTC(get('year'), get('month') - 1, get('day'), get('hour') % 24, get('minute'));
  return Math.round((local - Math.floor(ts / 60_000) * 60_000) / 60_000);
}

/** Offset (minutes) of a patient's local time at `ts`. */
export function patientOffsetMin(z: PatientZone, ts: number): number {
  if (z.timeZone !== null && z.timeZone !== '') return zoneOffsetMin(z.timeZone, ts);
  return z.utcOffsetMin ?? 0;
}

const pad = (n: number): string => String(n).padStart(2, '0');

/** "2024-01-31 14:05" in the patient's local time (no zone suffix: name it once nearby). */
export function formatLocal(ts: number | null, z: PatientZone): string {
  if (ts === null || !Number.isFinite(ts)) return '—';
  const d = new Date(ts + patientOffsetMin(z, ts) * 60_000);
  return `${d.getUTCFullYear()}-${pad(d.getUTCMonth() + 1)}-${pad(d.getUTCDate())} ${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}`;
}

export function formatLocalDate(ts: number | null, z: PatientZone): string {
  return formatLocal(ts, z).slice(0, 10);
}

/** A readable message from anything thrown (ApiError, Error, string). */
export function errorMessage(e: unknown): string {
  if (e instanceof Error) return e.message;
  return typeof e === 'string' ? e : 'Something went wrong (no details were given).';
}

/** A client-chosen operation id (contract: 6–64 letters, digits, dashes, underscores). */
export function newOperationId(prefix = 'op'): string {
  const rand = Math.random().toString(36).slice(2, 10);
  return `${prefix}-${Date.now().toString(36)}-${rand}`;
}

/**
 * When something happened, for run tables: "just now", "5 min ago", "3 h ago" within a day,
 * else this computer's local date and time ("2026-12-08 01:37"). `iso` null gives "—".
 */
export function formatWhen(iso: string | null, now = Date.now()): string {
  if (iso === null) return '—';
  const t = Date.parse(iso);
  if (!Number.isFinite(t)) return iso;
  const ago = now - t;
  if (ago >= 0 && ago < 60_000) return 'just now';
  if (ago >= 0 && ago < 3_600_000) return `${Math.floor(ago / 60_000)} min ago`;
  if (ago >= 0 && ago < 86_400_000) return `${Math.floor(ago / 3_600_000)} h ago`;
  return formatLocal(t, { timeZone: null, utcOffsetMin: -new Date(t).getTimezoneOffset() });
}

/** A run's "Finished" cell: a running or queued run has not finished, whatever an earlier attempt recorded. */
export function finishedText(run: { status: string; finishedAt: string | null }, now = Date.now()): string {
  return run.status === 'running' || run.status === 'queued' ? '—' : formatWhen(run.finishedAt, now);
}
