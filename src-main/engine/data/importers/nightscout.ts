/**
 * Nightscout API JSON: entries (sgv in mg/dL, `date` epoch ms), treatments (boluses, carbs,
 * temp basals, profile switches; `created_at` UTC) and profiles (basal schedules). Files of
 * one export (`x_entries.json`, `x_treatments.json`, `x_profiles.json`, or one object with
 * those keys) are imported together as one patient, so that delivered basal can be
 * reconstructed: the scheduled basal of the active profile, overridden by temp basals.
 */
import { basename, dirname } from 'node:path';
import { z } from 'zod';
import { parseIsoLike, ZoneResolver } from '../time.js';
import { reconstructBasal, type BasalProfileDoc, type ProfileSwitch, type TempBasal } from './nightscout-basal.js';
import { sampleJson, streamJson } from './json-stream.js';
import { parseError, type Detection, type ImportContext, type Importer, type RecordSink, type SourceFile } from './types.js';

const Num = z.number().finite();
const OptNum = z.union([Num, z.null()]).optional();
const NumLike = z.union([
  Num,
  z
    .string()
    .regex(/^-?\d+(\.\d+)?$/)
    .transform(Number),
]);

const EntrySchema = z.looseObject({
  type: z.string().optional(),
  sgv: NumLike.optional(),
  mbg: NumLike.optional(),
  date: Num.optional(),
  dateString: z.string().optional(),
  utcOffset: Num.optional(),
});

const TreatmentSchema = z.looseObject({
  eventType: z.string(),
  created_at: z.string().optional(),
  timestamp: z.union([z.string(), Num]).optional(),
  mills: Num.optional(),
  date: Num.optional(),
  insulin: OptNum,
  carbs: OptNum,
  duration: OptNum,
  absolute: OptNum,
  rate: OptNum,
  percent: OptNum,
  profile: z.string().optional(),
  utcOffset: Num.optional(),
});

const ScheduleEntry = z.looseObject({ time: z.string().optional(), value: NumLike, timeAsSeconds: NumLike.optional() });
const ProfileSchema = z.looseObject({
  defaultProfile: z.string(),
  store: z.record(z.string(), z.looseObject({ basal: z.array(ScheduleEntry).optional(), timezone: z.string().optional() })),
  startDate: z.string().optional(),
  mills: Num.optional(),
});

const CombinedSchema = z.looseObject({
  entries: z.array(z.unknown()).optional(),
  treatments: z.array(z.unknown()).optional(),
  profile: z.union([z.array(z.unknown()), z.unknown()]).optional(),
  profiles: z.array(z.unknown()).optional(),
});

type Kind = 'entry' | 'treatment' | 'profile' | 'other';

function kindOf(v: unknown): Kind {
  if (typeof v !== 'object' || v === null) return 'other';
  const o = v as Record<string, unknown>;
  if ('store' in o && 'defaultProfile' in o) return 'profile';
  if ('eventType' in o) return 'treatment';
  if ('sgv' in o || o.type === 'sgv' || o.type === 'mbg' || o.type === 'cal') return 'entry';
  return 'other';
}

const COLLECTION_SUFFIX = /[_.-]?(entries|treatments|profiles?|devicestatus)$/i;

function patientOf(file: SourceFile): string {
  const stem = file.stem.replace(COLLECTION_SUFFIX, '');
  return stem.length > 0 ? stem : basename(dirname(file.path)) || 'nightscout';
}

/** The patient id of a file of a Nightscout export (also used by the CSV entries importer). */
export const nightscoutPatient = patientOf;

function scheduleSeconds(e: z.infer<typeof ScheduleEntry>): number {
  if (e.timeAsSeconds !== undefined) return e.timeAsSeconds;
  const m = /^(\d{1,2}):(\d{2})/.exec(e.time ?? '');
  return m === null ? 0 : Number(m[1]) * 3600 + Number(m[2]) * 60;
}

