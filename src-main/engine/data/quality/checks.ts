/**
 * Quality checks of one patient's raw readings and grid (pure; no store). Each finding has
 * a severity, a count, the affected patient/channel/time range and, where one exists, a fix
 * that `quality.fix` applies only when asked.
 */
import type { QualityFinding, QualityFix } from './schema.js';
import { READING_FLAGS, type ReadingKind } from '../../store/readings.js';
import type { PatientGrid } from '../grid/build.js';
import { CHANNELS, type Channel } from '../grid/channels.js';
import { ZoneResolver } from '../time.js';
import { countWindows } from '../windows.js';
import { conflictGroups, SAME_VALUE_MMOL } from './conflicts.js';
import { MGDL_PER_MMOL } from '../../units.js';

/** Sensors report from 40 mg/dL (Libre's floor 2.2 mmol/L = 39.6 mg/dL); lower values are rare. */
const SENSOR_LOW_MMOL = 2.2;
/**
 * Below 20 mg/dL no sensor reports glucose: such values (0, 1.8 mg/dL…) are status codes.
 * Censored lows (a "Low"/"LO" marker, a reading at the sensor's floor) are not: they are
 * flagged clampedLow by the importers and never offered for removal.
 */
const ERROR_CODE_BELOW_MMOL = 20 / MGDL_PER_MMOL;
/** Above this no mmol/L value is physiological (600 mg/dL); mg/dL values land here. */
const MAX_MMOL = 33.3;
/** 10 mg/dL per minute: faster than glucose can change in a body. */
const MAX_RATE_MMOL_PER_MIN = 10 / MGDL_PER_MMOL;
/** mmol/L values imported as if mg/dL end up here after the ÷18 conversion. */
const MMOL_AS_MGDL = { min: 0.1, max: 1.45 };
const MIN_UNIT_RUN = 6;

export interface QualityReading {
  id: number;
  ts: number;
  bgMm: number;
  flags: number;
  kind: ReadingKind;
  /** The source's local UTC offset (minutes) at the reading, when recorded. */
  offsetMin?: number | null;
}

export interface QualityEvent {
  ts: number;
  kind: string;
  value: number;
  flags: number;
}

/** Grid channel each event kind feeds (kinds without one, e.g. exercise or note, are not range-checked). */
const EVENT_CHANNEL: Partial<Record<string, Channel>> = {
  bolus: 'bolus',
  basal_rate: 'rate',
  basal_dose: 'dose_units',
  carbs: 'food_g',
  hr: 'hr_bpm',
  steps: 'steps',
  cals: 'cals',
};

export interface QualitySettings {
  resolutionMin: number;
  maxGapMin: number;
  contextLength: number;
  forecastLength: number;
}

export interface PatientQuality {
  patientId: number;
  externalId: string;
  readings: number;
  days: number;
  wearPercent: number;
  missingPercent: number;
  modalIntervalMin: number | null;
  segments: number;
  usableWindows: number;
  gapHistogram: { label: string; count: number }[];
}

const GAP_BUCKETS: { label: string; maxMin: number }[] = [
  { label: '≤15 min', maxMin: 15 },
  { label: '15–30 min', maxMin: 30 },
  { label: '30–60 min', maxMin: 60 },
  { label: '1–2 h', maxMin: 120 },
  { label: '2–6 h', maxMin: 360 },
  { label: '6–24 h', maxMin: 1440 },
  { label: '>24 h', maxMin: Infinity },
];

function fmtTime(ts: number): string {
  return new Date(ts).toISOString().slice(0, 16).replace('T', ' ') + ' UTC';
}

function mode(xs: readonly number[]): number | null {
  if (xs.length === 0) return null;
  const counts = new Map<number, number>();
  for (const x of xs) counts.set(x, (counts.get(x) ?? 0) + 1);
  let best = xs[0]!;
  let bestN = 0;
  for (const [x, n] of counts) if (n > bestN || (n === bestN && x < best)) [best, bestN] = [x, n];
  return best;
}

export interface PatientCheckResult {
  summary: PatientQuality;
  findings: QualityFinding[];
  /** Channels with data whose observed values never vary. */
  constantChannels: Channel[];
  presentChannels: Channel[];
}

/** Readings this close in time (different timestamps) come from one moment: an upload twice, or two sensors. */
const SAME_MOMENT_MS = 60_000;
/** Two sensors worn at once disagree by this much (mg/dL) at the same moment. */
const OVERLAP_MGDL = { min: 40, max: 100 };
/** Pairs of readings a moment apart within this time of each other form one overlap stretch. */
const OVERLAP_JOIN_MS = 30 * 60_000;
const MIN_OVERLAP_PAIRS = 3;
const HOUR_MS = 3_600_000;

/**
 * The UTC offset change (minutes; > 0 spring forward, < 0 fall back) of a daylight-saving
 * transition within 3 h of [from, to], from the patient's time zone when known, otherwise from
 * the offsets the importer recorded per reading; 0 when there is none.
 */
