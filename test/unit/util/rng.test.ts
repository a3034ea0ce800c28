import { describe, expect, it } from 'vitest';
import { dropoutMask } from '../../../src-main/engine/onnx/rng.js';
import { Sfc32, Xoshiro128, Xoshiro128x53 } from '../../../src-main/engine/util/rng.js';

/*
 * The merged generators must draw exactly what the three copies they replace drew (onnx/rng.ts
 * Rng, ttm/init.ts SeededRandom, sim/rng.ts Rng): seeds written into runs, splits and the
 * simulated cohort would otherwise give other numbers. The values below were recorded from
 * those copies before the merge.
 */
describe('merged RNG streams equal the streams before the merge', () => {
  it('Xoshiro128x53 = onnx Rng (53-bit floats: training order, dropout masks, tests)', () => {
    const o = new Xoshiro128x53(42);
    expect([o.nextUint32(), o.nextUint32(), o.nextUint32()]).toEqual([2837322924, 544945897, 479756282]);
    expect([o.next(), o.next()]).toEqual([0.814939410083783, 0.026350207740137188]);
    expect(o.uniform(-2, 3)).toBe(-0.7051557793957342);
    expect([o.normal(), o.normal(), o.normal()]).toEqual([-1.4802740194545574, 0.23820036017795448, 0.10263419141660214]);
    expect([o.int(0, 9), o.int(0, 999)]).toEqual([7, 103]);
    expect(Array.from(dropoutMask(new Xoshiro128x53(5), 16, 0.3))).toEqual([1, 1, 1, 1, 1, 1, 0, 1, 1, 1, 1, 1, 0, 1, 1, 1]);
    const a = new Xoshiro128x53(2024);
    let h = 0;
    for (let i = 0; i < 100000; i++) h = (Math.imul(h, 31) + a.nextUint32()) >>> 0;
    expect(h).toBe(937704067);
    const b = new Xoshiro128x53(2024);
    let s = 0;
    for (let i = 0; i < 10000; i++) s += b.normal();
    expect(s).toBe(89.91684064925381);
  });

  it('Xoshiro128 = ttm/init SeededRandom (32-bit floats: from-scratch weights)', () => {
    const r = new Xoshiro128(42);
    expect([r.nextUint32(), r.nextUint32(), r.nextUint32()]).toEqual([2837322924, 544945897, 479756282]);
    expect([r.next(), r.next()]).toEqual([0.8149394164793193, 0.07910565007477999]);
    expect(r.uniform(-1, 1)).toBe(-0.9472995800897479);
    expect([r.normal(), r.normal(0, 0.02), r.normal(1, 2)]).toEqual([-0.16296452790841628, 0.0577759358840874, 0.5423795742264053]);
  });

  it('Sfc32 = sim/rng Rng (simulated cohort, split holdouts)', () => {
    const m = new Sfc32(42, 3, 7);
    expect([m.next(), m.next(), m.next()]).toEqual([0.3135916639585048, 0.8896677978336811, 0.6920384240802377]);
    expect(m.uniform(2, 5)).toBe(2.303120157448575);
    expect([m.int(0, 4), m.int(0, 14400)]).toEqual([1, 9900]);
    expect([m.chance(0.5), m.chance(0.1)]).toEqual([false, false]);
    expect([m.normal(), m.normal(), m.normal()]).toEqual([-2.211010672352579, 0.972201601754863, 1.6021619210996962]);
    expect(m.logNormal(100, 0.3)).toBe(88.11061556922152);
    expect(m.shuffle([0, 1, 2, 3, 4, 5, 6, 7])).toEqual([1, 3, 6, 5, 2, 7, 4, 0]);
    const z = new Sfc32(7);
    expect([z.next(), z.next()]).toEqual([0.33708864031359553, 0.2110167930368334]);
    const a = new Sfc32(2024, 1);
    let h = 0;
    for (let i = 0; i < 100000; i++) h = (Math.imul(h, 31) + a.next() * 4294967296) >>> 0;
    expect(h).toBe(2284167953);
    const b = new Sfc32(2024, 1);
    let s = 0;
    for (let i = 0; i < 10000; i++) s += b.normal();
    expect(s).toBe(-230.36742512344716);
  });
});
