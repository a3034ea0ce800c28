/**
 * What every importer shares: format ids, detection results, the sink records flow into
 * (the database writer or a preview collector), and the value checks that flag absurd
 * values instead of keeping them silently.
 */
import { StudioError } from '../../errors.js';
import type { EventKind } from '../../store/events.js';
import { READING_FLAGS, type ReadingKind } from '../../store/readings.js';
import type { TextSample } from '../csv.js';
import { LOCAL_TIME_STATUS, type DateOrder, type ZoneResolver } from '../time.js';
import type { GenericMapping } from './mapping.js';
import { type GlucoseUnit, toMgdl } from '../../units.js';

import type { FormatId } from './formats.js';

export { FORMAT_IDS, type FormatId } from './formats.js';

/** CGM sensor reporting limits used for "Low"/"High" readings (Dexcom, mg/dL). */
export const SENSOR_LOW_MGDL = 40;
export const SENSOR_HIGH_MGDL = 400;
/** FreeStyle Libre reports "HI" above 500 mg/dL. */
export const LIBRE_HIGH_MGDL = 500;
/** Outside this glucose range a value is physiologically absurd and flagged. */
export const GLUCOSE_MIN_MGDL = 20;
export const GLUCOSE_MAX_MGDL = 600;
export const CARBS_MAX_G = 500;

export interface Detection {
  format: FormatId;
  /** 0–1; the best candidate at or above 0.5 wins. */
  score: number;
  reasons: string[];
}

export interface SourceFile {
  path: string;
  /** File name shown in messages. */
  name: string;
  /** File name without extension: the default patient id. */
  stem: string;
  size: number;
  sample: TextSample;
}

export interface ImportOptions {
  /** IANA zone of naive local timestamps; null = not given (UTC assumed, with a warning). */
  timeZone: string | null;
  /** Forced date order for locale timestamps (LibreView, generic CSV). */
  dateOrder: DateOrder | null;
  /** Column mapping for the generic CSV importer. */
  mapping: GenericMapping | null;
}

export interface ImportWarning {
  code: string;
  message: string;
  count: number;
  /** First line (or JSON element) where it occurred; null when file-wide. */
  firstLine: number | null;
}

/** Where an importer sends canonical records. Patient ids are the source's external ids. */
export interface RecordSink {
  /** True once a preview has collected enough: importers may stop reading. */
  readonly full: boolean;
  glucose(patient: string, ts: number, offsetMin: number | null, kind: ReadingKind, value: number, unit: GlucoseUnit, flags: number, line: number): void;
  event(
    patient: string,
    ts: number,
    offsetMin: number | null,
    kind: EventKind,
    value: number,
    durationMin: number | null,
    meta: Record<string, unknown> | null,
    line: number,
  ): void;
  warn(code: string, message: string, line: number | null): void;
  /** Informational note for the import report (ignored record types, detected cadence…). */
  note(text: string): void;
}

export interface ImportContext {
  readonly options: ImportOptions;
  /** Resolver for naive timestamps: the --tz zone, or UTC when none was given. */
  readonly zone: ZoneResolver;
  readonly signal: AbortSignal | undefined;
  sinkFor(file: SourceFile): RecordSink;
  onBytes(file: SourceFile, bytes: number): void;
}

export interface Importer {
  readonly id: FormatId;
  readonly label: string;
  detect(file: SourceFile): Detection | null;
  /** Files with the same key are imported together (Nightscout entries + treatments + profile). */
  groupKey?(file: SourceFile): string;
  run(files: readonly SourceFile[], ctx: ImportContext): Promise<void>;
}

export function parseError(file: SourceFile | string, line: number | null, problem: string): StudioError {
  const name = typeof file === 'string' ? file : file.name;
  const where = line === null ? name : `${name}, line ${line}`;
  return new StudioError('PARSE', `${where}: ${problem}`, { file: typeof file === 'string' ? file : file.path, line });
}

/** Warns once per file that naive timestamps were read as UTC because no zone was given. */
export function noteNaiveTimes(ctx: ImportContext, sink: RecordSink, file: SourceFile): void {
  if (ctx.options.timeZone === null) {
    sink.warn(
      'assumed_utc',
      `${file.name} has local timestamps without a zone; they were read as UTC. Re-import with --tz <IANA zone> (e.g. Europe/Oslo) for correct instants.`,
      null,
    );
  }
}

/** Converts a naive wall-clock time with the context's zone, warning on DST ambiguity or gaps. */
export function localToUtc(ctx: ImportContext, sink: RecordSink, localMs: number, line: number): number {
  const ts = ctx.zone.toUtc(localMs);
  if (ctx.zone.status !== LOCAL_TIME_STATUS.ok) {
    if (ctx.zone.status === LOCAL_TIME_STATUS.ambiguous) {
      sink.warn(
        'dst_ambiguous',
        `Local times in the repeated hour of a daylight-saving change (${ctx.zone.zone}) are ambiguous; they were taken as the first occurrence.`,
        line,
      );
    } else {
      sink.warn('dst_gap', `Local times inside a daylight-saving gap (${ctx.zone.zone}) do not exist; they were shifted forward by the change.`, line);
    }
  }
  return ts;
}