function dstChangeNear(from: number, to: number, timeZone: string | null | undefined, readings: readonly QualityReading[]): number {
  if (timeZone !== null && timeZone !== undefined) {
    try {
      const z = new ZoneResolver(timeZone);
      return z.offsetAt(to + 3 * HOUR_MS) - z.offsetAt(from - 3 * HOUR_MS);
    } catch {
      // an unknown zone name: fall back to the recorded offsets
    }
  }
  let first: number | null = null;
  let last: number | null = null;
  for (const r of readings) {
    if (r.ts < from - 3 * HOUR_MS || r.ts > to + 3 * HOUR_MS || r.offsetMin === null || r.offsetMin === undefined) continue;
    first ??= r.offsetMin;
    last = r.offsetMin;
  }
  return first === null || last === null ? 0 : last - first;
}

type FindingInput = Omit<QualityFinding, 'patientId' | 'externalId' | 'channel' | 'from' | 'to' | 'fix'> &
  Partial<Pick<QualityFinding, 'channel' | 'from' | 'to' | 'fix'>>;

/** Two readings a moment apart (distinct timestamps) with different values. */
interface ClosePair {
  a: QualityReading;
  b: QualityReading;
  diffMgdl: number;
}

/** Slots holding two readings for about an hour at a daylight-saving transition. */
interface DstStretch {
  from: number;
  to: number;
  slots: number;
  minutes: number;
  change: number;
}

/**
 * What the checks of one patient share: the readings in the orders they need, derived series,
 * and what earlier checks established (readings they explained, so later checks do not report
 * them again). Checks run in PATIENT_CHECKS order, which is also the order of the findings.
 */
interface PatientCheckContext {
  patient: { patientId: number; externalId: string; timeZone?: string | null };
  settings: QualitySettings;
  grid: PatientGrid;
  events: readonly QualityEvent[];
  stepMs: number;
  /** Live glucose readings (CGM and scans, not removed) in file order. */
  live: readonly QualityReading[];
  finite: readonly QualityReading[];
  /** Finite readings by time (then id). */
  sorted: readonly QualityReading[];
  /** Readings per distinct timestamp. */
  dupCounts: Map<number, number>;
  /** Minutes between consecutive distinct timestamps. */
  intervals: readonly number[];
  modal: number | null;
  coverage: GridCoverage;
  /** Present channels whose observed values never vary. */
  constant: readonly ConstantChannel[];
  /** Readings in runs of mmol/L values read as mg/dL (unit_mmol_in_mgdl). */
  inUnitRun: Set<number>;
  /** Readings a moment apart with different values (overlapping sensors, rates). */
  closePairs: ClosePair[];
  uploadIds: Set<number>;
  overlapIds: Set<number>;
  dstStretches: DstStretch[];
  conflictTs: Set<number>;
  conflictIds: Set<number>;
  add(f: FindingInput): void;
}

function inDst(c: PatientCheckContext, ts: number): boolean {
  return c.dstStretches.some((x) => ts >= x.from && ts < x.to);
}

function checkNonFinite(c: PatientCheckContext): void {
  const nonFinite = c.live.filter((r) => !Number.isFinite(r.bgMm));
  if (nonFinite.length === 0) return;
  c.add({
    check: 'non_finite',
    severity: 'error',
    count: nonFinite.length,
    message: `${nonFinite.length} glucose value(s) of ${c.patient.externalId} are not finite numbers (±Infinity): the file had broken cells. Remove them.`,
    fix: { kind: 'remove_readings', patientId: c.patient.patientId, timestamps: nonFinite.map((r) => r.ts) },
  });
}

function checkImpossibleValues(c: PatientCheckContext): void {
  const absurd = c.finite.filter((r) => r.bgMm < 0 || r.bgMm > 600);
  if (absurd.length === 0) return;
  c.add({
    check: 'out_of_range',
    severity: 'error',
    count: absurd.length,
    from: absurd[0]!.ts,
    to: absurd[absurd.length - 1]!.ts,
    message: `${absurd.length} glucose value(s) of ${c.patient.externalId} are impossible in any unit (< 0 or > 600). Remove them.`,
    fix: { kind: 'remove_readings', patientId: c.patient.patientId, timestamps: absurd.map((r) => r.ts) },
  });
}

function checkMgdlInMmol(c: PatientCheckContext): void {
  const mgdl = c.finite.filter((r) => r.bgMm > MAX_MMOL && r.bgMm <= 600);
  if (mgdl.length === 0) return;
  c.add({
    check: 'unit_mgdl_in_mmol',
    severity: 'warning',
    count: mgdl.length,
    from: Math.min(...mgdl.map((r) => r.ts)),
    to: Math.max(...mgdl.map((r) => r.ts)),
    message: `${mgdl.length} value(s) of ${c.patient.externalId} are above ${MAX_MMOL} mmol/L but look like mg/dL (${mgdl[0]!.bgMm}…): a mg/dL column read as mmol/L. Convert them (÷ ${MGDL_PER_MMOL}).`,
    fix: { kind: 'convert_units', patientId: c.patient.patientId, factor: 1 / MGDL_PER_MMOL, min: MAX_MMOL, max: 600 },
  });
}

