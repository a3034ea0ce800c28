/**
 * Conflicting duplicates: one timestamp holding different glucose values (two sources that
 * disagree at the same moment). Unlike a harmless duplicate (the same value twice), keeping
 * "the first" is an arbitrary choice; the fixes here keep the value consistent with the
 * neighbouring readings, their mean, or drop them all.
 */
import type { Store } from '../../store/index.js';
import { MGDL_PER_MMOL } from '../../units.js';

/** Values closer than 1 mg/dL are the same reading (unit rounding), not a conflict. */
export const SAME_VALUE_MMOL = 1 / MGDL_PER_MMOL;

const MIN_TS = -8_640_000_000_000_000;
const MAX_TS = 8_640_000_000_000_000;

interface Row {
  id: number;
  ts: number;
  bgMm: number;
}

/** Groups of rows sharing a timestamp whose values differ by more than SAME_VALUE_MMOL. */
export function conflictGroups<T extends { ts: number; bgMm: number }>(sortedByTs: readonly T[]): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < sortedByTs.length;) {
    let j = i + 1;
    while (j < sortedByTs.length && sortedByTs[j]!.ts === sortedByTs[i]!.ts) j++;
    if (j - i > 1) {
      const group = sortedByTs.slice(i, j);
      const values = group.map((r) => r.bgMm);
      if (Math.max(...values) - Math.min(...values) > SAME_VALUE_MMOL) out.push(group);
    }
    i = j;
  }
  return out;
}

function median(xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 === 1 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

/**
 * Resolves the patient's conflicting timestamps in [from, to) (only those listed in
 * `timestamps` when given). `neighbours`: keeps the reading
 * closest to the mean of the nearest readings before and after (the median of a neighbouring
 * timestamp's values when it holds several); `mean`: keeps the first reading, set to the mean;
 * `drop`: marks every reading of the timestamp removed. Returns the rows changed.
 */
export function resolveConflicts(
  store: Store,
  patientId: number,
  strategy: 'neighbours' | 'mean' | 'drop',
  from = MIN_TS,
  to = MAX_TS,
  timestamps?: readonly number[],
): number {
  const rows: Row[] = store.readings.liveGlucose(patientId);
  const finite = rows.filter((r) => Number.isFinite(r.bgMm));
  const only = timestamps === undefined ? null : new Set(timestamps);
  const groups = conflictGroups(finite).filter((g) => g[0]!.ts >= from && g[0]!.ts < to && (only === null || only.has(g[0]!.ts)));
  if (groups.length === 0) return 0;
  // Values per timestamp, for the neighbours of a conflict.
  const byTs: { ts: number; values: number[] }[] = [];
  for (const r of finite) {
    const last = byTs[byTs.length - 1];
    if (last !== undefined && last.ts === r.ts) last.values.push(r.bgMm);
    else byTs.push({ ts: r.ts, values: [r.bgMm] });
  }
  const conflictTs = new Set(groups.map((g) => g[0]!.ts));
  const index = new Map(byTs.map((b, i) => [b.ts, i]));
  let changed = 0;
  const remove: number[] = [];
  for (const g of groups) {
    if (strategy === 'drop') {
      for (const r of g) remove.push(r.id);
      continue;
    }
    if (strategy === 'mean') {
      const mean = g.reduce((a, r) => a + r.bgMm, 0) / g.length;
      changed += store.readings.setGlucose(g[0]!.id, mean);
      for (const r of g.slice(1)) remove.push(r.id);
      continue;
    }
    // Nearest timestamps before and after that are not conflicts themselves (or, failing that, any).
    const i = index.get(g[0]!.ts)!;
    const near = (dir: -1 | 1): number | null => {
      let fallback: number | null = null;
      for (let k = i + dir; k >= 0 && k < byTs.length; k += dir) {
        const b = byTs[k]!;
        if (!conflictTs.has(b.ts)) return median(b.values);
        fallback ??= median(b.values);
      }
      return fallback;
    };
    const refs = [near(-1), near(1)].filter((x): x is number => x !== null);
    const ref = refs.length === 0 ? median(g.map((r) => r.bgMm)) : refs.reduce((a, b) => a + b, 0) / refs.length;
    let keep = g[0]!;
    for (const r of g) if (Math.abs(r.bgMm - ref) < Math.abs(keep.bgMm - ref)) keep = r;
    for (const r of g) if (r.id !== keep.id) remove.push(r.id);
  }
  return changed + store.readings.markRemoved(remove);
}
