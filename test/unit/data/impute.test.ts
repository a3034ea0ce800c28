import { describe, expect, it } from 'vitest';
import { imputeAll, imputeGaps, segmentsOf } from '../../../src-main/engine/data/impute.js';

const NaN32 = Number.NaN;
function arr(xs: number[]): Float32Array {
  return Float32Array.from(xs);
}

describe('imputeGaps', () => {
  it('fills a short gap linearly and leaves a long one NaN (golden)', () => {
    // observed: 0..2, gap of 2 (bins 3,4), observed 5..6, gap of 4 (7..10), observed 11
    const v = arr([1, 2, 3, 0, 0, 6, 7, 0, 0, 0, 0, 12]);
    const m = Uint8Array.from([1, 1, 1, 0, 0, 1, 1, 0, 0, 0, 0, 1]);
    const filled = imputeGaps(v, m, 'linear', 3);
    expect(filled).toBe(2);
    expect(Array.from(v.subarray(0, 7))).toEqual([1, 2, 3, 4, 5, 6, 7]);
    expect(Array.from(v.subarray(7, 11)).every(Number.isNaN)).toBe(true);
    expect(v[11]).toBe(12);
    // the mask still says which values were observed
    expect(Array.from(m)).toEqual([1, 1, 1, 0, 0, 1, 1, 0, 0, 0, 0, 1]);
    expect(segmentsOf(v)).toEqual([
      { start: 0, end: 7 },
      { start: 11, end: 12 },
    ]);
  });

  it('mean, median, forward_fill and zero', () => {
    const base = [2, 0, 4, 0, 9];
    const mask = [1, 0, 1, 0, 1];
    const run = (s: 'mean' | 'median' | 'forward_fill' | 'zero'): number[] => {
      const v = arr(base);
      imputeGaps(v, Uint8Array.from(mask), s, 5);
      return Array.from(v);
    };
    expect(run('mean')).toEqual([2, 5, 4, 5, 9]);
    expect(run('median')).toEqual([2, 4, 4, 4, 9]);
    expect(run('forward_fill')).toEqual([2, 2, 4, 4, 9]);
    expect(run('zero')).toEqual([2, 0, 4, 0, 9]);
  });

  it('cannot interpolate at the edges', () => {
    const v = arr([0, 5, 0]);
    imputeGaps(v, Uint8Array.from([0, 1, 0]), 'linear', 10);
    expect(Number.isNaN(v[0]!)).toBe(true);
    expect(Number.isNaN(v[2]!)).toBe(true);
    expect(v[1]).toBe(5);
  });

  it('imputeAll fills covariates everywhere, back-filling the start', () => {
    const v = arr([0, 0, 70, 0, 0, 0, 0, 0, 80]);
    imputeAll(v, Uint8Array.from([0, 0, 1, 0, 0, 0, 0, 0, 1]), 'forward_fill');
    expect(Array.from(v)).toEqual([70, 70, 70, 70, 70, 70, 70, 70, 80]);
    const none = arr([NaN32, 0]);
    imputeAll(none, Uint8Array.from([0, 0]), 'linear');
    expect(Array.from(none)).toEqual([0, 0]);
  });
});