/** mmol/L values divided by 18 once too often: runs of tiny but smoothly varying values. */
function checkMmolInMgdl(c: PatientCheckContext): void {
  const { sorted } = c;
  const inBand = (r: QualityReading): boolean => r.bgMm >= MMOL_AS_MGDL.min && r.bgMm <= MMOL_AS_MGDL.max && (r.flags & READING_FLAGS.clampedLow) === 0;
  let runs = 0;
  for (let i = 0; i < sorted.length;) {
    if (!inBand(sorted[i]!)) {
      i++;
      continue;
    }
    let j = i;
    while (j < sorted.length && inBand(sorted[j]!)) j++;
    if (j - i >= MIN_UNIT_RUN) {
      runs++;
      for (let k = i; k < j; k++) c.inUnitRun.add(sorted[k]!.id);
      if (runs <= 10) {
        c.add({
          check: 'unit_mmol_in_mgdl',
          severity: 'warning',
          count: j - i,
          from: sorted[i]!.ts,
          to: sorted[j - 1]!.ts,
          message: `${j - i} consecutive values of ${c.patient.externalId} from ${fmtTime(sorted[i]!.ts)} are ${MMOL_AS_MGDL.min}–${MMOL_AS_MGDL.max} mmol/L: mmol/L values read as mg/dL. Convert them (× ${MGDL_PER_MMOL}).`,
          fix: {
            kind: 'convert_units',
            patientId: c.patient.patientId,
            factor: MGDL_PER_MMOL,
            min: MMOL_AS_MGDL.min,
            max: MMOL_AS_MGDL.max,
            from: sorted[i]!.ts,
            to: sorted[j - 1]!.ts + 1,
          },
        });
      }
    }
    i = j;
  }
}

function checkErrorCodes(c: PatientCheckContext): void {
  const codes = c.sorted.filter((r) => r.bgMm >= 0 && r.bgMm < ERROR_CODE_BELOW_MMOL && (r.flags & READING_FLAGS.clampedLow) === 0 && !c.inUnitRun.has(r.id));
  if (codes.length === 0) return;
  const distinct = [...new Set(codes.map((r) => Math.round(r.bgMm * MGDL_PER_MMOL)))].slice(0, 6);
  c.add({
    check: 'error_codes',
    severity: 'warning',
    count: codes.length,
    from: codes[0]!.ts,
    to: codes[codes.length - 1]!.ts,
    message: `${codes.length} value(s) of ${c.patient.externalId} lie below 20 mg/dL (${distinct.join(', ')} mg/dL), lower than any sensor reads: sensor status codes, not glucose. Remove them. (Censored lows, "Low"/"LO" or a reading at the sensor's 40 mg/dL floor, are kept and not counted here.)`,
    fix: { kind: 'remove_readings', patientId: c.patient.patientId, timestamps: codes.map((r) => r.ts) },
  });
}

/** Insulin, carb and activity records: the grid skips broken ones, so say so here. */
function checkEventValues(c: PatientCheckContext): void {
  const badEvents = new Map<string, { count: number; from: number; to: number; negative: boolean }>();
  for (const e of c.events) {
    if ((e.flags & READING_FLAGS.removed) !== 0) continue;
    const broken = !Number.isFinite(e.value);
    const negative = !broken && e.value < 0 && EVENT_CHANNEL[e.kind] !== undefined;
    if (!broken && !negative) continue;
    const key = `${e.kind}:${broken ? 'nf' : 'neg'}`;
    const b = badEvents.get(key) ?? { count: 0, from: e.ts, to: e.ts, negative };
    b.count++;
    b.from = Math.min(b.from, e.ts);
    b.to = Math.max(b.to, e.ts);
    badEvents.set(key, b);
  }
  for (const [key, b] of badEvents) {
    const kind = key.slice(0, key.indexOf(':'));
    c.add({
      check: b.negative ? 'out_of_range' : 'non_finite',
      severity: 'error',
      count: b.count,
      channel: EVENT_CHANNEL[kind] ?? null,
      from: b.from,
      to: b.to,
      message: b.negative
        ? `${b.count} ${kind} record(s) of ${c.patient.externalId} are negative: the grid would subtract them. Check the export's column mapping and re-import.`
        : `${b.count} ${kind} record(s) of ${c.patient.externalId} are not finite numbers and are left out of the grid. Check the export and re-import.`,
    });
  }
}

/**
 * Readings a moment apart (distinct timestamps, < 1 min): the same value twice is a double
 * upload; values 40–100 mg/dL apart over a stretch are two sensors worn at once (next check).
 */
