import { describe, expect, it } from 'vitest';
import { carbsOnBoard, insulinOnBoard } from '../../../src-main/engine/data/physiology.js';

/** Independent reference: the same ODEs integrated with tiny Euler steps. */
function insulinReference(dose: number, tMin: number): { iob: number; plasma: number } {
  const T = 55;
  const ke = 0.138;
  const dt = 0.0005;
  let s1 = dose;
  let s2 = 0;
  let p = 0;
  for (let t = 0; t < tMin - 1e-9; t += dt) {
    const d1 = -s1 / T;
    const d2 = (s1 - s2) / T;
    const d3 = s2 / T - ke * p;
    s1 += dt * d1;
    s2 += dt * d2;
    p += dt * d3;
  }
  return { iob: s1 + s2 + p, plasma: p };
}

describe('insulinOnBoard', () => {
  it('matches hand-computed values for one bolus', () => {
    const doses = new Float32Array(40);
    doses[0] = 2;
    const { iob, availability } = insulinOnBoard(doses, 5);
    expect(iob[0]).toBeCloseTo(2, 6);
    expect(availability[0]).toBe(0);
    // Closed form of the first two compartments: S1+S2 = D(1 + t/T)e^(−t/T)
    const s12 = (t: number): number => 2 * (1 + t / 55) * Math.exp(-t / 55);
    for (const k of [1, 6, 12, 24, 36]) {
      const ref = insulinReference(2, k * 5);
      expect(iob[k]).toBeCloseTo(ref.iob, 3);
      expect(availability[k]).toBeCloseTo(ref.plasma, 3);
      expect(iob[k]! - availability[k]!).toBeCloseTo(s12(k * 5), 5);
    }
    // after 1 h: 2·(1+60/55)·e^(−60/55) = 1.4049… in the depot, plus plasma insulin
    expect(iob[12]).toBeGreaterThan(1.4);
    expect(iob[12]).toBeLessThan(1.55);
  });

  it('is linear: two doses are the sum of their responses', () => {
    const a = new Float32Array(100);
    const b = new Float32Array(100);
    const ab = new Float32Array(100);
    a[3] = 1;
    b[20] = 4;
    ab[3] = 1;
    ab[20] = 4;
    const ra = insulinOnBoard(a, 5).iob;
    const rb = insulinOnBoard(b, 5).iob;
    const rab = insulinOnBoard(ab, 5).iob;
    for (let i = 0; i < 100; i++) expect(rab[i]).toBeCloseTo(ra[i]! + rb[i]!, 5);
  });
});

describe('carbsOnBoard', () => {
  it('matches the closed form and stops after the 3 h action time', () => {
    const carbs = new Float32Array(60);
    carbs[2] = 50;
    const { cob, availability } = carbsOnBoard(carbs, 5);
    expect(cob[0]).toBe(0);
    expect(cob[2]).toBeCloseTo(50, 5);
    // 30 min after: 50·(1 + 30/40)·e^(−0.75) = 41.334…
    expect(cob[8]).toBeCloseTo(50 * 1.75 * Math.exp(-0.75), 3);
    // appearance rate 30 min after: 0.8·50·30/1600·e^(−0.75) g/min = 0.3543…
    expect(availability[8]).toBeCloseTo((0.8 * 50 * 30 * Math.exp(-0.75)) / 1600, 4);
    // peak appearance at tmax = 40 min (bin 2 + 8)
    const peak = Array.from(availability).indexOf(Math.max(...Array.from(availability)));
    expect(peak).toBe(10);
    // 175 min after is still counted, 180 min is not
    expect(cob[2 + 35]).toBeGreaterThan(0);
    expect(cob[2 + 36]).toBe(0);
  });
});
