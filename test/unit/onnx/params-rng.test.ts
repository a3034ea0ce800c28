import { describe, expect, it } from 'vitest';
import { ParameterLayout, Rng, dropoutMask } from '../../../src-main/engine/onnx/index.js';

describe('ParameterLayout', () => {
  const layout = new ParameterLayout([
    { name: 'fc.weight', shape: [3, 2] },
    { name: 'fc.bias', shape: [3], weightDecay: 0 },
  ]);

  it('lays parameters out contiguously in declaration order', () => {
    expect(layout.total).toBe(9);
    expect(layout.get('fc.bias')).toMatchObject({ offset: 6, size: 3, weightDecay: 0 });
  });

  it('gives views that share the flat buffer (no copies)', () => {
    const flat = layout.pack({ 'fc.weight': [1, 2, 3, 4, 5, 6], 'fc.bias': [7, 8, 9] }) as Float32Array;
    const bias = layout.view(flat, 'fc.bias');
    expect(Array.from(bias)).toEqual([7, 8, 9]);
    bias[0] = 70;
    expect(flat[6]).toBe(70);
    expect(bias.buffer).toBe(flat.buffer);
  });

  it('reports missing or mis-sized parameters clearly', () => {
    expect(() => layout.pack({ 'fc.weight': [1, 2, 3, 4, 5, 6] })).toThrow(/No value given for parameter 'fc.bias'/);
    expect(() => layout.pack({ 'fc.weight': [1], 'fc.bias': [1, 2, 3] })).toThrow(/'fc.weight' needs 6 values, got 1/);
    expect(() => layout.get('nope')).toThrow(/No trainable parameter named 'nope'/);
    expect(() => new ParameterLayout([{ name: 'x', shape: [0] }])).toThrow(/invalid shape/);
    expect(() => new ParameterLayout([])).toThrow(/at least one/);
  });
});

describe('Rng', () => {
  it('is deterministic per seed and differs across seeds', () => {
    const a = new Rng(1);
    const b = new Rng(1);
    const c = new Rng(2);
    const xs = Array.from({ length: 5 }, () => a.next());
    expect(Array.from({ length: 5 }, () => b.next())).toEqual(xs);
    expect(Array.from({ length: 5 }, () => c.next())).not.toEqual(xs);
  });

  it('draws uniform values in [0, 1) with the right mean and normals with unit variance', () => {
    const r = new Rng(123);
    let s = 0;
    let ss = 0;
    const n = 20000;
    for (let i = 0; i < n; i++) {
      const u = r.next();
      expect(u >= 0 && u < 1).toBe(true);
      s += u;
      const z = r.normal();
      ss += z * z;
    }
    expect(Math.abs(s / n - 0.5)).toBeLessThan(0.01);
    expect(Math.abs(ss / n - 1)).toBeLessThan(0.05);
  });

  it('makes dropout keep-masks with the requested drop rate', () => {
    const m = dropoutMask(new Rng(5), 10000, 0.3);
    const kept = m.reduce((a, b) => a + b, 0);
    expect(Math.abs(kept / 10000 - 0.7)).toBeLessThan(0.02);
    expect(m.every((v) => v === 0 || v === 1)).toBe(true);
    expect(() => dropoutMask(new Rng(1), 3, 1)).toThrow(RangeError);
  });
});