/** Libre's floor: 2.2 mmol/L (39.6–39.64 mg/dL) is its lowest value, not a measurement below it. */
export const SENSOR_FLOOR_MGDL = { min: 39.5, max: 40 } as const;

/**
 * Flags of a glucose value, each explained in an import warning:
 * - censored (READING_FLAGS.clampedLow / clampedHigh, set by the importer for sensor-limit
 *   markers; also set here for a reading at a sensor's floor, 39.5–40 mg/dL such as Libre's
 *   2.2 mmol/L): kept at the limit, the true glucose was at or beyond it;
 * - implausible (READING_FLAGS.outOfRange) outside 20–600 mg/dL: kept, flagged;
 * - beyond the typical sensor range (20–40 or 400–600 mg/dL): kept as measured, reported.
 * Throws on non-finite values, which no importer should pass on.
 */
export function checkGlucose(sink: Pick<RecordSink, 'warn'>, value: number, unit: GlucoseUnit, flags: number, line: number): number {
  if (!Number.isFinite(value)) throw new StudioError('PARSE', `line ${line}: glucose value is not a number.`);
  const mgdl = toMgdl(value, unit);
  let f = flags;
  if (mgdl < GLUCOSE_MIN_MGDL || mgdl > GLUCOSE_MAX_MGDL) {
    f |= READING_FLAGS.outOfRange;
    sink.warn(
      'glucose_out_of_range',
      `Glucose values outside ${GLUCOSE_MIN_MGDL}–${GLUCOSE_MAX_MGDL} mg/dL are not possible in a person (a sensor error code, a broken cell or a unit mix-up); they were kept, marked implausible, and the quality check reports them.`,
      line,
    );
  } else if (flags === 0) {
    if (mgdl >= SENSOR_FLOOR_MGDL.min && mgdl < SENSOR_FLOOR_MGDL.max) {
      f |= READING_FLAGS.clampedLow;
      sink.warn(
        'sensor_floor',
        `Readings at a sensor's floor (2.2 mmol/L = 39.6 mg/dL, the lowest value a FreeStyle Libre reports) were kept and marked censored low: the true glucose was at or below it. They are not error codes.`,
        line,
      );
    } else if (mgdl < SENSOR_LOW_MGDL || mgdl > SENSOR_HIGH_MGDL + 0.05) {
      sink.warn(
        'beyond_sensor_range',
        `Glucose below ${SENSOR_LOW_MGDL} or above ${SENSOR_HIGH_MGDL} mg/dL is beyond the typical sensor range (some sensors report it, e.g. FreeStyle Libre up to ${LIBRE_HIGH_MGDL} mg/dL); these readings were kept as measured.`,
        line,
      );
    }
  }
  if ((flags & READING_FLAGS.clampedLow) !== 0)
    sink.warn(
      'clamped_low',
      `Low sensor-limit markers ("Low", "LO", "<40"…) were stored at the sensor's lower limit (${SENSOR_LOW_MGDL} mg/dL, or the limit the marker names) and marked censored low: the true glucose was at or below it.`,
      line,
    );
  if ((flags & READING_FLAGS.clampedHigh) !== 0)
    sink.warn(
      'clamped_high',
      `High sensor-limit markers ("High", "HI", ">400"…) were stored at the sensor's upper limit (Dexcom and Medtronic ${SENSOR_HIGH_MGDL}, Libre ${LIBRE_HIGH_MGDL} mg/dL, or the limit the marker names) and marked censored high: the true glucose was at or above it.`,
      line,
    );
  return f;
}

/** Flags (READING_FLAGS.outOfRange) absurd event values and warns; returns the flags. */
export function checkEvent(sink: Pick<RecordSink, 'warn'>, kind: EventKind, value: number, line: number): number {
  if (!Number.isFinite(value)) throw new StudioError('PARSE', `line ${line}: ${kind} value is not a number.`);
  let bad: string | null = null;
  switch (kind) {
    case 'bolus':
    case 'basal_dose':
      if (value < 0) bad = 'Negative insulin doses';
      else if (value > 100) bad = 'Insulin doses above 100 U';
      break;
    case 'basal_rate':
      if (value < 0) bad = 'Negative basal rates';
      else if (value > 50) bad = 'Basal rates above 50 U/h';
      break;
    case 'carbs':
      if (value < 0) bad = 'Negative carbohydrate amounts';
      else if (value > CARBS_MAX_G) bad = `Carbohydrate amounts above ${CARBS_MAX_G} g`;
      break;
    case 'hr':
      if (value < 20 || value > 300) bad = 'Heart rates outside 20–300 bpm';
      break;
    case 'steps':
    case 'cals':
      if (value < 0) bad = `Negative ${kind}`;
      break;
    default:
      break;
  }
  if (bad === null) return 0;
  sink.warn(`${kind}_out_of_range`, `${bad} are implausible; they were kept and marked implausible. Check the export.`, line);
  return READING_FLAGS.outOfRange;
}