function checkDuplicateUploads(c: PatientCheckContext): void {
  const { sorted } = c;
  const uploads: QualityReading[] = [];
  for (let i = 1; i < sorted.length; i++) {
    const a = sorted[i - 1]!;
    const b = sorted[i]!;
    const dt = b.ts - a.ts;
    if (dt <= 0 || dt >= SAME_MOMENT_MS) continue;
    const diff = Math.abs(b.bgMm - a.bgMm);
    if (diff <= SAME_VALUE_MMOL) uploads.push(b);
    else c.closePairs.push({ a, b, diffMgdl: diff * MGDL_PER_MMOL });
  }
  for (const r of uploads) c.uploadIds.add(r.id);
  if (uploads.length === 0) return;
  c.add({
    check: 'duplicate_uploads',
    severity: 'warning',
    count: uploads.length,
    from: uploads[0]!.ts,
    to: uploads[uploads.length - 1]!.ts,
    message: `${uploads.length} reading(s) of ${c.patient.externalId} repeat the reading seconds before with the same value: the same data uploaded twice. Remove the repeats.`,
    fix: { kind: 'remove_readings', patientId: c.patient.patientId, timestamps: uploads.map((r) => r.ts) },
  });
}

function checkOverlappingSensors(c: PatientCheckContext): void {
  const { sorted, closePairs, overlapIds } = c;
  const stretches: ClosePair[][] = [];
  for (const p of closePairs) {
    if (p.diffMgdl < OVERLAP_MGDL.min || p.diffMgdl > OVERLAP_MGDL.max) continue;
    const last = stretches[stretches.length - 1];
    if (last !== undefined && p.a.ts - last[last.length - 1]!.b.ts <= OVERLAP_JOIN_MS) last.push(p);
    else stretches.push([p]);
  }
  for (const stretch of stretches) {
    if (stretch.length < MIN_OVERLAP_PAIRS) continue;
    const from = stretch[0]!.a.ts;
    const to = stretch[stretch.length - 1]!.b.ts;
    // Every pair of readings a moment apart in the stretch (also those closer than 40 mg/dL).
    const pairs = closePairs.filter((p) => p.a.ts >= from && p.b.ts <= to);
    for (const p of pairs) overlapIds.add(p.a.id).add(p.b.id);
    // Keep, of each pair, the reading closer to the line from the last reading before the
    // stretch to the first after it: the kept trace joins the data on both sides.
    const before = [...sorted].reverse().find((r) => r.ts < from && !overlapIds.has(r.id));
    const after = sorted.find((r) => r.ts > to && !overlapIds.has(r.id));
    const line = (ts: number): number | null => {
      if (before !== undefined && after !== undefined) return before.bgMm + ((after.bgMm - before.bgMm) * (ts - before.ts)) / (after.ts - before.ts);
      return before?.bgMm ?? after?.bgMm ?? null;
    };
    const drop: number[] = [];
    for (const p of pairs) {
      const ref = line(p.b.ts);
      const dropA = ref === null ? false : Math.abs(p.a.bgMm - ref) > Math.abs(p.b.bgMm - ref);
      drop.push(dropA ? p.a.ts : p.b.ts);
    }
    const spreads = stretch.map((p) => p.diffMgdl);
    const minutes = Math.round((to - from) / 60_000);
    c.add({
      check: 'overlapping_sensors',
      severity: 'warning',
      count: pairs.length,
      from,
      to,
      message:
        `${c.patient.externalId} has two sensors overlapping for ${minutes >= 120 ? `${(minutes / 60).toFixed(1)} h` : `${minutes} min`} from ${fmtTime(from)} to ${fmtTime(to)}: ` +
        `${pairs.length} pairs of readings seconds apart differ by ${Math.min(...spreads).toFixed(0)}–${Math.max(...spreads).toFixed(0)} mg/dL (a new sensor started before the old one was removed); ` +
        `the grid would average both. Keep one reading of each pair, the one that joins the trace before and after the stretch.`,
      fix: { kind: 'remove_readings', patientId: c.patient.patientId, timestamps: drop },
    });
  }
}

/**
 * Finds (reports nothing yet) slots holding two readings for about an hour at a daylight-saving
 * transition of the patient's zone: the repeated (or skipped and shifted) hour. The importer
 * resolves a repeated wall-clock hour to its first occurrence, so both readings may share a
 * timestamp; the conflict and duplicate checks leave these to dst_repeat.
 */
function findDstStretches(c: PatientCheckContext): void {
  const { sorted, stepMs, settings } = c;
  if (c.modal !== settings.resolutionMin) return;
  const perBin = new Map<number, number>();
  for (const r of sorted) perBin.set(Math.floor(r.ts / stepMs), (perBin.get(Math.floor(r.ts / stepMs)) ?? 0) + 1);
  const bins = [...perBin.entries()]
    .filter(([, n]) => n >= 2)
    .map(([b]) => b)
    .sort((x, y) => x - y);
  for (let i = 0; i < bins.length;) {
    let j = i;
    while (j + 1 < bins.length && bins[j + 1] === bins[j]! + 1) j++;
    const minutes = (j - i + 1) * settings.resolutionMin;
    const from = bins[i]! * stepMs;
    const to = (bins[j]! + 1) * stepMs;
    // Doubles that are uploads or a second sensor are reported as such.
    const inStretch = sorted.filter((r) => r.ts >= from && r.ts < to);
    const explainedElsewhere =
      inStretch.length > 0 && inStretch.filter((r) => c.uploadIds.has(r.id) || c.overlapIds.has(r.id)).length * 2 >= inStretch.length - 1;
    const change = minutes >= 45 && minutes <= 75 && !explainedElsewhere ? dstChangeNear(from, to, c.patient.timeZone, sorted) : 0;
    if (change !== 0) c.dstStretches.push({ from, to, slots: j - i + 1, minutes, change });
    i = j + 1;
  }
}

