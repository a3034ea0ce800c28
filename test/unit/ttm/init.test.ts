import { describe, expect, it } from 'vitest';
import { parseHfConfig } from '../../../src-main/engine/ttm/hf-config.js';
import { initializeTtmWeights, sincosPositionalEncoding } from '../../../src-main/engine/ttm/init.js';
import { Xoshiro128 } from '../../../src-main/engine/util/rng.js';
import { ttmParameterSpecs } from '../../../src-main/engine/ttm/parameter-shapes.js';
import { fixtureConfigRaw } from './fixtures.js';

function stats(xs: Float32Array): { mean: number; std: number; min: number; max: number } {
  let s = 0;
  let min = Infinity;
  let max = -Infinity;
  for (const x of xs) {
    s += x;
    min = Math.min(min, x);
    max = Math.max(max, x);
  }
  const mean = s / xs.length;
  let ss = 0;
  for (const x of xs) ss += (x - mean) ** 2;
  return { mean, std: Math.sqrt(ss / xs.length), min, max };
}

describe('from-scratch initialisation', () => {
  const cfg = parseHfConfig(fixtureConfigRaw('r2_freq_token'));

  it('gives every state_dict entry its shape, PyTorch-default distributions, and is reproducible', () => {
    const w = initializeTtmWeights(cfg, 7);
    const specs = ttmParameterSpecs(cfg);
    expect([...w.keys()]).toEqual(specs.map((s) => s.name));
    for (const s of specs) expect(w.get(s.name)?.data.length).toBe(s.shape.reduce((a, b) => a * b, 1));
    // Linear(192*? …) head: U(±1/√fan_in) → std = bound/√3.
    const head = w.get('head.base_forecast_block.weight');
    const fanIn = 9 * 128;
    const st = stats(head?.data ?? new Float32Array());
    expect(st.max).toBeLessThanOrEqual(1 / Math.sqrt(fanIn));
    expect(st.min).toBeGreaterThanOrEqual(-1 / Math.sqrt(fanIn));
    expect(st.std).toBeCloseTo(1 / Math.sqrt(fanIn) / Math.sqrt(3), 3);
    expect(Math.abs(st.mean)).toBeLessThan(1e-3);
    const ln = [...w.entries()].filter(([k]) => k.endsWith('.norm.norm.weight'));
    expect(ln.length).toBeGreaterThan(0);
    for (const [, t] of ln) expect(t.data.every((x) => x === 1)).toBe(true);
    const emb = stats(w.get('backbone.encoder.freq_mod.0.weight')?.data ?? new Float32Array());
    expect(Math.abs(emb.mean)).toBeLessThan(0.5);
    expect(emb.std).toBeGreaterThan(0.5);
    const again = initializeTtmWeights(cfg, 7);
    const other = initializeTtmWeights(cfg, 8);
    expect(again.get('head.base_forecast_block.weight')?.data).toEqual(head?.data);
    expect(other.get('head.base_forecast_block.weight')?.data).not.toEqual(head?.data);
  });

  it('post_init with init_linear "normal" draws N(0, init_std) weights and zero biases', () => {
    const c = parseHfConfig({ ...fixtureConfigRaw('r2_512_96'), post_init: true, init_linear: 'normal', init_std: 0.02 });
    const w = initializeTtmWeights(c, 1);
    const st = stats(w.get('head.base_forecast_block.weight')?.data ?? new Float32Array());
    expect(st.std).toBeCloseTo(0.02, 3);
    expect(w.get('head.base_forecast_block.bias')?.data.every((x) => x === 0)).toBe(true);
  });

  it('the sincos positional table is centred with std 0.1 and the normal sampler is standard', () => {
    const pe = sincosPositionalEncoding(8, 16);
    const st = stats(pe);
    expect(Math.abs(st.mean)).toBeLessThan(1e-7);
    expect(st.std).toBeCloseTo(0.1 * Math.sqrt((pe.length - 1) / pe.length), 6);
    const rng = new Xoshiro128(3);
    const xs = Float32Array.from({ length: 20000 }, () => rng.normal());
    const n = stats(xs);
    expect(Math.abs(n.mean)).toBeLessThan(0.03);
    expect(Math.abs(n.std - 1)).toBeLessThan(0.03);
  });
});
