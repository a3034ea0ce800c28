/**
 * Dropout masks are drawn here and fed to the graph because ORT's Dropout draws a new mask on
 * every run, which breaks reproducibility and gradient checks. The generator is
 * util/rng.ts's Xoshiro128x53 (exported as `Rng` by onnx/index.ts).
 */
import type { RandomStream } from '../util/rng.js';

/**
 * A dropout keep-mask of 0/1 values (keep probability 1 − p) for `dropout()`'s mask input.
 * The 1/(1 − p) rescaling happens in the graph.
 */
export function dropoutMask(rng: RandomStream, size: number, p: number, out: Float32Array = new Float32Array(size)): Float32Array {
  if (!(p >= 0 && p < 1)) throw new RangeError(`dropout probability ${p} must be in [0, 1)`);
  for (let i = 0; i < size; i++) out[i] = rng.next() < p ? 0 : 1;
  return out;
}