/** Same timestamp, different values: a conflict between two sources, not a harmless duplicate. */
function checkConflicts(c: PatientCheckContext): void {
  const conflicts = conflictGroups(c.sorted).filter((g) => !inDst(c, g[0]!.ts));
  for (const g of conflicts) {
    c.conflictTs.add(g[0]!.ts);
    for (const r of g) c.conflictIds.add(r.id);
  }
  if (conflicts.length === 0) return;
  const spreads = conflicts.map((g) => (Math.max(...g.map((r) => r.bgMm)) - Math.min(...g.map((r) => r.bgMm))) * MGDL_PER_MMOL).sort((a, b) => a - b);
  const big = spreads.filter((d) => d >= 40).length;
  const med = spreads[spreads.length >> 1]!;
  const max = spreads[spreads.length - 1]!;
  const conflictStamps = conflicts.map((g) => g[0]!.ts);
  const resolve = (strategy: 'neighbours' | 'mean' | 'drop'): QualityFix => ({
    kind: 'resolve_conflicts',
    patientId: c.patient.patientId,
    strategy,
    timestamps: conflictStamps,
  });
  c.add({
    check: 'conflicting_duplicates',
    severity: 'warning',
    count: conflicts.length,
    from: conflicts[0]![0]!.ts,
    to: conflicts[conflicts.length - 1]![0]!.ts,
    message:
      `${conflicts.length} timestamp(s) of ${c.patient.externalId} hold different glucose values (differences: median ${med.toFixed(0)} mg/dL, largest ${max.toFixed(0)} mg/dL` +
      `${big > 0 ? `; ${big} differ by 40 mg/dL or more` : ''}): two sources disagree at the same moment, so keeping "the first" would be arbitrary. ` +
      `Keep the value consistent with the neighbouring readings (recommended), their mean, or drop both.`,
    fix: resolve('neighbours'),
    alternatives: [resolve('mean'), resolve('drop')],
  });
}

function checkDuplicateTimestamps(c: PatientCheckContext): void {
  let dups = 0;
  for (const [ts, n] of c.dupCounts) if (n > 1 && !c.conflictTs.has(ts) && !inDst(c, ts)) dups += n - 1;
  if (dups === 0) return;
  c.add({
    check: 'duplicate_timestamps',
    severity: 'warning',
    count: dups,
    message: `${dups} reading(s) of ${c.patient.externalId} repeat a timestamp already present with the same value (overlapping exports?). Keep the first of each.`,
    fix: { kind: 'dedupe_readings', patientId: c.patient.patientId, by: 'timestamp' },
  });
}

function checkIrregularInterval(c: PatientCheckContext): void {
  const { modal, settings } = c;
  if (modal === null || modal === settings.resolutionMin) return;
  c.add({
    check: 'irregular_interval',
    severity: 'warning',
    count: c.intervals.filter((x) => x === modal).length,
    message: `${c.patient.externalId} is sampled every ${modal} min, not every ${settings.resolutionMin} min: the grid ${modal > settings.resolutionMin ? 'will impute the bins between readings' : 'will average several readings per bin'}.`,
  });
}

/** Implausible rates of change between consecutive readings. */
function checkImplausibleRate(c: PatientCheckContext): void {
  const { sorted } = c;
  let fast = 0;
  let pairs = 0;
  let fastFrom: number | null = null;
  let fastTo: number | null = null;
  // values already reported as unit mix-ups, status codes, uploads, sensors or conflicts would only repeat those findings
  const explained = (r: QualityReading): boolean =>
    c.inUnitRun.has(r.id) ||
    r.bgMm > MAX_MMOL ||
    r.bgMm < SENSOR_LOW_MMOL ||
    c.overlapIds.has(r.id) ||
    c.uploadIds.has(r.id) ||
    c.conflictIds.has(r.id) ||
    inDst(c, r.ts);
  for (let i = 1; i < sorted.length; i++) {
    const dt = (sorted[i]!.ts - sorted[i - 1]!.ts) / 60_000;
    if (dt <= 0 || dt > 15) continue;
    pairs++;
    if (Math.abs(sorted[i]!.bgMm - sorted[i - 1]!.bgMm) / dt > MAX_RATE_MMOL_PER_MIN && !explained(sorted[i]!) && !explained(sorted[i - 1]!)) {
      fast++;
      fastFrom ??= sorted[i - 1]!.ts;
      fastTo = sorted[i]!.ts;
    }
  }
  if (fast === 0) return;
  const many = fast >= Math.max(3, 0.01 * pairs);
  c.add({
    check: 'implausible_rate',
    severity: many ? 'warning' : 'info',
    count: fast,
    from: fastFrom,
    to: fastTo,
    message: many
      ? `${fast} jump(s) of ${c.patient.externalId} faster than 10 mg/dL per minute: two sensors overlapping or two traces interleaved in one file. Check the export; keep one sensor's readings.`
      : `${fast} isolated jump(s) of ${c.patient.externalId} faster than 10 mg/dL per minute (sensor artefacts).`,
  });
}

