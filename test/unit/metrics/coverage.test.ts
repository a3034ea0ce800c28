import { describe, expect, it } from 'vitest';
import { intervalCoverage } from '../../../src-main/engine/metrics/coverage.js';

describe('interval coverage', () => {
  const base = {
    windows: 2,
    forecastLength: 2,
    target: Float64Array.from([1, 2, 3, 4]),
    lower: Float64Array.from([0, 2, 3.5, 3]),
    upper: Float64Array.from([1, 3, 4, 5]),
  };

  it('counts inclusive edges and averages widths per step', () => {
    const c = intervalCoverage(base);
    expect(c.perStep[0]).toEqual({ step: 1, n: 2, coverage: 0.5, meanWidth: 0.75 });
    expect(c.perStep[1]).toEqual({ step: 2, n: 2, coverage: 1, meanWidth: 1.5 });
    expect(c.overall).toEqual({ n: 4, coverage: 0.75, meanWidth: 1.125 });
  });

  it('skips imputed targets and reports null for empty steps', () => {
    const c = intervalCoverage({ ...base, targetMask: Uint8Array.from([1, 0, 0, 0]) });
    expect(c.perStep[0]).toEqual({ step: 1, n: 1, coverage: 1, meanWidth: 1 });
    expect(c.perStep[1]).toEqual({ step: 2, n: 0, coverage: null, meanWidth: null });
  });

  it('accepts infinite bounds but refuses NaN and crossed bounds', () => {
    const inf = intervalCoverage({ ...base, lower: Float64Array.from([-Infinity, 2, 3.5, 3]), upper: Float64Array.from([Infinity, 3, 4, 5]) });
    expect(inf.perStep[0]!.coverage).toBe(0.5);
    expect(inf.perStep[0]!.meanWidth).toBe(Infinity);
    expect(() => intervalCoverage({ ...base, lower: Float64Array.from([Number.NaN, 2, 3.5, 3]) })).toThrow(/Non-finite/);
    expect(() => intervalCoverage({ ...base, lower: Float64Array.from([2, 2, 3.5, 3]) })).toThrow(/above upper/);
  });
});
