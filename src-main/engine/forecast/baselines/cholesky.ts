/**
 * Cholesky factorisation and solve for small symmetric positive-definite systems (the ridge
 * normal equations), in Float64 throughout.
 */
import { StudioError } from '../../errors.js';

/** Factorises row-major n×n `a` into lower-triangular L (returned, `a` untouched) with a = L·Lᵀ. */
export function cholesky(a: Float64Array, n: number): Float64Array {
  if (a.length !== n * n) throw new StudioError('INVALID_INPUT', `Cholesky: expected ${n}×${n} values, got ${a.length}.`);
  const l = new Float64Array(n * n);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j <= i; j++) {
      let s = a[i * n + j]!;
      for (let k = 0; k < j; k++) s -= l[i * n + k]! * l[j * n + k]!;
      if (i === j) {
        // A non-positive pivot means the matrix is not positive definite (collinear features, λ = 0).
        if (!(s > 0)) throw new StudioError('INVALID_INPUT', `Cholesky: matrix is not positive definite (pivot ${i} = ${s}). Increase the ridge penalty.`);
        l[i * n + i] = Math.sqrt(s);
      } else {
        l[i * n + j] = s / l[j * n + j]!;
      }
    }
  }
  return l;
}

/** Solves (L·Lᵀ) x = b for x, given the factor from `cholesky`. */
export function choleskySolve(l: Float64Array, n: number, b: ArrayLike<number>): Float64Array {
  const y = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    let s = b[i]!;
    for (let k = 0; k < i; k++) s -= l[i * n + k]! * y[k]!;
    y[i] = s / l[i * n + i]!;
  }
  const x = new Float64Array(n);
  for (let i = n - 1; i >= 0; i--) {
    let s = y[i]!;
    for (let k = i + 1; k < n; k++) s -= l[k * n + i]! * x[k]!;
    x[i] = s / l[i * n + i]!;
  }
  return x;
}
