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
 * The random stream is ours (seeded xoshiro128**, util/rng.ts), not torch's: same seed → same weights in
 * this app, but not the same numbers torch would draw.
 */
import type { HfTtmConfig } from './hf-config.js';
import { numel, ttmParameterSpecs, type ParameterSpec } from './parameter-shapes.js';
import { Xoshiro128 } from '../util/rng.js';

export interface WeightTensor {
  readonly shape: readonly number[];
  readonly data: Float32Array;
}
/** Parameters (and buffers) by state_dict name. Buffers such as num_batches_tracked are held as float32 too. */
export type ModelWeights = Map<string, WeightTensor>;

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

function initTensor(spec: ParameterSpec, cfg: HfTtmConfig, rng: Xoshiro128): Float32Array {
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
  const rng = new Xoshiro128(seed);
  const out: ModelWeights = new Map();
  for (const spec of ttmParameterSpecs(cfg)) out.set(spec.name, { shape: spec.shape, data: initTensor(spec, cfg, rng) });
  return out;
}
