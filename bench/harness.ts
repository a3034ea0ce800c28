/**
 * Shared shape of benchmark results. Each section measures in one run and reports
 * medians with their spread; targets are ratios measured in the same run so the
 * machine's speed cancels out. Never assert absolute times in tests.
 */
export interface BenchRow {
  section: string;
  name: string;
  /** Median over the repeats. */
  value: number;
  unit: string;
  /** (max - min) / median over the repeats, 0 when measured once. */
  spread: number;
  repeats: number;
  /** Peak resident set size (bytes) observed while measuring, when the section tracks it. */
  peakRssBytes?: number;
  note?: string;
}

export interface BenchContext {
  /** Smaller sizes for a quick run (`npm run bench -- --quick`). */
  quick: boolean;
  log: (line: string) => void;
}

export type BenchSection = (ctx: BenchContext) => Promise<BenchRow[]>;

export function median(xs: readonly number[]): number {
  if (xs.length === 0) return Number.NaN;
  const s = [...xs].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 === 1 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
}

export function spreadOf(xs: readonly number[]): number {
  if (xs.length < 2) return 0;
  const m = median(xs);
  return m === 0 ? 0 : (Math.max(...xs) - Math.min(...xs)) / Math.abs(m);
}

/** Runs `fn` `repeats` times (after `warmup` untimed runs) and returns the durations in ms. */
export async function timeRepeats(fn: () => unknown, repeats: number, warmup = 1): Promise<number[]> {
  for (let i = 0; i < warmup; i++) await fn();
  const out: number[] = [];
  for (let i = 0; i < repeats; i++) {
    const t0 = performance.now();
    await fn();
    out.push(performance.now() - t0);
  }
  return out;
}

/** A row for a rate: `work` units done per measured duration (ms). */
export function rateRow(section: string, name: string, unit: string, work: number, durationsMs: readonly number[], note?: string): BenchRow {
  const rates = durationsMs.map((ms) => (work * 1000) / ms);
  const row: BenchRow = { section, name, value: median(rates), unit, spread: spreadOf(rates), repeats: rates.length };
  if (note !== undefined) row.note = note;
  return row;
}
