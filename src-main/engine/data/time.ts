/**
 * Timestamp parsing for importers. Hot paths (millions of rows) avoid Date and regular
 * expressions: civil dates become epoch milliseconds arithmetically, and time zone offsets
 * are looked up once per 15-minute bucket of wall-clock time.
 */
import { StudioError } from '../errors.js';

const MS_MIN = 60_000;
const MS_HOUR = 3_600_000;
const MS_DAY = 86_400_000;

/** Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's days_from_civil). */
export function daysFromCivil(y: number, m: number, d: number): number {
  const yy = m <= 2 ? y - 1 : y;
  const era = Math.floor(yy / 400);
  const yoe = yy - era * 400;
  const doy = Math.floor((153 * (m + (m > 2 ? -3 : 9)) + 2) / 5) + d - 1;
  const doe = yoe * 365 + Math.floor(yoe / 4) - Math.floor(yoe / 100) + doy;
  return era * 146097 + doe - 719468;
}

const DAYS_IN_MONTH = [31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];

function validCivil(y: number, mo: number, d: number, h: number, mi: number, s: number): boolean {
  if (mo < 1 || mo > 12 || d < 1 || h > 23 || mi > 59 || s > 60 || y < 1900 || y > 2200) return false;
  if (d > DAYS_IN_MONTH[mo - 1]!) return false;
  if (mo === 2 && d === 29 && !(y % 4 === 0 && (y % 100 !== 0 || y % 400 === 0))) return false;
  return true;
}

/** Wall-clock fields as milliseconds "as if UTC"; NaN when a field is out of range. */
export function civilMs(y: number, mo: number, d: number, h: number, mi: number, s: number, ms = 0): number {
  if (!validCivil(y, mo, d, h, mi, s)) return Number.NaN;
  return daysFromCivil(y, mo, d) * MS_DAY + h * MS_HOUR + mi * MS_MIN + s * 1000 + ms;
}

export interface ParsedInstant {
  /** Wall-clock time as if UTC (naive), or the UTC instant when `offsetMin` is known. */
  localMs: number;
  /** Explicit offset from the text (Z → 0), or null for a naive local timestamp. */
  offsetMin: number | null;
}

function digitsAt(s: string, i: number, n: number): number {
  let v = 0;
  for (let k = 0; k < n; k++) {
    const c = s.charCodeAt(i + k) - 48;
    if (c < 0 || c > 9) return -1;
    v = v * 10 + c;
  }
  return v;
}

/**
 * `YYYY-MM-DD[T ]HH:mm[:ss[.fff…]][Z|±HH:MM|±HHMM]` (also `/` as the date separator).
 * Returns null when the text is not of that shape or a field is out of range.
 */
export function parseIsoLike(s: string, out: ParsedInstant = { localMs: 0, offsetMin: null }): ParsedInstant | null {
  const n = s.length;
  if (n < 16) return null;
  const y = digitsAt(s, 0, 4);
  const sep = s.charCodeAt(4);
  if (y < 0 || (sep !== 45 && sep !== 47) || s.charCodeAt(7) !== sep) return null;
  const mo = digitsAt(s, 5, 2);
  const d = digitsAt(s, 8, 2);
  const t = s.charCodeAt(10);
  if (mo < 0 || d < 0 || (t !== 84 && t !== 32)) return null;
  const h = digitsAt(s, 11, 2);
  const mi = digitsAt(s, 14, 2);
  if (h < 0 || mi < 0 || s.charCodeAt(13) !== 58) return null;
  let i = 16;
  let sec = 0;
  let ms = 0;
  if (i < n && s.charCodeAt(i) === 58) {
    sec = digitsAt(s, i + 1, 2);
    if (sec < 0) return null;
    i += 3;
    if (i < n && (s.charCodeAt(i) === 46 || s.charCodeAt(i) === 44)) {
      i++;
      let scale = 100;
      while (i < n) {
        const c = s.charCodeAt(i) - 48;
        if (c < 0 || c > 9) break;
        ms += c * scale;
        scale /= 10;
        i++;
      }
      ms = Math.round(ms);
    }
  }
  let offsetMin: number | null = null;
  if (i < n) {
    const c = s.charCodeAt(i);
    if (c === 90 && i === n - 1) offsetMin = 0;
    else if (c === 43 || c === 45) {
      const oh = digitsAt(s, i + 1, 2);
      const colon = s.charCodeAt(i + 3) === 58 ? 1 : 0;
      const om = i + 3 === n ? 0 : digitsAt(s, i + 3 + colon, 2);
      if (oh < 0 || om < 0 || oh > 14 || om > 59) return null;
      if (i + 3 !== n && i + 5 + colon !== n) return null;
      offsetMin = (c === 45 ? -1 : 1) * (oh * 60 + om);
    } else return null;
  }
  const local = civilMs(y, mo, d, h, mi, sec, ms);
  if (Number.isNaN(local)) return null;
  out.localMs = offsetMin === null ? local : local - offsetMin * MS_MIN;
  out.offsetMin = offsetMin;
  return out;
}