function checkDstRepeat(c: PatientCheckContext): void {
  const { settings } = c;
  for (const x of c.dstStretches) {
    c.add({
      check: 'dst_repeat',
      severity: 'warning',
      count: x.slots,
      from: x.from,
      to: x.to,
      message:
        x.change < 0
          ? `${c.patient.externalId} has two readings per ${settings.resolutionMin}-min slot for ${x.minutes} min from ${fmtTime(x.from)}, at the daylight-saving change back of the patient's time zone: the repeated hour recorded twice. Keep one reading per slot.`
          : `${c.patient.externalId} has two readings per ${settings.resolutionMin}-min slot for ${x.minutes} min from ${fmtTime(x.from)}, at the daylight-saving change forward of the patient's time zone: readings stamped in the skipped hour were moved onto the next one. Keep one reading per slot.`,
      fix: { kind: 'dedupe_readings', patientId: c.patient.patientId, by: 'bin', resolutionMin: settings.resolutionMin, from: x.from, to: x.to },
    });
  }
}

/** Time going backwards in file order; a step back of about an hour is a repeated DST hour. */
function checkTimeBackwards(c: PatientCheckContext): void {
  const { stepMs, modal } = c;
  let backwards = 0;
  let backFrom: number | null = null;
  let backTo: number | null = null;
  let shiftFix: QualityFix | null = null;
  const fileOrder = c.live.filter((r) => Number.isFinite(r.bgMm));
  for (let i = 1; i < fileOrder.length; i++) {
    const back = fileOrder[i - 1]!.ts - fileOrder[i]!.ts;
    if (back <= 0) continue;
    // The importer moves wall-clock times of the hour a spring-forward change skips one hour
    // forward, onto the next hour: the step back that follows is its own doing, not the data's.
    const change =
      back <= 75 * 60_000 && back >= 45 * 60_000 - stepMs ? dstChangeNear(fileOrder[i]!.ts, fileOrder[i - 1]!.ts, c.patient.timeZone, fileOrder) : 0;
    if (change > 0 && Math.abs(back - change * 60_000) <= Math.max(stepMs, 10 * 60_000)) {
      continue;
    }
    backwards++;
    backFrom = Math.min(backFrom ?? Infinity, fileOrder[i]!.ts);
    backTo = Math.max(backTo ?? -Infinity, fileOrder[i - 1]!.ts);
    // a clock that jumped forward earlier and back now: shift the readings in between back
    if (shiftFix === null && modal !== null) {
      for (let a = i - 1; a >= 1; a--) {
        const jump = fileOrder[a]!.ts - fileOrder[a - 1]!.ts - modal * 60_000;
        if (jump > 0 && Math.abs(jump - back - modal * 60_000) <= 10 * 60_000 && jump >= 30 * 60_000) {
          shiftFix = {
            kind: 'shift_time',
            patientId: c.patient.patientId,
            from: fileOrder[a]!.ts,
            to: fileOrder[i - 1]!.ts + 1,
            offsetMin: -Math.round((back + modal * 60_000) / 60_000),
          };
          break;
        }
      }
    }
  }
  if (backwards === 0) return;
  c.add({
    check: 'time_backwards',
    severity: 'warning',
    count: backwards,
    from: backFrom,
    to: backTo,
    message:
      `Time goes backwards ${backwards} time(s) in ${c.patient.externalId}'s file order` +
      (shiftFix !== null
        ? ': the device clock jumped forward and back; shift the readings in between back.'
        : c.dstStretches.length > 0
          ? ' (the repeated daylight-saving hour above).'
          : ': a clock reset or merged files. Check the device time settings.'),
    fix: shiftFix,
  });
}

interface GridCoverage {
  missing: number;
  missingPercent: number;
  histogram: { label: string; count: number }[];
  wearPercent: number;
  days: number;
  windows: number;
}

/** The grid's coverage: missing slots, gaps by length, wear, days and usable windows. */
function gridCoverage(grid: PatientGrid, settings: QualitySettings): GridCoverage {
  const mask = grid.masks.bg_mM;
  let observed = 0;
  for (let i = 0; i < grid.length; i++) observed += mask[i]!;
  const missing = grid.length - observed;
  const missingPercent = grid.length === 0 ? 100 : (100 * missing) / grid.length;
  const histogram = GAP_BUCKETS.map((b) => ({ label: b.label, count: 0 }));
  for (let i = 0; i < grid.length;) {
    if (mask[i] === 1) {
      i++;
      continue;
    }
    let j = i;
    while (j < grid.length && mask[j] !== 1) j++;
    const minutes = (j - i) * settings.resolutionMin;
    histogram[GAP_BUCKETS.findIndex((b) => minutes <= b.maxMin)]!.count++;
    i = j;
  }
  return {
    missing,
    missingPercent,
    histogram,
    wearPercent: 100 - missingPercent,
    days: (grid.length * settings.resolutionMin) / 1440,
    windows: countWindows(grid.segments, settings.contextLength, settings.forecastLength),
  };
}

