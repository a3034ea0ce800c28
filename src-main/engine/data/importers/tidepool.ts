/**
 * Tidepool JSON export: an array of data objects with `type` (cbg, smbg, bolus, basal,
 * food, wizard…), `time` (UTC ISO) and `timezoneOffset` (minutes east of UTC). Glucose
 * comes in the object's `units` (Tidepool stores mmol/L). Streamed element by element.
 */
import { z } from 'zod';
import { parseIsoLike, type ZoneResolver } from '../time.js';
import { sampleJson, streamJson } from './json-stream.js';
import { parseError, type Detection, type ImportContext, type Importer, type RecordSink, type SourceFile } from './types.js';
import type { GlucoseUnit } from '../../units.js';

const Num = z.number().finite();
const Base = z.looseObject({ type: z.string(), time: z.string().optional(), timezoneOffset: Num.optional() });
const Glucose = z.looseObject({ value: Num, units: z.string().optional() });
const Bolus = z.looseObject({ subType: z.string().optional(), normal: Num.optional(), extended: Num.optional(), duration: Num.optional() });
const Basal = z.looseObject({ deliveryType: z.string().optional(), rate: Num.optional(), duration: Num.optional() });
const Food = z.looseObject({
  nutrition: z.looseObject({ carbohydrate: z.looseObject({ net: Num.optional(), units: z.string().optional() }).optional() }).optional(),
});
const Wizard = z.looseObject({ carbInput: Num.optional() });

const KNOWN_TYPES = new Set([
  'cbg',
  'smbg',
  'bolus',
  'basal',
  'food',
  'wizard',
  'upload',
  'pumpSettings',
  'cgmSettings',
  'deviceEvent',
  'physicalActivity',
  'reportedState',
  'bloodKetone',
  'insulin',
  'cbgSettings',
]);

function unitOf(units: string | undefined): GlucoseUnit | null {
  if (units === undefined) return 'mmol/L';
  const u = units.toLowerCase().replace(/\s/g, '');
  if (u === 'mmol/l' || u === 'mmol') return 'mmol/L';
  if (u === 'mg/dl' || u === 'mg') return 'mg/dL';
  return null;
}

export const tidepool: Importer = {
  id: 'tidepool',
  label: 'Tidepool JSON export',

  detect(file: SourceFile): Detection | null {
    const s = sampleJson(file.sample.text, 30);
    if (s.top !== 'array' || s.elements.length === 0) return null;
    let known = 0;
    const types = new Set<string>();
    for (const e of s.elements) {
      if (typeof e === 'object' && e !== null && typeof (e as Record<string, unknown>).type === 'string' && 'time' in e) {
        const t = (e as Record<string, string>).type!;
        if (KNOWN_TYPES.has(t)) {
          known++;
          types.add(t);
        }
      }
    }
    if (known < Math.max(1, s.elements.length / 2)) return null;
    return { format: 'tidepool', score: 0.9, reasons: [`JSON array of Tidepool data objects (type + time): ${[...types].join(', ')}`] };
  },

  async run(files, ctx: ImportContext): Promise<void> {
    for (const file of files) {
      const sink = ctx.sinkFor(file);
      const ignored = new Map<string, number>();
      const top = await streamJson(
        file.path,
        file.name,
        (v, _i, line) => element(v, sink, line, file, ignored, ctx.options.timeZone !== null ? ctx.zone : null),
        {
          signal: ctx.signal,
          onBytes: (b) => ctx.onBytes(file, b),
        },
      );
      if (top.kind !== 'array') throw parseError(file, null, 'a Tidepool export is a JSON array of data objects.');
      if (ignored.size > 0) sink.note(`${file.name}: ignored ${[...ignored].map(([k, n]) => `${n} ${k}`).join(', ')}`);
    }
  },
};

function element(v: unknown, sink: RecordSink, line: number, file: SourceFile, ignored: Map<string, number>, zone: ZoneResolver | null): boolean {
  const patient = file.stem;
  const b = Base.safeParse(v);
  if (!b.success) throw parseError(file, line, 'a Tidepool record needs a string "type".');
  const rec = b.data;
  const skip = (what: string): boolean => {
    ignored.set(what, (ignored.get(what) ?? 0) + 1);
    return !sink.full;
  };
  if (!['cbg', 'smbg', 'bolus', 'basal', 'food', 'wizard'].includes(rec.type)) return skip(`${rec.type} records`);
  if (rec.time === undefined) throw parseError(file, line, `${rec.type} record without "time".`);
  const parsed = parseIsoLike(rec.time);
  if (parsed === null) throw parseError(file, line, `time "${rec.time.slice(0, 40)}" is not an ISO timestamp.`);
  // Tidepool's `time` is UTC; a naive one is read as UTC too.
  const ts = parsed.localMs;
  // The local offset is the record's timezoneOffset; without one, the --tz zone's (or unknown).
  const off = rec.timezoneOffset !== undefined ? Math.round(rec.timezoneOffset) : zone !== null ? zone.offsetAt(ts) : null;
  const bad = (what: string, err: z.ZodError): Error =>
    parseError(file, line, `invalid ${what} record (${err.issues[0]?.path.join('.') ?? ''}: ${err.issues[0]?.message ?? ''}).`);
  switch (rec.type) {
    case 'cbg':
    case 'smbg': {
      const g = Glucose.safeParse(v);
      if (!g.success) throw bad(rec.type, g.error);
      const unit = unitOf(g.data.units);
      if (unit === null) throw parseError(file, line, `glucose units "${g.data.units ?? ''}" are neither mmol/L nor mg/dL.`);
      sink.glucose(patient, ts, off, rec.type === 'cbg' ? 'cgm' : 'smbg', g.data.value, unit, 0, line);
      break;
    }
    case 'bolus': {
      const bo = Bolus.safeParse(v);
      if (!bo.success) throw bad('bolus', bo.error);
      const { normal, extended, duration, subType } = bo.data;
      if (normal === undefined && extended === undefined) return skip('bolus records without a dose');
      if (normal !== undefined) sink.event(patient, ts, off, 'bolus', normal, null, subType !== undefined && subType !== 'normal' ? { subType } : null, line);
      if (extended !== undefined && extended !== 0)
        sink.event(
          patient,
          ts,
          off,
          'bolus',
          extended,
          duration !== undefined ? duration / 60_000 : null,
          { subType: subType ?? 'square', extended: true },
          line,
        );
      break;
    }
    case 'basal': {
      const ba = Basal.safeParse(v);
      if (!ba.success) throw bad('basal', ba.error);
      const { deliveryType, rate, duration } = ba.data;
      const r = deliveryType === 'suspend' ? (rate ?? 0) : rate;
      if (r === undefined) return skip('basal records without a rate');
      sink.event(patient, ts, off, 'basal_rate', r, duration !== undefined ? duration / 60_000 : null, { deliveryType: deliveryType ?? 'unknown' }, line);
      break;
    }
    case 'food': {
      const fo = Food.safeParse(v);
      if (!fo.success) throw bad('food', fo.error);
      const carbs = fo.data.nutrition?.carbohydrate?.net;
      if (carbs === undefined) return skip('food records without net carbohydrate');
      sink.event(patient, ts, off, 'carbs', carbs, null, null, line);
      break;
    }
    case 'wizard': {
      const w = Wizard.safeParse(v);
      if (!w.success) throw bad('wizard', w.error);
      if (w.data.carbInput === undefined || w.data.carbInput === 0) return skip('wizard records without carbs');
      sink.event(patient, ts, off, 'carbs', w.data.carbInput, null, { source: 'wizard' }, line);
      break;
    }
  }
  return !sink.full;
}
