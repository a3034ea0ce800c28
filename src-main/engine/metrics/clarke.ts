/**
 * Clarke error grid (Clarke et al., Diabetes Care 1987;10(5):622–628), reference and
 * prediction in mg/dL. The zones are decided in this order, first match wins; r = reference,
 * p = prediction:
 *
 *   A: (r < 70 and p < 70)  or  0.8·r ≤ p ≤ 1.2·r
 *   E: (r ≥ 180 and p ≤ 70)  or  (r ≤ 70 and p ≥ 180)
 *   C: (70 ≤ r ≤ 290 and p ≥ r + 110)  or  (130 ≤ r ≤ 180 and p ≤ 1.4·r − 182)
 *   D: (r ≥ 240 and 70 ≤ p ≤ 180)  or  (r ≤ 70 and 70 ≤ p ≤ 180)   [p ≤ 1.2·r was already A]
 *   B: everything else
 *
 * Edges: the A band is inclusive (a prediction exactly 20 % off is A). "Both hypoglycaemic"
 * follows the paper's "< 70" on both sides, so (70, 50) is judged by the 20 % rule alone (B)
 * and (50, 70) is D. The E, C and D lines are inclusive, as in the widely used
 * implementations of the published figure; the order above settles shared edges, e.g.
 * (70, 180) is E, (240, 180) is D, (290, 400) is C.
 */
import type { ForecastSet } from './types.js';
import { type ErrorGridResult, errorGridOf, ZONE_A, ZONE_B, ZONE_C, ZONE_D, ZONE_E, ZONES, type Zone } from './zones.js';

/** The square the figure is drawn in: 0–400 mg/dL on both axes, as Clarke et al. drew it. */
export const CLARKE_GRID_MAX_MGDL = 400;

/**
 * The zone boundaries of the published figure as polylines of (reference, prediction) in
 * mg/dL, for drawing only (zones are decided by `clarkeZoneCode`). The report and the app
 * draw these, so their grids cannot differ.
 */
export const CLARKE_LINES: readonly (readonly (readonly [number, number])[])[] = [
  [
    [0, 70],
    [175 / 3, 70],
    [400 / 1.2, 400],
  ],
  [
    [70, 84],
    [70, 400],
  ],
  [
    [0, 180],
    [70, 180],
    [290, 400],
  ],
  [
    [70, 0],
    [70, 56],
    [400, 320],
  ],
  [
    [180, 0],
    [180, 70],
    [400, 70],
  ],
  [
    [240, 70],
    [240, 180],
    [400, 180],
  ],
  [
    [130, 0],
    [180, 70],
  ],
];

/**
 * Zone letters at (reference, prediction) in mg/dL inside the 0–400 square. A is lettered on
 * the diagonal as well as in the low corner: the A band runs along the whole identity line,
 * and a single letter in the corner reads as if A were only the hypoglycaemic square.
 */
export const CLARKE_LABELS: readonly (readonly [string, number, number])[] = [
  ['A', 30, 15],
  ['A', 370, 345],
  ['B', 370, 260],
  ['B', 280, 370],
  ['C', 160, 370],
  ['C', 160, 15],
  ['D', 30, 140],
  ['D', 370, 120],
  ['E', 30, 370],
  ['E', 370, 15],
];

/** Zone code 0..4 (A..E) of one pair in mg/dL. */
export function clarkeZoneCode(r: number, p: number): number {
  if ((r < 70 && p < 70) || (p >= 0.8 * r && p <= 1.2 * r)) return ZONE_A;
  if ((r >= 180 && p <= 70) || (r <= 70 && p >= 180)) return ZONE_E;
  if ((r >= 70 && r <= 290 && p >= r + 110) || (r >= 130 && r <= 180 && p <= 1.4 * r - 182)) return ZONE_C;
  if ((r >= 240 && p >= 70 && p <= 180) || (r <= 70 && p >= 70 && p <= 180)) return ZONE_D;
  return ZONE_B;
}

export function clarkeZone(referenceMgdl: number, predictionMgdl: number): Zone {
  return ZONES[clarkeZoneCode(referenceMgdl, predictionMgdl)]!;
}

/** Clarke zone percentages overall and per horizon step over the scored targets. */
export function clarkeErrorGrid(set: ForecastSet): ErrorGridResult {
  return errorGridOf(set, clarkeZoneCode);
}
