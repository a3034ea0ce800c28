/**
 * Train / validation / test splits: temporal (the last fraction of each
 * patient), patient holdout (unseen patients, seeded or listed), hybrid (both). A split's
 * content records exact patient lists and time boundaries [from, to) in epoch ms, so the
 * same split means the same data forever; `validateSplit` refuses any overlap between
 * training data and held-out data.
 */
import { SplitContentSchema, SplitSpecSchema, type SplitContent, type SplitSpec } from './split-schema.js';
import { StudioError } from '../errors.js';
import { Sfc32 } from '../util/rng.js';
import type { Store } from '../store/index.js';
import type { SplitRow } from '../store/splits.js';

export type { SplitContent, SplitSpec };
export type SplitPart = 'train' | 'val' | 'test';

export interface PatientSpan {
  patientId: number;
  externalId: string;
  /** First and last usable glucose reading (epoch ms); null without readings. */
  firstTs: number | null;
  lastTs: number | null;
}

/** Data spans of every patient of a dataset (usable CGM/scan readings only). */
export function patientSpans(store: Store, datasetId: number): PatientSpan[] {
  return store.patients.glucoseSpans(datasetId);
}

/** Whole minutes make boundaries readable and grid-aligned at 1-minute resolution. */
function atMinute(ts: number): number {
  return Math.floor(ts / 60_000) * 60_000;
}

/** Computes a split's content from the spec and the patients' spans. Deterministic. */
export function computeSplit(specInput: SplitSpec, spans: readonly PatientSpan[]): SplitContent {
  const spec = SplitSpecSchema.parse(specInput);
  const withData = spans.filter((s) => s.firstTs !== null && s.lastTs !== null);
  const excluded = spans.filter((s) => s.firstTs === null || s.lastTs === null).map((s) => s.externalId);
  if (withData.length === 0) throw new StudioError('INVALID_INPUT', 'The dataset has no patient with glucose readings: nothing to split.');
  if (spec.kind !== 'patient_holdout' && spec.testFraction + spec.valFraction >= 1) {
    throw new StudioError('INVALID_INPUT', `testFraction + valFraction must be below 1 (got ${spec.testFraction} + ${spec.valFraction}).`);
  }

  // holdout patients
  let holdout = new Set<string>();
  if (spec.kind !== 'temporal') {
    const ids = withData.map((s) => s.externalId);
    if (spec.holdoutPatients !== undefined) {
      const unknown = spec.holdoutPatients.filter((h) => !ids.includes(h));
      if (unknown.length > 0) throw new StudioError('INVALID_INPUT', `Holdout patient(s) ${unknown.join(', ')} are not in the dataset (or have no readings).`);
      holdout = new Set(spec.holdoutPatients);
    } else {
      const n = Math.max(1, Math.round(spec.holdoutFraction * ids.length));
      holdout = new Set(new Sfc32(spec.seed, 0x5e1).shuffle([...ids].sort()).slice(0, n));
    }
    if (holdout.size >= ids.length) throw new StudioError('INVALID_INPUT', 'Every patient would be held out: keep at least one patient for training.');
  }

  const gap = spec.gapMin * 60_000;
  const patients: SplitContent['patients'] = {};
  for (const s of withData) {
    const start = s.firstTs!;
    const end = s.lastTs! + 1; // [from, to): include the last reading
    if (holdout.has(s.externalId)) {
      patients[s.externalId] = { patientId: s.patientId, role: 'holdout', train: null, val: null, test: { from: start, to: end } };
      continue;
    }
    const span = end - start;
    const testFraction = spec.kind === 'patient_holdout' ? 0 : spec.testFraction;
    const testFrom = testFraction > 0 ? atMinute(start + (1 - testFraction) * span) : end;
    const valFrom = spec.valFraction > 0 ? atMinute(start + (1 - testFraction - spec.valFraction) * span) : testFrom;
    // A part too small to hold a minute is dropped; the gap goes before the next part that exists.
    const nonEmpty = (from: number, to: number): { from: number; to: number } | null => (to > from ? { from, to } : null);
    const test = nonEmpty(testFrom, end);
    const val = nonEmpty(valFrom, test === null ? end : testFrom - gap);
    const trainTo = val !== null ? valFrom - gap : test !== null ? testFrom - gap : end;
    patients[s.externalId] = { patientId: s.patientId, role: 'train', train: nonEmpty(start, trainTo), val, test };
  }
  const content: SplitContent = {
    trainPatients: withData.filter((s) => !holdout.has(s.externalId)).map((s) => s.externalId),
    holdoutPatients: withData.filter((s) => holdout.has(s.externalId)).map((s) => s.externalId),
    excludedPatients: excluded,
    patients,
  };
  validateSplit(content);
  return content;
}

function overlaps(a: { from: number; to: number } | null, b: { from: number; to: number } | null): boolean {
  return a !== null && b !== null && a.from < b.to && b.from < a.to;
}

/** Refuses any overlap between training data and held-out data (and malformed content). */
export function validateSplit(contentInput: unknown): SplitContent {
  const parsed = SplitContentSchema.safeParse(contentInput);
  if (!parsed.success) throw new StudioError('PARSE', 'The split content is malformed.');
  const c = parsed.data;
  const both = c.trainPatients.filter((p) => c.holdoutPatients.includes(p));
  if (both.length > 0) throw new StudioError('CONFLICT', `Patient(s) ${both.join(', ')} are both training and holdout patients.`);
  for (const [id, p] of Object.entries(c.patients)) {
    for (const r of [p.train, p.val, p.test]) {
      if (r !== null && !(r.to > r.from)) throw new StudioError('CONFLICT', `Patient ${id} has an empty or reversed range ${r.from}–${r.to}.`);
    }
    if (p.role === 'holdout' && (p.train !== null || p.val !== null))
      throw new StudioError('CONFLICT', `Holdout patient ${id} must not have training or validation data.`);
    if ((p.role === 'holdout') !== c.holdoutPatients.includes(id)) throw new StudioError('CONFLICT', `Patient ${id}'s role disagrees with the holdout list.`);
    if (overlaps(p.train, p.test) || overlaps(p.train, p.val) || overlaps(p.val, p.test)) {
      throw new StudioError('CONFLICT', `Patient ${id}: training, validation and test ranges overlap.`);
    }
  }
  return c;
}

/** Per patient, the time range of one part of the split (for windows and scalers). */
export function partRanges(content: SplitContent, part: SplitPart): { patientId: number; externalId: string; fromTs: number; toTs: number }[] {
  const out: { patientId: number; externalId: string; fromTs: number; toTs: number }[] = [];
  for (const [externalId, p] of Object.entries(content.patients)) {
    const r = p[part];
    if (r !== null) out.push({ patientId: p.patientId, externalId, fromTs: r.from, toTs: r.to });
  }
  return out;
}

/** Creates and stores a split (a new version when the name exists). */
export function createSplit(store: Store, datasetId: number, name: string, spec: SplitSpec): SplitRow {
  const content = computeSplit(spec, patientSpans(store, datasetId));
  return store.transaction(() => store.splits.create({ datasetId, name, kind: spec.kind, spec, content }));
}

/** Checks a stored split before a run uses it, and locks it so it can never change. */
export function useSplitForRun(store: Store, splitId: number): SplitContent {
  const row = store.splits.get(splitId);
  const content = validateSplit(row.content);
  if (!row.locked) store.splits.lock(splitId);
  return content;
}