/** Order of the date fields in locale-formatted timestamps. */
export type DateOrder = 'ymd' | 'dmy' | 'mdy';
export const DATE_ORDERS: readonly DateOrder[] = ['ymd', 'dmy', 'mdy'];

/**
 * Numeric groups of a locale timestamp such as `03-27-2024 02:15 PM`, `27/03/2024 14:15`
 * or `2024.03.27 14:15:00`: up to 6 numbers and an AM/PM marker. Returns the count of
 * numbers found (0 when the text has other letters); the numbers go into `nums`.
 */
export function numericGroups(s: string, nums: number[]): { count: number; ampm: 0 | 1 | 2 } {
  let count = 0;
  let cur = -1;
  let ampm: 0 | 1 | 2 = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c >= 48 && c <= 57) {
      cur = cur < 0 ? c - 48 : cur * 10 + (c - 48);
      continue;
    }
    if (cur >= 0) {
      if (count === 7) return { count: 0, ampm };
      nums[count++] = cur;
      cur = -1;
    }
    if (c === 65 || c === 97 || c === 80 || c === 112) {
      const next = s.charCodeAt(i + 1);
      if (next !== 77 && next !== 109) return { count: 0, ampm };
      ampm = c === 65 || c === 97 ? 1 : 2;
      i++;
    } else if (c !== 32 && c !== 45 && c !== 47 && c !== 46 && c !== 58 && c !== 84 && c !== 44) {
      return { count: 0, ampm };
    }
  }
  if (cur >= 0) {
    if (count === 7) return { count: 0, ampm };
    nums[count++] = cur;
  }
  return { count, ampm };
}

const scratch: number[] = [0, 0, 0, 0, 0, 0, 0];

/** Parses a naive local timestamp whose date fields come in `order`; NaN when invalid. */
export function parseByOrder(s: string, order: DateOrder): number {
  const { count, ampm } = numericGroups(s, scratch);
  if (count < 5) return Number.NaN;
  let y: number, mo: number, d: number;
  if (order === 'ymd') [y, mo, d] = [scratch[0]!, scratch[1]!, scratch[2]!];
  else if (order === 'dmy') [d, mo, y] = [scratch[0]!, scratch[1]!, scratch[2]!];
  else [mo, d, y] = [scratch[0]!, scratch[1]!, scratch[2]!];
  if (y < 100) y += 2000;
  let h = scratch[3]!;
  if (ampm !== 0) {
    if (h < 1 || h > 12) return Number.NaN;
    h = (h % 12) + (ampm === 2 ? 12 : 0);
  }
  const sec = count >= 6 ? scratch[5]! : 0;
  return civilMs(y, mo, d, h, scratch[4]!, sec);
}

/** Which date orders a timestamp is valid under (bit 1 ymd, 2 dmy, 4 mdy) and whether it has AM/PM. */
export function possibleOrders(s: string): { mask: number; ampm: boolean } {
  let mask = 0;
  DATE_ORDERS.forEach((o, i) => {
    if (!Number.isNaN(parseByOrder(s, o))) mask |= 1 << i;
  });
  return { mask, ampm: numericGroups(s, scratch).ampm !== 0 };
}

export function assertTimeZone(zone: string): void {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: zone });
  } catch {
    throw new StudioError('INVALID_INPUT', `"${zone}" is not a time zone this system knows; use an IANA name such as Europe/Oslo, America/New_York or UTC.`);
  }
}

/** Result status of the last `toUtc` call. */
export const LOCAL_TIME_STATUS = { ok: 0, ambiguous: 1, skipped: 2 } as const;

/**
 * Converts naive wall-clock times of one IANA zone to UTC, DST-correct. A wall-clock time
 * that occurs twice (the fall-back hour) resolves to its first occurrence, consistently;
 * one that never occurs (spring-forward gap) is shifted forward by the change (converted
 * with the offset in force before it, so 02:30 becomes 03:30 summer time). Callers read `offsetMin` and `status` after each call to record and warn.
 */
export class ZoneResolver {
  offsetMin = 0;
  status: number = LOCAL_TIME_STATUS.ok;
  private readonly fmt: Intl.DateTimeFormat | null;
  private readonly cache = new Map<number, number>();
  private readonly utcCache = new Map<number, number>();
  /** Per local day: the packed offset when the whole day has one offset, NaN for a transition day. */
  private readonly days = new Map<number, number>();
  private lastDay = Number.NaN;
  private lastDayPacked = Number.NaN;
  private lastBucket = Number.NaN;
  private lastPacked = 0;

  constructor(readonly zone: string) {
    assertTimeZone(zone);
    this.fmt =
      zone === 'UTC' || zone === 'Etc/UTC'
        ? null
        : new Intl.DateTimeFormat('en-US', {
            timeZone: zone,
            hourCycle: 'h23',
            year: 'numeric',
            month: 'numeric',
            day: 'numeric',
            hour: 'numeric',
            minute: 'numeric',
            second: 'numeric',
          });
  }