export const nightscout: Importer = {
  id: 'nightscout',
  label: 'Nightscout JSON (entries, treatments, profile)',

  detect(file: SourceFile): Detection | null {
    const s = sampleJson(file.sample.text, 20);
    if (s.top === 'array') {
      const kinds = s.elements.map(kindOf);
      const counts = { entry: 0, treatment: 0, profile: 0 };
      for (const k of kinds) if (k !== 'other') counts[k]++;
      const known = counts.entry + counts.treatment + counts.profile;
      if (known === 0 || known < kinds.length / 2) return null;
      const what = Object.entries(counts)
        .filter(([, n]) => n > 0)
        .map(([k, n]) => `${n} ${k}${n === 1 ? '' : k === 'entry' ? '' : 's'}`.replace('entry', n === 1 ? 'entry' : 'entries'));
      return {
        format: 'nightscout',
        score: 0.9,
        reasons: [
          `JSON array whose first elements are Nightscout ${what.join(', ')}`,
          `patient "${patientOf(file)}" (files of one export are imported together)`,
        ],
      };
    }
    if (s.top === 'object') {
      const o = s.object;
      if (o !== null && kindOf(o) === 'profile')
        return { format: 'nightscout', score: 0.9, reasons: ['JSON object with a Nightscout profile store (defaultProfile, store.*.basal)'] };
      if (/"(entries|treatments)"\s*:/.test(file.sample.text.slice(0, 4096)) && /"(sgv|eventType)"/.test(file.sample.text)) {
        return { format: 'nightscout', score: 0.85, reasons: ['JSON object with Nightscout "entries"/"treatments" arrays'] };
      }
    }
    return null;
  },

  groupKey(file: SourceFile): string {
    return `${dirname(file.path)}\u0000${patientOf(file)}`;
  },

  async run(files, ctx: ImportContext): Promise<void> {
    const state = new GroupState(ctx, patientOf(files[0]!));
    // Profiles first: treatments without utcOffset take their offset from the profile's zone.
    const ordered = [...files].sort((a, b) => rank(a) - rank(b));
    for (const file of ordered) {
      const sink = ctx.sinkFor(file);
      state.current = file;
      const top = await streamJson(file.path, file.name, (v, _i, line) => state.element(v, sink, line, file), {
        signal: ctx.signal,
        onBytes: (b) => ctx.onBytes(file, b),
      });
      if (top.kind === 'object') state.combined(top.value, sink, file);
      if (state.treatmentFile === null && state.sawTreatments.has(file)) state.treatmentFile = file;
    }
    state.finish(ordered);
  },
};

function rank(file: SourceFile): number {
  const s = sampleJson(file.sample.text, 3);
  const first = s.elements[0] ?? s.object;
  return kindOf(first) === 'profile' ? 0 : 1;
}

class GroupState {
  current: SourceFile | null = null;
  treatmentFile: SourceFile | null = null;
  readonly sawTreatments = new Set<SourceFile>();
  private readonly profiles: BasalProfileDoc[] = [];
  private readonly temps: TempBasal[] = [];
  private readonly switches: ProfileSwitch[] = [];
  private minTs = Number.POSITIVE_INFINITY;
  private maxTs = Number.NEGATIVE_INFINITY;
  private zone: ZoneResolver | null = null;
  private readonly ignored = new Map<string, number>();

  constructor(
    private readonly ctx: ImportContext,
    private readonly patient: string,
  ) {}

  private offsetFor(ts: number, explicit: number | undefined): number | null {
    if (explicit !== undefined) return Math.round(explicit);
    if (this.zone !== null) return this.zone.offsetAt(ts);
    if (this.ctx.options.timeZone !== null) return this.ctx.zone.offsetAt(ts);
    return null;
  }

  private span(ts: number): void {
    if (ts < this.minTs) this.minTs = ts;
    if (ts > this.maxTs) this.maxTs = ts;
  }

  element(v: unknown, sink: RecordSink, line: number, file: SourceFile): boolean {
    switch (kindOf(v)) {
      case 'entry':
        this.entry(v, sink, line, file);
        break;
      case 'treatment':
        this.sawTreatments.add(file);
        this.treatment(v, sink, line, file);
        break;
      case 'profile':
        this.profile(v, line, file);
        break;
      default:
        this.ignored.set('unrecognised records', (this.ignored.get('unrecognised records') ?? 0) + 1);
    }
    return !sink.full;
  }

