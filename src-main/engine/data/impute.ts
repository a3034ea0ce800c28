/**
 * Gap filling on a regular grid. Glucose gaps up to a maximum length are filled by the chosen
 * strategy; longer gaps stay NaN and split the series into segments (windows never cross
 * them). Covariates are filled everywhere so a window's inputs are always finite. The mask
 * keeps the truth: 1 = observed, 0 = imputed or missing, so imputed targets are never scored.
 */
export const IMPUTE_STRATEGIES = ['linear', 'mean', 'median', 'forward_fill', 'zero'] as const;
export type ImputeStrategy = (typeof IMPUTE_STRATEGIES)[number];

function observedStats(values: Float32Array, mask: Uint8Array): { mean: number; median: number } {
  const obs: number[] = [];
  for (let i = 0; i < values.length; i++) if (mask[i] === 1 && Number.isFinite(values[i]!)) obs.push(values[i]!);
  if (obs.length === 0) return { mean: 0, median: 0 };
  let sum = 0;
  for (const v of obs) sum += v;
  const sorted = Float64Array.from(obs).sort();
  const mid = sorted.length >> 1;
  const median = sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
  return { mean: sum / obs.length, median };
}

/**
 * Fills runs of unobserved bins (mask 0) in place. Runs longer than `maxGapBins` (or at the
 * series edges, for strategies that need both neighbours) become NaN.
 * Returns the number of bins filled.
 */
export function imputeGaps(values: Float32Array, mask: Uint8Array, strategy: ImputeStrategy, maxGapBins: number): number {
  const n = values.length;
  const stats = strategy === 'mean' || strategy === 'median' ? observedStats(values, mask) : null;
  let filled = 0;
  let i = 0;
  while (i < n) {
    if (mask[i] === 1) {
      i++;
      continue;
    }
    let j = i;
    while (j < n && mask[j] !== 1) j++;
    // run of missing bins [i, j)
    const len = j - i;
    const before = i - 1;
    const after = j < n ? j : -1;
    let fill: ((k: number) => number) | null = null;
    if (len <= maxGapBins) {
      switch (strategy) {
        case 'linear':
          if (before >= 0 && after >= 0) {
            const a = values[before]!;
            const b = values[after]!;
            fill = (k) => a + ((b - a) * (k - before)) / (after - before);
          }
          break;
        case 'forward_fill':
          if (before >= 0) {
            const a = values[before]!;
            fill = () => a;
          }
          break;
        case 'mean':
          fill = () => stats!.mean;
          break;
        case 'median':
          fill = () => stats!.median;
          break;
        case 'zero':
          fill = () => 0;
          break;
      }
    }
    for (let k = i; k < j; k++) values[k] = fill === null ? Number.NaN : fill(k);
    if (fill !== null) filled += len;
    i = j;
  }
  return filled;
}

/** Fills every unobserved bin of a covariate (no length limit); leading bins take the first observed value for forward_fill and linear. */
export function imputeAll(values: Float32Array, mask: Uint8Array, strategy: ImputeStrategy): void {
  imputeGaps(values, mask, strategy, Number.MAX_SAFE_INTEGER);
  let first = -1;
  for (let i = 0; i < values.length; i++)
    if (Number.isFinite(values[i]!)) {
      first = i;
      break;
    }
  if (first < 0) {
    values.fill(0);
    return;
  }
  for (let i = 0; i < first; i++) values[i] = values[first]!;
  let last = values[first]!;
  for (let i = first; i < values.length; i++) {
    if (Number.isFinite(values[i]!)) last = values[i]!;
    else values[i] = last;
  }
}

export interface Segment {
  /** First bin of the segment. */
  start: number;
  /** One past the last bin. */
  end: number;
}

/** Maximal runs of finite values: the pieces between gaps too long to impute. */
export function segmentsOf(values: Float32Array): Segment[] {
  const out: Segment[] = [];
  let i = 0;
  const n = values.length;
  while (i < n) {
    if (!Number.isFinite(values[i]!)) {
      i++;
      continue;
    }
    let j = i;
    while (j < n && Number.isFinite(values[j]!)) j++;
    out.push({ start: i, end: j });
    i = j;
  }
  return out;
}
