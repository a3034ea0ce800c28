import { describe, expect, it } from 'vitest';
import { broadcastShapes, dimDiv, dimMul, reshapeDims } from '../../../src-main/engine/onnx/index.js';

describe('symbolic dims', () => {
  it('multiplies and divides products canonically', () => {
    expect(dimMul('batch', 8)).toBe('batch*8');
    expect(dimMul(2, 'c*batch')).toBe('batch*c*2');
    expect(dimDiv('batch*c*8', 'c*2')).toBe('batch*4');
    expect(dimDiv('batch*8', 8)).toBe('batch');
    expect(dimDiv('batch*8', 3)).toBeUndefined();
    expect(dimDiv('batch', 'c')).toBeUndefined();
    expect(dimMul(0, 'batch')).toBe(0);
  });

  it('broadcasts with numpy rules, keeping symbols against 1', () => {
    expect(broadcastShapes([2, 1, 4], [3, 1])).toEqual([2, 3, 4]);
    expect(broadcastShapes(['batch', 1], [5])).toEqual(['batch', 5]);
    expect(broadcastShapes(['batch', 3], ['batch', 1])).toEqual(['batch', 3]);
    expect(broadcastShapes([2, 3], [4])).toMatch(/dims 3 and 4/);
    expect(broadcastShapes(['a'], ['b'])).toMatch(/cannot be broadcast statically/);
  });

  it('infers reshape targets with 0, -1 and symbols', () => {
    expect(reshapeDims(['batch', 8, 64], [-1, 64])).toEqual(['batch*8', 64]);
    expect(reshapeDims(['batch*8', 64], ['batch', 8, 64])).toEqual(['batch', 8, 64]);
    expect(reshapeDims(['batch', 2, 8, 16], [0, 0, 16, -1])).toEqual(['batch', 2, 16, 8]);
    expect(reshapeDims([6, 4], [2, -1])).toEqual([2, 12]);
    expect(() => reshapeDims([6, 4], [5, -1])).toThrow(/not a multiple of 5/);
    expect(() => reshapeDims([6, 4], [5, 5])).toThrow(/24 elements.*25 elements/);
    expect(() => reshapeDims(['batch', 4], [-1, -1])).toThrow(/more than one -1/);
    expect(() => reshapeDims(['batch', 4], ['other', 4])).toThrow(/cannot reshape/);
  });
});