  combined(value: unknown, sink: RecordSink, file: SourceFile): void {
    if (kindOf(value) === 'profile') {
      this.profile(value, 1, file);
      return;
    }
    const parsed = CombinedSchema.safeParse(value);
    if (!parsed.success) throw parseError(file, null, 'JSON object is neither a Nightscout profile nor an export with entries/treatments arrays.');
    const profiles =
      parsed.data.profiles ?? (Array.isArray(parsed.data.profile) ? parsed.data.profile : parsed.data.profile === undefined ? [] : [parsed.data.profile]);
    profiles.forEach((p) => this.profile(p, 1, file));
    (parsed.data.entries ?? []).forEach((e, i) => this.element(e, sink, i + 1, file));
    (parsed.data.treatments ?? []).forEach((t, i) => {
      this.sawTreatments.add(file);
      this.element(t, sink, i + 1, file);
    });
  }

  private entry(v: unknown, sink: RecordSink, line: number, file: SourceFile): void {
    const p = EntrySchema.safeParse(v);
    if (!p.success) throw parseError(file, line, `invalid Nightscout entry (${p.error.issues[0]?.path.join('.') ?? ''}: ${p.error.issues[0]?.message ?? ''}).`);
    const e = p.data;
    let ts = e.date;
    let off: number | undefined = e.utcOffset;
    if (ts === undefined && e.dateString !== undefined) {
      const parsed = parseIsoLike(e.dateString);
      if (parsed !== null && parsed.offsetMin !== null) {
        ts = parsed.localMs;
        off ??= parsed.offsetMin;
      }
    }
    if (ts === undefined) throw parseError(file, line, 'entry without a "date" (epoch ms) or a dateString with a zone.');
    const type = e.type ?? 'sgv';
    if (type === 'sgv' && e.sgv !== undefined) {
      this.span(ts);
      sink.glucose(this.patient, ts, this.offsetFor(ts, off), 'cgm', e.sgv, 'mg/dL', 0, line);
    } else if (type === 'mbg' && e.mbg !== undefined) {
      this.span(ts);
      sink.glucose(this.patient, ts, this.offsetFor(ts, off), 'smbg', e.mbg, 'mg/dL', 0, line);
    } else {
      this.ignored.set(`${type} entries`, (this.ignored.get(`${type} entries`) ?? 0) + 1);
    }
  }

  private treatment(v: unknown, sink: RecordSink, line: number, file: SourceFile): void {
    const p = TreatmentSchema.safeParse(v);
    if (!p.success)
      throw parseError(file, line, `invalid Nightscout treatment (${p.error.issues[0]?.path.join('.') ?? ''}: ${p.error.issues[0]?.message ?? ''}).`);
    const t = p.data;
    let ts: number | undefined = t.mills ?? t.date;
    const text = t.created_at ?? (typeof t.timestamp === 'string' ? t.timestamp : undefined);
    if (ts === undefined && typeof t.timestamp === 'number') ts = t.timestamp;
    let off: number | undefined = t.utcOffset;
    if (ts === undefined && text !== undefined) {
      const parsed = parseIsoLike(text);
      if (parsed === null) throw parseError(file, line, `created_at "${text.slice(0, 40)}" is not an ISO timestamp.`);
      // created_at is UTC by Nightscout's contract even when the zone is missing.
      ts = parsed.localMs;
      if (parsed.offsetMin !== null && parsed.offsetMin !== 0) off ??= parsed.offsetMin;
    }
    if (ts === undefined) throw parseError(file, line, 'treatment without created_at.');
    this.span(ts);
    const offset = this.offsetFor(ts, off);
    const type = t.eventType;
    if (type === 'Temp Basal') {
      const duration = t.duration ?? 0;
      this.temps.push({ ts, durationMin: duration, absolute: t.absolute ?? t.rate ?? null, percent: t.percent ?? null, line });
      return;
    }
    if (type === 'Profile Switch') {
      if (t.profile !== undefined) this.switches.push({ ts, profile: t.profile, durationMin: t.duration ?? 0 });
      return;
    }
    let used = false;
    if (t.insulin !== undefined && t.insulin !== null) {
      sink.event(this.patient, ts, offset, 'bolus', t.insulin, null, type === 'SMB' ? { smb: true } : { eventType: type }, line);
      used = true;
    }
    if (t.carbs !== undefined && t.carbs !== null) {
      sink.event(this.patient, ts, offset, 'carbs', t.carbs, null, null, line);
      used = true;
    }
    if (!used) {
      if (type === 'Exercise' && t.duration !== undefined && t.duration !== null)
        sink.event(this.patient, ts, offset, 'exercise', 0.5, t.duration, { eventType: type }, line);
      else this.ignored.set(`"${type}" treatments`, (this.ignored.get(`"${type}" treatments`) ?? 0) + 1);
    }
  }

