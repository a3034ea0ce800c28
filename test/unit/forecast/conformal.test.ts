import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { calibrateConformal, conformalIntervals, conformalQuantile, parseConformalCalibration } from '../../../src-main/engine/forecast/conformal.js';
import { intervalCoverage } from '../../../src-main/engine/metrics/coverage.js';
import { gaussian, mulberry32 } from './rng.js';

const asc = (n: number) => Float64Array.from({ length: n }, (_, i) => i + 1);

describe('conformal quantile', () => {
  it('takes the ⌈(n+1)(1−α)⌉-th smallest score', () => {
    expect(conformalQuantile(asc(9), 0.2)).toBe(8); // ⌈10·0.8⌉ = 8
    expect(conformalQuantile(asc(19), 0.05)).toBe(19); // ⌈20·0.95⌉ = 19, no float drift to 20
    expect(conformalQuantile(asc(10), 0.2)).toBe(9); // ⌈8.8⌉
    expect(conformalQuantile(asc(100), 0.1)).toBe(91); // ⌈90.9⌉
  });

  it('is unbounded when there are too few scores', () => {
    expect(conformalQuantile(asc(9), 0.05)).toBeNull(); // ⌈9.5⌉ = 10 > 9
    expect(conformalQuantile(new Float64Array(0), 0.2)).toBeNull();
    expect(() => conformalQuantile(asc(3), 0)).toThrow();
  });
});

/** Forecast = truth − noise, noise ~ N(bias, sd) per step (sd grows with the step). */
function synthetic(windows: number, H: number, seed: number, bias = 0) {
  const g = gaussian(mulberry32(seed));
  const target = new Float64Array(windows * H);
  const forecast = new Float64Array(windows * H);
  for (let i = 0; i < windows * H; i++) {
    target[i] = 6 + g();
    forecast[i] = target[i]! - (bias + (0.2 + 0.1 * (i % H)) * g());
  }
  return { windows, forecastLength: H, target, forecast };
}