function checkMissing(c: PatientCheckContext): void {
  const { missing, missingPercent } = c.coverage;
  if (missing === 0) return;
  c.add({
    check: 'missing',
    severity: missingPercent > 20 ? 'warning' : 'info',
    count: missing,
    message: `${missingPercent.toFixed(missingPercent < 0.1 ? 3 : 1)} % of ${c.patient.externalId}'s ${c.settings.resolutionMin}-min slots have no reading; gaps up to ${c.settings.maxGapMin} min are imputed (never scored), longer ones split the series.`,
  });
}

function checkWear(c: PatientCheckContext): void {
  const { wearPercent } = c.coverage;
  if (wearPercent >= 70) return;
  c.add({
    check: 'low_wear',
    severity: 'warning',
    count: Math.round(wearPercent),
    message: `${c.patient.externalId} wore the sensor ${wearPercent.toFixed(0)} % of the time (below 70 %): fewer usable windows and less reliable CGM metrics.`,
  });
}

function checkHistoryLength(c: PatientCheckContext): void {
  const { days } = c.coverage;
  if (days >= 7) return;
  c.add({
    check: 'short_history',
    severity: 'info',
    count: Math.round(days * 10) / 10,
    message: `${c.patient.externalId} has ${days.toFixed(1)} days of data; 14 days or more are recommended for CGM summaries.`,
  });
}

function checkUsableWindows(c: PatientCheckContext): void {
  const { grid, settings } = c;
  if (c.coverage.windows > 0) return;
  const needH = ((settings.contextLength + settings.forecastLength) * settings.resolutionMin) / 60;
  const longest = grid.segments.reduce((m, s) => Math.max(m, s.end - s.start), 0);
  c.add({
    check: 'no_usable_windows',
    severity: 'error',
    count: 0,
    message:
      `${c.patient.externalId} has no usable window: context ${settings.contextLength} + forecast ${settings.forecastLength} steps need ${needH.toFixed(1)} h of data without a gap over ${settings.maxGapMin} min, ` +
      `and the longest stretch is ${((longest * settings.resolutionMin) / 60).toFixed(1)} h. Use a shorter context or forecast, allow longer gaps to be imputed, or leave this patient out.`,
  });
}

/** A present channel whose observed values never vary: the value and how many slots hold it. */
interface ConstantChannel {
  channel: Channel;
  value: number;
  seen: number;
}

function constantChannelsOf(grid: PatientGrid): ConstantChannel[] {
  const out: ConstantChannel[] = [];
  for (const ch of CHANNELS.filter((x) => !grid.absent.includes(x))) {
    const v = grid.channels[ch];
    const m = grid.masks[ch];
    let first: number | null = null;
    let constant = true;
    let seen = 0;
    for (let i = 0; i < grid.length; i++) {
      if (m[i] !== 1) continue;
      seen++;
      if (first === null) first = v[i]!;
      else if (v[i] !== first) {
        constant = false;
        break;
      }
    }
    if (constant && seen > 1) out.push({ channel: ch, value: first!, seen });
  }
  return out;
}

/** Glucose that never changes; other constant channels are judged across the cohort (checkCohort). */
function checkConstantGlucose(c: PatientCheckContext): void {
  const bg = c.constant.find((x) => x.channel === 'bg_mM');
  if (bg === undefined) return;
  c.add({
    check: 'zero_variance',
    severity: 'error',
    count: bg.seen,
    channel: 'bg_mM',
    message: `${c.patient.externalId}'s glucose never changes (${bg.value} mmol/L in all ${bg.seen} slots): a placeholder or a broken export.`,
  });
}

/**
 * The per-patient checks, in the order their findings are reported (a fix chosen by finding
 * index relies on it). A check may record what it explained in the context for later ones.
 */
const PATIENT_CHECKS: readonly ((c: PatientCheckContext) => void)[] = [
  // values
  checkNonFinite,
  checkImpossibleValues,
  checkMgdlInMmol,
  checkMmolInMgdl,
  checkErrorCodes,
  checkEventValues,
  // time
  checkDuplicateUploads,
  checkOverlappingSensors,
  findDstStretches,
  checkConflicts,
  checkDuplicateTimestamps,
  checkIrregularInterval,
  checkImplausibleRate,
  checkDstRepeat,
  checkTimeBackwards,
  // grid: missing, wear, gaps, windows, variance
  checkMissing,
  checkWear,
  checkHistoryLength,
  checkUsableWindows,
  checkConstantGlucose,
];