  /** Offset (minutes, east positive) in force at a UTC instant. */
  offsetAt(utcMs: number): number {
    if (this.fmt === null) return 0;
    // Offsets change on quarter hours: one Intl call per 15-minute bucket of UTC time.
    const key = Math.floor(utcMs / 900_000);
    const hit = this.utcCache.get(key);
    if (hit !== undefined) return hit;
    const off = this.computeOffset(key * 900_000);
    if (this.utcCache.size > 100_000) this.utcCache.clear();
    this.utcCache.set(key, off);
    return off;
  }

  private computeOffset(utcMs: number): number {
    const fmt = this.fmt!;
    const parts = fmt.formatToParts(new Date(utcMs));
    const f: Record<string, number> = {};
    for (const p of parts) if (p.type !== 'literal') f[p.type] = Number(p.value);
    const wall = daysFromCivil(f.year!, f.month!, f.day!) * MS_DAY + f.hour! * MS_HOUR + f.minute! * MS_MIN + f.second! * 1000;
    const utcSec = Math.floor(utcMs / 1000) * 1000;
    return Math.round((wall - utcSec) / MS_MIN);
  }

  /** UTC instant of a wall-clock time given as ms "as if UTC". */
  toUtc(localMs: number): number {
    if (this.fmt === null) {
      this.offsetMin = 0;
      this.status = LOCAL_TIME_STATUS.ok;
      return localMs;
    }
    // Most days have one offset: two Intl lookups per day instead of per row.
    const day = Math.floor(localMs / MS_DAY);
    let dayPacked: number;
    if (day === this.lastDay) dayPacked = this.lastDayPacked;
    else {
      const hit = this.days.get(day);
      if (hit !== undefined) dayPacked = hit;
      else {
        const before = this.offsetAt(day * MS_DAY - 14 * MS_HOUR);
        const after = this.offsetAt((day + 1) * MS_DAY + 14 * MS_HOUR);
        dayPacked = before === after ? before * 4 + LOCAL_TIME_STATUS.ok : Number.NaN;
        if (this.days.size > 100_000) this.days.clear();
        this.days.set(day, dayPacked);
      }
      this.lastDay = day;
      this.lastDayPacked = dayPacked;
    }
    if (dayPacked === dayPacked) {
      this.offsetMin = (dayPacked - LOCAL_TIME_STATUS.ok) / 4;
      this.status = LOCAL_TIME_STATUS.ok;
      return localMs - this.offsetMin * MS_MIN;
    }
    // Transition days: zone changes fall on quarter hours, so one lookup per 15-minute bucket.
    const bucket = Math.floor(localMs / 900_000);
    let packed: number;
    if (bucket === this.lastBucket) packed = this.lastPacked;
    else {
      const hit = this.cache.get(bucket);
      if (hit !== undefined) packed = hit;
      else {
        packed = this.resolveBucket(bucket * 900_000);
        if (this.cache.size > 200_000) this.cache.clear();
        this.cache.set(bucket, packed);
      }
      this.lastBucket = bucket;
      this.lastPacked = packed;
    }
    // packed = offset * 4 + status (offsets are whole minutes, status 0–2)
    const status = ((packed % 4) + 4) % 4;
    const offset = (packed - status) / 4;
    this.status = status;
    const utc = localMs - offset * MS_MIN;
    // In a spring-forward gap the instant is shifted forward; record the offset really in force then.
    this.offsetMin = status === LOCAL_TIME_STATUS.skipped ? this.offsetAt(utc) : offset;
    return utc;
  }

  private resolveBucket(localMs: number): number {
    const before = this.offsetAt(localMs - 14 * MS_HOUR);
    const after = this.offsetAt(localMs + 14 * MS_HOUR);
    const valid: number[] = [];
    for (const o of before === after ? [before] : [before, after]) {
      if (this.offsetAt(localMs - o * MS_MIN) === o) valid.push(o);
    }
    if (valid.length === 0) {
      // Maybe a transition further than 14 h away changed nothing here; try the direct guess.
      const guess = this.offsetAt(localMs);
      if (this.offsetAt(localMs - guess * MS_MIN) === guess) return guess * 4 + LOCAL_TIME_STATUS.ok;
      return before * 4 + LOCAL_TIME_STATUS.skipped;
    }
    if (valid.length === 1) return valid[0]! * 4 + LOCAL_TIME_STATUS.ok;
    // Both offsets give this wall-clock time: take the first occurrence (the larger offset).
    return Math.max(valid[0]!, valid[1]!) * 4 + LOCAL_TIME_STATUS.ambiguous;
  }
}

/** `hh:mm:ss` or `h:mm` durations (Dexcom) in minutes; NaN when not of that shape. */
export function parseClockDuration(s: string): number {
  const parts = s.split(':');
  if (parts.length < 2 || parts.length > 3) return Number.NaN;
  const nums = parts.map((p) => (p.length > 0 && /^\d+$/.test(p) ? Number(p) : Number.NaN));
  return nums[0]! * 60 + nums[1]! + (nums.length === 3 ? nums[2]! / 60 : 0);
}