describe('split-conformal intervals', () => {
  it('covers fresh data at the nominal level (±2 %) per step', () => {
    const cal = calibrateConformal(synthetic(20_000, 4, 1));
    expect(cal.counts).toEqual([20_000, 20_000, 20_000, 20_000]);
    const test = synthetic(20_000, 4, 2);
    for (const iv of conformalIntervals(cal, test.forecast, test.windows)) {
      const cov = intervalCoverage({ ...test, lower: iv.lower, upper: iv.upper });
      for (const s of cov.perStep) expect(Math.abs(s.coverage! - iv.level)).toBeLessThan(0.02);
    }
    // the half-width approaches the true normal quantile z·sd (1.2816 and 1.9600)
    expect(cal.intervals[0]!.upper[0]).toBeCloseTo(1.2816 * 0.2, 1);
    expect(cal.intervals[1]!.upper[3]).toBeCloseTo(1.96 * 0.5, 1);
  });

  it('has expected coverage exactly k/(n+1) over repeated small calibrations', () => {
    // |residual| ~ U(0, 1): P(fresh ≤ q) = q, and E[k-th order statistic of n] = k/(n+1).
    // n = 10, α = 0.2 → k = 9: 9/11 ≈ 0.818 ≥ 0.8 (the naive ⌈n(1−α)⌉ = 8 would give 0.727).
    const rand = mulberry32(3);
    let sum = 0;
    const reps = 20_000;
    for (let r = 0; r < reps; r++) {
      const target = Float64Array.from({ length: 10 }, () => rand());
      const c = calibrateConformal({ windows: 10, forecastLength: 1, target, forecast: new Float64Array(10) }, { levels: [0.8] });
      sum += c.intervals[0]!.upper[0]!;
    }
    expect(Math.abs(sum / reps - 9 / 11)).toBeLessThan(0.003);
  });

  it('covers its own calibration scores in exactly k of n cases', () => {
    const s = synthetic(99, 1, 4);
    const cal = calibrateConformal(s, { levels: [0.9] }); // k = ⌈100·0.9⌉ = 90
    const [iv] = conformalIntervals(cal, s.forecast, 99);
    const cov = intervalCoverage({ ...s, lower: iv!.lower, upper: iv!.upper });
    expect(cov.overall.coverage).toBeCloseTo(90 / 99, 12);
  });

  it('asymmetric mode follows a biased forecaster and keeps coverage', () => {
    const cal = calibrateConformal(synthetic(20_000, 1, 5, 1), { mode: 'asymmetric', levels: [0.8] });
    const iv = cal.intervals[0]!;
    // residual y − ŷ ~ N(1, 0.2): upper offset ≈ 1 + 1.2816·0.2, lower offset ≈ −(1 − 1.2816·0.2)
    expect(iv.upper[0]).toBeCloseTo(1 + 1.2816 * 0.2, 1);
    expect(iv.lower[0]).toBeCloseTo(-(1 - 1.2816 * 0.2), 1);
    const test = synthetic(20_000, 1, 6, 1);
    const [band] = conformalIntervals(cal, test.forecast, test.windows);
    const cov = intervalCoverage({ ...test, lower: band!.lower, upper: band!.upper });
    expect(Math.abs(cov.overall.coverage! - 0.8)).toBeLessThan(0.02);
    const sym = calibrateConformal(synthetic(20_000, 1, 5, 1), { levels: [0.8] });
    expect(2 * sym.intervals[0]!.upper[0]!).toBeGreaterThan(iv.upper[0]! + iv.lower[0]!);
  });

  it('skips imputed targets, applies ±∞ when too few scores, and round-trips as JSON', () => {
    const cal = calibrateConformal(
      {
        windows: 3,
        forecastLength: 2,
        target: Float64Array.of(1, 2, 3, 4, 5, Number.NaN),
        forecast: Float64Array.of(0, 0, 0, 0, 0, 0),
        targetMask: [1, 1, 1, 1, 1, 0],
      },
      { levels: [0.5, 0.95] },
    );
    expect(cal.counts).toEqual([3, 2]);
    // level 0.5, step 1 scores 1, 3, 5: k = ⌈4·0.5⌉ = 2 → 3; step 2 scores 2, 4: k = ⌈1.5⌉ = 2 → 4
    expect(cal.intervals[0]!.upper).toEqual([3, 4]);
    expect(cal.intervals[1]!.upper).toEqual([null, null]);
    const back = parseConformalCalibration(JSON.parse(JSON.stringify(cal)));
    expect(back).toEqual(cal);
    const [half, wide] = conformalIntervals(back, Float64Array.of(10, 10), 1);
    expect(Array.from(half!.lower)).toEqual([7, 6]);
    expect(Array.from(wide!.upper)).toEqual([Infinity, Infinity]);
    expect(() => parseConformalCalibration({ ...cal, counts: [1] })).toThrow(/2 entries/);
    // A calibration saved when the forecast length was named `horizon` still parses.
    const { forecastLength, ...shared } = cal;
    expect(parseConformalCalibration({ ...shared, horizon: forecastLength })).toEqual(cal);
  });
});

describe('conformal guarantees (property)', () => {
  it('covers at least ⌈(n+1)(1−α)⌉ of its own n distinct calibration scores', () => {
    fc.assert(
      fc.property(
        fc.uniqueArray(fc.double({ min: -50, max: 50, noNaN: true }), { minLength: 1, maxLength: 200 }),
        fc.constantFrom(0.5, 0.8, 0.9, 0.95),
        (res, level) => {
          const n = res.length;
          const cal = calibrateConformal({ windows: n, forecastLength: 1, target: Float64Array.from(res), forecast: new Float64Array(n) }, { levels: [level] });
          const [iv] = conformalIntervals(cal, new Float64Array(n), n);
          const k = Math.ceil(Math.round((n + 1) * level * 1e9) / 1e9);
          const covered = intervalCoverage({ windows: n, forecastLength: 1, target: Float64Array.from(res), lower: iv!.lower, upper: iv!.upper }).overall
            .coverage!;
          if (k > n) expect(covered).toBe(1);
          else expect(covered * n).toBeGreaterThanOrEqual(k - 1e-9);
          expect(covered).toBeGreaterThanOrEqual(level);
        },
      ),
    );
  });
});
