/**
 * From-scratch weights following TinyTimeMixer's own initialisation:
 * - post_init = false (the default): PyTorch module constructors — Linear weight and bias
 *   U(±1/√fan_in) (kaiming_uniform with a = √5), LayerNorm/BatchNorm 1 and 0, Embedding N(0, 1),
 *   random positional encoding N(0, 1).
 * - post_init = true: granite-tsfm's `_init_weights` — Linear by `init_linear` ("normal":
 *   N(0, init_std) and zero bias; "uniform": U(0, 1) and zero bias; "xavier_uniform"; "pytorch":
 *   the constructor default), Embedding by `init_embed`, random positional encoding N(0, 0.1).
 * The sincos positional table is deterministic in both cases.
 *
 * The random stream is ours (seeded xoshiro128**), not torch's: same seed → same weights in
 * this app, but not the same numbers torch would draw.
 */
import type { HfTtmConfig } from './hf-config.js';
import { numel, ttmParameterSpecs, type ParameterSpec } from './parameter-shapes.js';

export interface WeightTensor {
  readonly shape: readonly number[];
  readonly data: Float32Array;
}
/** Parameters (and buffers) by state_dict name. Buffers such as num_batches_tracked are held as float32 too. */
export type ModelWeights = Map<string, WeightTensor>;

/** xoshiro128** with splitmix32 seeding: small, fast, good enough for initialisation and dropout masks. */
export class SeededRandom {
  private s = new Uint32Array(4);
  private spare: number | null = null;

  constructor(seed: number) {
    let x = seed >>> 0;
    for (let i = 0; i < 4; i++) {
      x = (x + 0x9e3779b9) >>> 0;
      let z = x;
      z = Math.imul(z ^ (z >>> 16), 0x85ebca6b) >>> 0;
      z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35) >>> 0;
      this.s[i] = (z ^ (z >>> 16)) >>> 0;
    }
    if ((this.s[0] | this.s[1] | this.s[2] | this.s[3]) === 0) this.s[0] = 1;
  }

  nextUint32(): number {
    const s = this.s;
    const result = Math.imul(rotl(Math.imul(s[1], 5) >>> 0, 7), 9) >>> 0;
    const t = (s[1] << 9) >>> 0;
    s[2] ^= s[0];
    s[3] ^= s[1];
    s[1] ^= s[2];
    s[0] ^= s[3];
    s[2] ^= t;
    s[3] = rotl(s[3], 11);
    return result;
  }

  /** Uniform in [0, 1) with 32 random bits. */
  next(): number {
    return this.nextUint32() / 4294967296;
  }

  uniform(low: number, high: number): number {
    return low + (high - low) * this.next();
  }

  /** Standard normal (Box–Muller, both values used). */
  normal(mean = 0, std = 1): number {
    if (this.spare !== null) {
      const v = this.spare;
      this.spare = null;
      return mean + std * v;
    }
    let u = 0;
    while (u === 0) u = this.next();
    const r = Math.sqrt(-2 * Math.log(u));
    const theta = 2 * Math.PI * this.next();
    this.spare = r * Math.sin(theta);
    return mean + std * r * Math.cos(theta);
  }
}

function rotl(x: number, k: number): number {
  return ((x << k) | (x >>> (32 - k))) >>> 0;
}

/** The reference's sincos table: sin/cos interleaved, centred, divided by 10·std (unbiased std). */
export function sincosPositionalEncoding(numPatches: number, dModel: number): Float32Array {
  const pe = new Float64Array(numPatches * dModel);
  for (let p = 0; p < numPatches; p++) {
    for (let i = 0; i < dModel; i += 2) {
      const div = Math.exp(i * -(Math.log(10000) / dModel));
      pe[p * dModel + i] = Math.sin(p * div);
      if (i + 1 < dModel) pe[p * dModel + i + 1] = Math.cos(p * div);
    }
  }
  const n = pe.length;
  const mean = pe.reduce((a, b) => a + b, 0) / n;
  let ss = 0;
  for (const v of pe) ss += (v - mean) ** 2;
  const std = Math.sqrt(ss / Math.max(n - 1, 1));
  return Float32Array.from(pe, (v) => (v - mean) / (std * 10));
}

function fill(n: number, f: () => number): Float32Array {
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) out[i] = f();
  return out;
}

function initTensor(spec: ParameterSpec, cfg: HfTtmConfig, rng: SeededRandom): Float32Array {
  const n = numel(spec.shape);
  const init = spec.init;
  const custom = cfg.post_init;
  switch (init.kind) {
    case 'linear_weight': {
      const bound = 1 / Math.sqrt(init.fanIn);
      if (!custom || cfg.init_linear === 'pytorch') return fill(n, () => rng.uniform(-bound, bound));
      if (cfg.init_linear === 'normal') return fill(n, () => rng.normal(0, cfg.init_std));
      if (cfg.init_linear === 'uniform') return fill(n, () => rng.next());
      const xb = Math.sqrt(6 / (init.fanIn + init.fanOut));
      return fill(n, () => rng.uniform(-xb, xb));
    }
    case 'linear_bias': {
      if (custom && cfg.init_linear !== 'pytorch') return new Float32Array(n);
      const bound = init.fanIn > 0 ? 1 / Math.sqrt(init.fanIn) : 0;
      return fill(n, () => rng.uniform(-bound, bound));
    }
    case 'norm_weight':
    case 'running_var':
      return new Float32Array(n).fill(1);
    case 'norm_bias':
    case 'running_mean':
    case 'num_batches_tracked':
      return new Float32Array(n);
    case 'embedding': {
      if (!custom || cfg.init_embed === 'pytorch' || cfg.init_embed === 'normal') return fill(n, () => rng.normal());
      if (cfg.init_embed === 'uniform') return fill(n, () => rng.next());
      // xavier on [vocab, dim]: fan_in = dim, fan_out = vocab.
      const xb = Math.sqrt(6 / (spec.shape[0] + spec.shape[1]));
      return fill(n, () => rng.uniform(-xb, xb));
    }
    case 'positional':
      if (init.type === 'sincos') return sincosPositionalEncoding(spec.shape[0], spec.shape[1]);
      return fill(n, () => rng.normal(0, custom ? 0.1 : 1));
  }
}

/** Fresh weights for every state_dict entry of the config, reproducible from `seed`. */
export function initializeTtmWeights(cfg: HfTtmConfig, seed: number): ModelWeights {
  const rng = new SeededRandom(seed);
  const out: ModelWeights = new Map();
  for (const spec of ttmParameterSpecs(cfg)) out.set(spec.name, { shape: spec.shape, data: initTensor(spec, cfg, rng) });
  return out;
}
