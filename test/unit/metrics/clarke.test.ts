import { describe, expect, it } from 'vitest';
import { clarkeErrorGrid, clarkeZone } from '../../../src-main/engine/metrics/clarke.js';
import { MGDL_PER_MMOL } from '../../../src-main/engine/units.js';

// [reference, prediction, zone] pairs on and just across every boundary (hand-checked
// against the inequalities documented in clarke.ts).
const cases: [number, number, string][] = [
  // A band ±20 %, inclusive
  [100, 120, 'A'],
  [100, 120.1, 'B'],
  [100, 80, 'A'],
  [100, 79.9, 'B'],
  [240, 192, 'A'],
  [240, 191.9, 'B'],
  // both hypoglycaemic (< 70, strict)
  [69.9, 30, 'A'],
  [70, 30, 'B'],
  [50, 69.9, 'A'],
  [50, 70, 'D'],
  // upper-left D / E: p = 180, r ≤ 70
  [50, 179.9, 'D'],
  [50, 180, 'E'],
  [70, 179.9, 'D'],
  [70, 180, 'E'],
  [60, 72, 'A'], // 1.2·60 = 72, still A
  [60, 72.1, 'D'],
  // upper C: p ≥ r + 110 for 70 ≤ r ≤ 290
  [70.1, 180, 'B'],
  [70.1, 180.1, 'C'],
  [100, 210, 'C'],
  [100, 209.9, 'B'],
  [290, 400, 'C'],
  [290, 399.9, 'B'],
  [290.1, 400.1, 'B'],
  // lower-right E: r ≥ 180, p ≤ 70
  [180, 70, 'E'],
  [180, 70.1, 'B'],
  [179.9, 70, 'B'],
  [400, 60, 'E'],
  // lower C: p ≤ 1.4·r − 182 for 130 ≤ r ≤ 180
  [150, 28, 'C'],
  [150, 28.1, 'B'],
  [130, 0, 'C'],
  [129.9, 0, 'B'],
  [179.9, 69.8, 'C'],
  // lower-right D: r ≥ 240, 70 ≤ p ≤ 180
  [240, 180, 'D'],
  [240, 180.1, 'B'],
  [239.9, 150, 'B'],
  [240, 70.1, 'D'],
  [240, 69.9, 'E'],
];

describe('Clarke error grid', () => {
  it.each(cases)('(%d, %d) is zone %s', (r, p, zone) => {
    expect(clarkeZone(r, p)).toBe(zone);
  });

  it('summarises zones per step and overall from mmol/L input, skipping imputed targets', () => {
    const ref = [100, 100, 50, 180, 150, 240];
    const pred = [110, 130, 200, 60, 25, 150];
    // zones: A, B, E, E, C, D ; mask drops the last pair
    const set = {
      windows: 3,
      forecastLength: 2,
      target: Float64Array.from(ref, (v) => v / MGDL_PER_MMOL),
      forecast: Float64Array.from(pred, (v) => v / MGDL_PER_MMOL),
      targetMask: Uint8Array.from([1, 1, 1, 1, 1, 0]),
      unit: 'mmol/L' as const,
    };
    const g = clarkeErrorGrid(set);
    expect(g.overall.n).toBe(5);
    expect(g.overall.counts).toEqual({ A: 1, B: 1, C: 1, D: 0, E: 2 });
    expect(g.overall.percent.E).toBeCloseTo(40, 12);
    expect(g.overall.aPlusB).toBeCloseTo(40, 12);
    // step 1 holds pairs 0, 2, 4 → A, E, C; step 2 holds 1, 3 → B, E
    expect(g.perStep[0]!.counts).toEqual({ A: 1, B: 0, C: 1, D: 0, E: 1 });
    expect(g.perStep[1]!.counts).toEqual({ A: 0, B: 1, C: 0, D: 0, E: 1 });
    expect(g.perStep[1]!.percent.B).toBeCloseTo(50, 12);
  });

  it('reports null percentages when nothing is scored', () => {
    const g = clarkeErrorGrid({ windows: 1, forecastLength: 1, target: Float64Array.of(5), forecast: Float64Array.of(5), targetMask: [0], unit: 'mmol/L' });
    expect(g.overall.n).toBe(0);
    expect(g.overall.percent.A).toBeNull();
    expect(g.overall.aPlusB).toBeNull();
  });
});
