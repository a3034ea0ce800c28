/**
 * Delivered basal from a Nightscout profile and treatments: the scheduled rate of the
 * active profile (by time of day in the profile's zone), overridden by temp basals.
 * Follows Nightscout's own semantics: a temp basal's `absolute` (or `rate`) wins; otherwise
 * `percent` is a change relative to the scheduled rate (rate × (100 + percent) / 100); a
 * temp with duration 0 cancels the running one; a newer temp replaces an older one.
 */

export interface BasalProfileDoc {
  /** Epoch ms from which this profile document applies. */
  start: number;
  defaultProfile: string;
  /** Profile name → schedule sorted by seconds after local midnight. */
  schedules: Map<string, { seconds: number; rate: number }[]>;
  timezone: string | null;
}

export interface TempBasal {
  ts: number;
  durationMin: number;
  absolute: number | null;
  percent: number | null;
  line: number;
}

export interface ProfileSwitch {
  ts: number;
  profile: string;
  /** 0 = permanent. */
  durationMin: number;
}

export interface BasalSegment {
  ts: number;
  rate: number;
  durationMin: number;
  meta: Record<string, unknown>;
  line: number;
}

const DAY = 86_400_000;

export function reconstructBasal(
  docs: readonly BasalProfileDoc[],
  tempsIn: readonly TempBasal[],
  switchesIn: readonly ProfileSwitch[],
  from: number,
  to: number,
  offsetMinAt: (ts: number) => number,
  onUnknownProfile: (name: string) => void,
): BasalSegment[] {
  const sortedDocs = [...docs].sort((a, b) => a.start - b.start);
  const temps = [...tempsIn].sort((a, b) => a.ts - b.ts);
  const switches = [...switchesIn].sort((a, b) => a.ts - b.ts);

  const docAt = (t: number): BasalProfileDoc => {
    let d = sortedDocs[0]!;
    for (const x of sortedDocs) if (x.start <= t) d = x;
    return d;
  };
  // Active profile name at t, and when that answer may change next.
  const profileAt = (t: number): { name: string; until: number } => {
    let name: string | null = null;
    let until = Number.POSITIVE_INFINITY;
    let permanent: string | null = null;
    for (const s of switches) {
      if (s.ts > t) {
        until = Math.min(until, s.ts);
        break;
      }
      if (s.durationMin <= 0) {
        permanent = s.profile;
        name = null;
      } else if (t < s.ts + s.durationMin * 60_000) {
        name = s.profile;
        until = Math.min(until, s.ts + s.durationMin * 60_000);
      }
    }
    const doc = docAt(t);
    for (const x of sortedDocs)
      if (x.start > t) {
        until = Math.min(until, x.start);
        break;
      }
    return { name: name ?? permanent ?? doc.defaultProfile, until };
  };
  const warned = new Set<string>();
  const scheduled = (t: number): { rate: number; next: number; profile: string } => {
    const doc = docAt(t);
    const p = profileAt(t);
    let schedule = doc.schedules.get(p.name);
    let profile = p.name;
    if (schedule === undefined) {
      if (!warned.has(p.name)) {
        warned.add(p.name);
        onUnknownProfile(p.name);
      }
      profile = doc.defaultProfile;
      schedule = doc.schedules.get(doc.defaultProfile) ?? [...doc.schedules.values()][0];
    }
    if (schedule === undefined || schedule.length === 0) return { rate: 0, next: Math.min(p.until, to), profile };
    const local = t + offsetMinAt(t) * 60_000;
    const sec = (((local % DAY) + DAY) % DAY) / 1000;
    let i = 0;
    for (let k = 0; k < schedule.length; k++) if (schedule[k]!.seconds <= sec) i = k;
    const nextSec = i + 1 < schedule.length ? schedule[i + 1]!.seconds : 86_400;
    const next = t + Math.max(1, nextSec - sec) * 1000;
    return { rate: schedule[i]!.rate, next: Math.min(next, p.until), profile };
  };

  // Temp basal in force at t (the latest started, not ended, not cancelled) and its end.
  let ti = 0;
  let active: TempBasal | null = null;
  const out: BasalSegment[] = [];
  let t = from;
  while (t < to) {
    while (ti < temps.length && temps[ti]!.ts <= t) {
      const tb = temps[ti]!;
      active = tb.durationMin > 0 ? tb : null;
      ti++;
    }
    if (active !== null && active.ts + active.durationMin * 60_000 <= t) active = null;
    const s = scheduled(t);
    let next = Math.min(s.next, to);
    if (ti < temps.length) next = Math.min(next, temps[ti]!.ts);
    let rate = s.rate;
    let meta: Record<string, unknown> = { source: 'scheduled', profile: s.profile };
    let line = 0;
    if (active !== null) {
      next = Math.min(next, active.ts + active.durationMin * 60_000);
      rate = active.absolute !== null ? active.absolute : active.percent !== null ? (s.rate * (100 + active.percent)) / 100 : s.rate;
      meta = { source: 'temp', profile: s.profile, ...(active.absolute === null && active.percent !== null ? { percent: active.percent } : {}) };
      line = active.line;
    }
    if (next <= t) next = t + 1000;
    const prev = out[out.length - 1];
    if (
      prev !== undefined &&
      prev.rate === rate &&
      prev.meta.source === meta.source &&
      prev.line === line &&
      Math.abs(prev.ts + prev.durationMin * 60_000 - t) < 1
    ) {
      prev.durationMin += (next - t) / 60_000;
    } else {
      out.push({ ts: t, rate, durationMin: (next - t) / 60_000, meta, line });
    }
    t = next;
  }
  return out;
}
