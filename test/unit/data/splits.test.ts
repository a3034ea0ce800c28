import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { computeSplit, partRanges, validateSplit, type PatientSpan } from '../../../src-main/engine/data/splits.js';
import { SplitSpecSchema } from '../../../src-main/engine/api/contract.js';

const DAY = 86_400_000;
const T0 = Date.UTC(2024, 0, 1);
function spans(n: number, days = 10): PatientSpan[] {
  return Array.from({ length: n }, (_, i) => ({
    patientId: i + 1,
    externalId: `p${String(i + 1).padStart(2, '0')}`,
    firstTs: T0 + i * 3_600_000,
    lastTs: T0 + i * 3_600_000 + days * DAY,
  }));
}
const overlap = (a: { from: number; to: number } | null, b: { from: number; to: number } | null): boolean =>
  a !== null && b !== null && a.from < b.to && b.from < a.to;

describe('splits', () => {
  it('temporal: the last fraction of each patient, with a gap before each part', () => {
    const c = computeSplit(SplitSpecSchema.parse({ kind: 'temporal', testFraction: 0.2, valFraction: 0.1, gapMin: 60 }), spans(2));
    const p = c.patients.p01!;
    const end = T0 + 10 * DAY + 1;
    expect(p.test).toEqual({ from: Math.floor((T0 + 0.8 * (end - T0)) / 60_000) * 60_000, to: end });
    expect(p.val!.from).toBe(Math.floor((T0 + 0.7 * (end - T0)) / 60_000) * 60_000);
    expect(p.val!.to).toBe(p.test!.from - 3_600_000);
    expect(p.train).toEqual({ from: T0, to: p.val!.from - 3_600_000 });
    expect(c.holdoutPatients).toEqual([]);
    expect(c.trainPatients).toEqual(['p01', 'p02']);
  });

  it('patient holdout: seeded choice or explicit list; holdout patients are test only', () => {
    const s = spans(10);
    const a = computeSplit(SplitSpecSchema.parse({ kind: 'patient_holdout', holdoutFraction: 0.2, seed: 4 }), s);
    const b = computeSplit(SplitSpecSchema.parse({ kind: 'patient_holdout', holdoutFraction: 0.2, seed: 4 }), s);
    expect(a).toEqual(b);
    expect(a.holdoutPatients).toHaveLength(2);
    for (const h of a.holdoutPatients) expect(a.patients[h]).toMatchObject({ role: 'holdout', train: null, val: null });
    // non-holdout patients keep all their time for training + validation, no test part
    const t = a.patients[a.trainPatients[0]!]!;
    expect(t.test).toBeNull();
    expect(t.val!.to).toBe(T0 + (Number(a.trainPatients[0]!.slice(1)) - 1) * 3_600_000 + 10 * DAY + 1);
    const explicit = computeSplit(SplitSpecSchema.parse({ kind: 'patient_holdout', holdoutPatients: ['p03', 'p07'] }), s);
    expect(explicit.holdoutPatients).toEqual(['p03', 'p07']);
    expect(() => computeSplit(SplitSpecSchema.parse({ kind: 'patient_holdout', holdoutPatients: ['nobody'] }), s)).toThrow(/not in the dataset/);
    expect(() => computeSplit(SplitSpecSchema.parse({ kind: 'patient_holdout', holdoutPatients: s.map((x) => x.externalId) }), s)).toThrow(
      /at least one patient/,
    );
  });

  it('records patients without readings as excluded', () => {
    const c = computeSplit(SplitSpecSchema.parse({ kind: 'temporal' }), [...spans(2), { patientId: 9, externalId: 'empty', firstTs: null, lastTs: null }]);
    expect(c.excludedPatients).toEqual(['empty']);
    expect(c.patients.empty).toBeUndefined();
  });

  it('never lets training data overlap held-out data (property)', () => {
    fc.assert(
      fc.property(
        fc.constantFrom('temporal', 'patient_holdout', 'hybrid'),
        fc.double({ min: 0.01, max: 0.5, noNaN: true }),
        fc.double({ min: 0, max: 0.4, noNaN: true }),
        fc.integer({ min: 0, max: 600 }),
        fc.integer({ min: 2, max: 12 }),
        fc.integer({ min: 1, max: 40 }),
        fc.integer({ min: 0, max: 1000 }),
        (kind, testFraction, valFraction, gapMin, n, days, seed) => {
          const c = computeSplit(SplitSpecSchema.parse({ kind, testFraction, valFraction, gapMin, holdoutFraction: 0.3, seed }), spans(n, days));
          validateSplit(c);
          const train = partRanges(c, 'train');
          const held = [...partRanges(c, 'val'), ...partRanges(c, 'test')];
          for (const t of train) {
            expect(c.holdoutPatients).not.toContain(t.externalId);
            for (const h of held.filter((x) => x.patientId === t.patientId)) {
              expect(overlap({ from: t.fromTs, to: t.toTs }, { from: h.fromTs, to: h.toTs })).toBe(false);
              // the gap is respected
              expect(h.fromTs - t.toTs).toBeGreaterThanOrEqual(gapMin * 60_000 - 1);
            }
          }
          expect(new Set([...c.trainPatients, ...c.holdoutPatients]).size).toBe(n);
        },
      ),
      { numRuns: 200 },
    );
  });

  it('validateSplit refuses overlapping or contradictory content', () => {
    const c = computeSplit(SplitSpecSchema.parse({ kind: 'temporal' }), spans(2));
    const bad = structuredClone(c);
    bad.patients.p01!.train = { from: T0, to: bad.patients.p01!.test!.from + 1 };
    expect(() => validateSplit(bad)).toThrow(/overlap/);
    const both = structuredClone(c);
    both.holdoutPatients = ['p01'];
    expect(() => validateSplit(both)).toThrow(/both training and holdout/);
  });
});
