/**
 * Parkes (consensus) error grid for type 1 diabetes, reference r and prediction p in mg/dL.
 *
 * Boundary vertices: Pfützner A, Klonoff DC, Pardo S, Parkes JL. "Technical aspects of the
 * Parkes error grid." J Diabetes Sci Technol 2013;7(5):1275–1281, Table 1 (type 1 grid), which
 * first published the coordinates of the grid of Parkes et al., Diabetes Care 2000;23:1143–1148.
 * The terminal vertices at r = 5000 are the paper's extrapolations of the last segments; the
 * same values follow from the direction points used by the CRAN package 'ega' (checked by
 * hand: e.g. (280,380)→(430,550) has slope 17/15, reaching 5729.33 at r = 5000).
 *
 * Every boundary is monotone, so instead of general point-in-polygon tests each boundary is a
 * piecewise-linear function: the upper lines (above the diagonal) give p as a function of r,
 * the lower lines (below it, starting with a vertical edge) give r as a function of p.
 * A point is in a worse zone when it lies strictly beyond that zone's line:
 *
 *   upper side: p > U_E(r) → E, else p > U_D(r) → D, else p > U_C(r) → C, else p > U_B(r) → B
 *   lower side: r > L_D(p) → D, else r > L_C(p) → C, else r > L_B(p) → B
 *   otherwise A.
 *
 * A point exactly on a line belongs to the less severe zone (the one nearer the diagonal).
 * The lower side has no E zone in the type 1 grid. Beyond the last vertex the last segment is
 * extended; before the first the first is (they are horizontal/vertical there).
 */
import type { ForecastSet } from './types.js';
import { type ErrorGridResult, errorGridOf, ZONE_A, ZONE_B, ZONE_C, ZONE_D, ZONE_E, ZONES, type Zone } from './zones.js';

type Polyline = readonly (readonly [number, number])[];

/** The square the grid is drawn in: 0–550 mg/dL on both axes, as Parkes et al. drew it. */
export const PARKES_GRID_MAX_MGDL = 550;

/** Zone letters at (reference, prediction) in mg/dL inside the 0–550 square, for drawing. */
export const PARKES_LABELS: readonly (readonly [string, number, number])[] = [
  ['A', 400, 430],
  ['B', 300, 480],
  ['B', 480, 330],
  ['C', 190, 500],
  ['C', 480, 200],
  ['D', 100, 510],
  ['D', 480, 90],
  ['E', 25, 520],
];

/** Lines above the diagonal, vertices (r, p) with r increasing. */
export const PARKES_T1_UPPER: Readonly<Record<'B' | 'C' | 'D' | 'E', Polyline>> = {
  B: [
    [0, 50],
    [30, 50],
    [140, 170],
    [280, 380],
    [5000, 5729.3],
  ],
  C: [
    [0, 60],
    [30, 60],
    [50, 80],
    [70, 110],
    [5000, 11526.84],
  ],
  D: [
    [0, 100],
    [25, 100],
    [50, 125],
    [80, 215],
    [5000, 36841.67],
  ],
  E: [
    [0, 150],
    [35, 155],
    [5000, 130900],
  ],
};

/** Lines below the diagonal, vertices (r, p) with p increasing. */
export const PARKES_T1_LOWER: Readonly<Record<'B' | 'C' | 'D', Polyline>> = {
  B: [
    [50, 0],
    [50, 30],
    [170, 145],
    [385, 300],
    [5000, 4495.45],
  ],
  C: [
    [120, 0],
    [120, 30],
    [260, 130],
    [5000, 2091.38],
  ],
  D: [
    [250, 0],
    [250, 40],
    [5000, 1781.67],
  ],
};

/** Piecewise-linear interpolation of coordinate `out` against coordinate `inp` (0 = r, 1 = p). */
function along(line: Polyline, inp: 0 | 1, out: 0 | 1, v: number): number {
  let k = 0;
  // Segment whose input range holds v; the first/last segment extends beyond the ends.
  while (k < line.length - 2 && v > line[k + 1]![inp]) k++;
  const a = line[k]!;
  const b = line[k + 1]!;
  const t = (v - a[inp]) / (b[inp] - a[inp]);
  return a[out] + t * (b[out] - a[out]);
}

/** p on an upper boundary at reference r. */
export function parkesUpperAt(zone: 'B' | 'C' | 'D' | 'E', r: number): number {
  return along(PARKES_T1_UPPER[zone], 0, 1, r);
}

/** r on a lower boundary at prediction p. */
export function parkesLowerAt(zone: 'B' | 'C' | 'D', p: number): number {
  return along(PARKES_T1_LOWER[zone], 1, 0, p);
}

/** Zone code 0..4 (A..E) of one pair in mg/dL. */
export function parkesZoneCode(r: number, p: number): number {
  // The lines of each side are nested (U_B < U_C < U_D < U_E and L_B < L_C < L_D everywhere:
  // ordered at the first vertex, with increasing slopes), so testing from the diagonal outward
  // gives the same zones as testing from E inward, and most points stop at the first test.
  if (p > r) {
    if (p <= parkesUpperAt('B', r)) return ZONE_A;
    if (p <= parkesUpperAt('C', r)) return ZONE_B;
    if (p <= parkesUpperAt('D', r)) return ZONE_C;
    if (p <= parkesUpperAt('E', r)) return ZONE_D;
    return ZONE_E;
  }
  if (r <= parkesLowerAt('B', p)) return ZONE_A;
  if (r <= parkesLowerAt('C', p)) return ZONE_B;
  if (r <= parkesLowerAt('D', p)) return ZONE_C;
  return ZONE_D;
}

export function parkesZone(referenceMgdl: number, predictionMgdl: number): Zone {
  return ZONES[parkesZoneCode(referenceMgdl, predictionMgdl)]!;
}

/** Parkes (type 1) zone percentages overall and per horizon step over the scored targets. */
export function parkesErrorGrid(set: ForecastSet): ErrorGridResult {
  return errorGridOf(set, parkesZoneCode);
}