  private profile(v: unknown, line: number, file: SourceFile): void {
    const p = ProfileSchema.safeParse(v);
    if (!p.success)
      throw parseError(file, line, `invalid Nightscout profile (${p.error.issues[0]?.path.join('.') ?? ''}: ${p.error.issues[0]?.message ?? ''}).`);
    const doc = p.data;
    const start = doc.mills ?? (doc.startDate !== undefined ? (parseIsoLike(doc.startDate)?.localMs ?? 0) : 0);
    const schedules = new Map<string, { seconds: number; rate: number }[]>();
    let timezone: string | null = null;
    for (const [name, prof] of Object.entries(doc.store)) {
      if (prof.basal !== undefined && prof.basal.length > 0) {
        schedules.set(
          name,
          prof.basal.map((e) => ({ seconds: scheduleSeconds(e), rate: e.value })).sort((a, b) => a.seconds - b.seconds),
        );
      }
      if (name === doc.defaultProfile && prof.timezone !== undefined) timezone = prof.timezone;
    }
    if (timezone !== null && this.zone === null) {
      try {
        this.zone = new ZoneResolver(timezone);
      } catch {
        this.zone = null;
      }
    }
    this.profiles.push({ start, defaultProfile: doc.defaultProfile, schedules, timezone });
  }

  finish(files: readonly SourceFile[]): void {
    const target = this.treatmentFile ?? files.find((f) => this.profiles.length > 0 && rank(f) === 0) ?? null;
    const sink = target === null ? null : this.ctx.sinkFor(target);
    if (sink !== null && this.profiles.length > 0 && Number.isFinite(this.minTs) && this.maxTs > this.minTs) {
      const zone = this.zone ?? this.ctx.zone;
      const segments = reconstructBasal(
        this.profiles,
        this.temps,
        this.switches,
        this.minTs,
        this.maxTs,
        (ts) => zone.offsetAt(ts),
        (name) => {
          sink.warn('unknown_profile', `Profile switches to a profile missing from the profile store were ignored.`, null);
          return name;
        },
      );
      for (const s of segments) sink.event(this.patient, s.ts, zone.offsetAt(s.ts), 'basal_rate', s.rate, s.durationMin, s.meta, s.line);
      sink.note(`${this.patient}: delivered basal reconstructed from the profile schedule and ${this.temps.length} temp basals (${segments.length} segments)`);
    } else if (this.temps.length > 0 && sink !== null) {
      // Without a profile only absolute temp rates are known.
      let n = 0;
      for (const t of this.temps) {
        if (t.absolute !== null && t.durationMin > 0) {
          sink.event(this.patient, t.ts, this.offsetFor(t.ts, undefined), 'basal_rate', t.absolute, t.durationMin, { source: 'temp' }, t.line);
          n++;
        }
      }
      sink.warn(
        'no_profile',
        `No Nightscout profile was imported with the treatments: scheduled basal is unknown, only ${n} absolute temp basals were kept. Import the profile file together with the treatments.`,
        null,
      );
    }
    const noteSink = sink ?? this.ctx.sinkFor(files[files.length - 1]!);
    if (this.ignored.size > 0) noteSink.note(`${this.patient}: ignored ${[...this.ignored].map(([k, n]) => `${n} ${k}`).join(', ')}`);
  }
}
