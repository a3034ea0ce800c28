/**
 * AdamW on plain arrays, for data-parallel training (data-parallel-trainer.ts), where each
 * worker thread updates its own range of the shared flat buffers in place. The in-graph
 * AdamW (optimizer.ts) would cost a session run per step whose ~18 passes over the buffers
 * and fresh output arrays (~3 MB each, then garbage) took longer than the update itself.
 * Same semantics as the in-graph version (torch.optim.AdamW with clip_grad_norm_); the
 * arithmetic runs in float64 and every stored moment is rounded to the buffer's type first,
 * as a float32 torch step stores it.
 *
 * These functions are also evaluated inside worker threads from their source text
 * (Function.prototype.toString), so they must not use anything outside their own bodies.
 */

type Flat = Float32Array | Float64Array;

/**
 * Sums the slices' gradients over [lo, hi) into `out` and returns the sum of squares of
 * that range (for the global norm). `grads` holds only the slices that ran.
 */
export function sumGradientRange(grads: readonly Flat[], out: Flat, lo: number, hi: number): number {
  let ss = 0;
  if (grads.length === 2) {
    const a = grads[0]!;
    const b = grads[1]!;
    for (let i = lo; i < hi; i++) {
      const g = a[i]! + b[i]!;
      out[i] = g;
      ss += g * g;
    }
    return ss;
  }
  for (let i = lo; i < hi; i++) {
    let g = 0;
    for (let j = 0; j < grads.length; j++) g += grads[j]![i]!;
    out[i] = g;
    ss += g * g;
  }
  return ss;
}

/**
 * One AdamW step over [lo, hi) of p, m, v with gradient k·g (k folds the 1/count scale and
 * the clipping coefficient). `decay` lists [start, end, weightDecay] triples covering the
 * buffer. t is the 1-based step; lr, beta1 the schedule's values for it.
 */
export function adamWRange(
  p: Flat,
  m: Flat,
  v: Flat,
  g: Flat,
  lo: number,
  hi: number,
  k: number,
  lr: number,
  t: number,
  beta1: number,
  beta2: number,
  eps: number,
  decay: readonly number[],
): void {
  const stepSize = lr / (1 - Math.pow(beta1, t));
  // A multiplication instead of torch's division by √(1 − β2ᵗ): one division less per element
  // (~15 % of the loop); the float64 results differ in the last bits, far below float32's.
  const invBc2Sqrt = 1 / Math.sqrt(1 - Math.pow(beta2, t));
  const c1 = (1 - beta1) * k;
  const c2 = (1 - beta2) * k * k;
  for (let s = 0; s < decay.length; s += 3) {
    const from = Math.max(lo, decay[s]!);
    const to = Math.min(hi, decay[s + 1]!);
    const keep = 1 - lr * decay[s + 2]!;
    for (let i = from; i < to; i++) {
      const gi = g[i]!;
      m[i] = beta1 * m[i]! + c1 * gi;
      v[i] = beta2 * v[i]! + c2 * gi * gi;
      const mi = m[i]!;
      const vi = v[i]!;
      p[i] = p[i]! * keep - (stepSize * mi) / (Math.sqrt(vi) * invBc2Sqrt + eps);
    }
  }
}

/**
 * Waits until all `n` parties reached the barrier (ctrl: Int32Array in shared memory,
 * [arrived, generation, abort]). Returns false when ctrl[2] was set (the trainer is being
 * released or another worker died) instead of waiting forever.
 */
export function barrier(ctrl: Int32Array, n: number): boolean {
  const gen = Atomics.load(ctrl, 1);
  if (Atomics.add(ctrl, 0, 1) === n - 1) {
    Atomics.store(ctrl, 0, 0);
    Atomics.add(ctrl, 1, 1);
    Atomics.notify(ctrl, 1);
    return true;
  }
  while (Atomics.load(ctrl, 1) === gen) {
    if (Atomics.load(ctrl, 2) !== 0) return false;
    Atomics.wait(ctrl, 1, gen, 100);
  }
  return true;
}