/** Runs every per-patient check. `readings` in insertion (file) order. */
export function checkPatient(
  patient: { patientId: number; externalId: string; timeZone?: string | null },
  readingsInFileOrder: readonly QualityReading[],
  grid: PatientGrid,
  settings: QualitySettings,
  events: readonly QualityEvent[] = [],
): PatientCheckResult {
  const { patientId, externalId } = patient;
  const findings: QualityFinding[] = [];
  const add = (f: FindingInput): void => {
    const alternatives = f.alternatives !== undefined && f.alternatives.length > 0 ? { alternatives: f.alternatives } : {};
    findings.push({
      patientId,
      externalId,
      channel: f.channel ?? 'bg_mM',
      from: f.from ?? null,
      to: f.to ?? null,
      fix: f.fix ?? null,
      check: f.check,
      severity: f.severity,
      message: f.message,
      count: f.count,
      ...alternatives,
    });
  };
  const live = readingsInFileOrder.filter((r) => (r.kind === 'cgm' || r.kind === 'scan') && (r.flags & READING_FLAGS.removed) === 0);

  if (live.length === 0) {
    add({
      check: 'no_readings',
      severity: 'error',
      count: 0,
      message: `Patient ${externalId} has no glucose readings: nothing to model. Re-import the patient's CGM file or leave the patient out.`,
    });
    return {
      summary: {
        patientId,
        externalId,
        readings: 0,
        days: 0,
        wearPercent: 0,
        missingPercent: 100,
        modalIntervalMin: null,
        segments: 0,
        usableWindows: 0,
        gapHistogram: GAP_BUCKETS.map((b) => ({ label: b.label, count: 0 })),
      },
      findings,
      constantChannels: [],
      presentChannels: [],
    };
  }

  const finite = live.filter((r) => Number.isFinite(r.bgMm));
  const sorted = [...finite].sort((a, b) => a.ts - b.ts || a.id - b.id);
  const dupCounts = new Map<number, number>();
  for (const r of sorted) dupCounts.set(r.ts, (dupCounts.get(r.ts) ?? 0) + 1);
  const distinctTs = [...dupCounts.keys()];
  const intervals: number[] = [];
  for (let i = 1; i < distinctTs.length; i++) intervals.push(Math.round((distinctTs[i]! - distinctTs[i - 1]!) / 60_000));
  const modal = mode(intervals.filter((x) => x > 0));
  const coverage = gridCoverage(grid, settings);
  const constant = constantChannelsOf(grid);
  const context: PatientCheckContext = {
    patient,
    settings,
    grid,
    events,
    stepMs: settings.resolutionMin * 60_000,
    live,
    finite,
    sorted,
    dupCounts,
    intervals,
    modal,
    coverage,
    constant,
    inUnitRun: new Set(),
    closePairs: [],
    uploadIds: new Set(),
    overlapIds: new Set(),
    dstStretches: [],
    conflictTs: new Set(),
    conflictIds: new Set(),
    add,
  };
  for (const check of PATIENT_CHECKS) check(context);

  return {
    summary: {
      patientId,
      externalId,
      readings: live.length,
      days: coverage.days,
      wearPercent: coverage.wearPercent,
      missingPercent: coverage.missingPercent,
      modalIntervalMin: modal,
      segments: grid.segments.length,
      usableWindows: coverage.windows,
      gapHistogram: coverage.histogram,
    },
    findings,
    constantChannels: constant.map((x) => x.channel),
    presentChannels: CHANNELS.filter((ch) => !grid.absent.includes(ch)),
  };
}

/** Checks across patients: sampling intervals that differ, channels constant everywhere. */
export function checkCohort(results: readonly PatientCheckResult[]): QualityFinding[] {
  const findings: QualityFinding[] = [];
  const modal = mode(results.map((r) => r.summary.modalIntervalMin).filter((x): x is number => x !== null));
  if (modal !== null) {
    for (const r of results) {
      const m = r.summary.modalIntervalMin;
      if (m !== null && m !== modal) {
        findings.push({
          check: 'interval_mismatch',
          severity: 'warning',
          count: 1,
          patientId: r.summary.patientId,
          externalId: r.summary.externalId,
          channel: 'bg_mM',
          from: null,
          to: null,
          fix: null,
          message: `${r.summary.externalId} is sampled every ${m} min while most of the cohort is sampled every ${modal} min (e.g. Libre 15-min data in a 5-min cohort): its grid is mostly imputed. Consider a coarser resolution or leaving it out.`,
        });
      }
    }
  }
  for (const c of CHANNELS) {
    if (c === 'bg_mM') continue;
    const having = results.filter((r) => r.presentChannels.includes(c));
    if (having.length > 0 && having.every((r) => r.constantChannels.includes(c))) {
      findings.push({
        check: 'zero_variance',
        severity: 'warning',
        count: having.length,
        patientId: null,
        externalId: null,
        channel: c,
        from: null,
        to: null,
        fix: { kind: 'drop_channel', channel: c },
        message: `Channel ${c} never varies in any patient: it carries no information and breaks standard scaling. Drop it.`,
      });
    }
  }
  return findings;
}
