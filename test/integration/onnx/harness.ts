/** Shared helpers for the ONNX engine tests: run a graph, compare arrays, finite-difference checks. */
import { expect } from 'vitest';
import { GraphBuilder, Rng, createSession, gradients, type DType, type Dim, type TensorData, type Value } from '../../../src-main/engine/onnx/index.js';

export async function runGraph(b: GraphBuilder, feeds: Record<string, TensorData>): Promise<Record<string, TensorData>> {
  const s = await createSession(b.toModel(), { threads: 1, disabledOptimizers: ['QuickGeluFusion'] });
  try {
    return await s.run(feeds);
  } finally {
    await s.release();
  }
}

export function expectClose(actual: ArrayLike<number | bigint>, expected: ArrayLike<number>, atol: number, rtol: number, what = ''): void {
  expect(actual.length, `${what}: length`).toBe(expected.length);
  let worst = 0;
  let worstAt = -1;
  for (let i = 0; i < expected.length; i++) {
    const a = Number(actual[i]!);
    const e = expected[i]!;
    const err = Math.abs(a - e) - (atol + rtol * Math.abs(e));
    if (!(err <= worst) || Number.isNaN(a) !== Number.isNaN(e)) {
      worst = Number.isNaN(err) ? Infinity : err;
      worstAt = i;
    }
  }
  if (worstAt >= 0) {
    expect.fail(`${what}: element ${worstAt} is ${Number(actual[worstAt]!)}, expected ${expected[worstAt]} (atol ${atol}, rtol ${rtol})`);
  }
}

export function arrayFor(dtype: DType, data: ArrayLike<number>): Float32Array | Float64Array {
  return dtype === 'float32' ? Float32Array.from(data) : Float64Array.from(data);
}

export interface GradInput {
  shape: readonly number[];
  /** Declared shape (may hold symbols); defaults to `shape`. */
  declared?: readonly Dim[];
  lo?: number;
  hi?: number;
  /** Fixed values instead of random ones. */
  values?: readonly number[];
  /** Not differentiated (fed as data). */
  constant?: boolean;
  /** An int64 input (indices); implies constant. `values` are required. */
  int64?: boolean;
}

export interface GradCheckOptions {
  dtype?: 'float32' | 'float64';
  seed?: number;
  /** Finite-difference step. */
  eps?: number;
  /** Tolerance relative to max |numeric gradient| of each input (plus the same absolute floor). */
  tol?: number;
}

/** Evaluates a symbolic dim given symbol bindings (products only). */
export function evalDim(d: Dim, bind: Record<string, number>): number {
  if (typeof d === 'number') return d;
  return d.split('*').reduce((p, t) => p * (/^\d+$/.test(t) ? Number(t) : bind[t]!), 1);
}

/**
 * Central finite differences of L = sum(f(x) * R) (R random, fed as an input) against the
 * gradient subgraph. Returns the max error ratio for reporting.
 */
export async function gradCheck(inputs: readonly GradInput[], f: (b: GraphBuilder, xs: Value[]) => Value, opts: GradCheckOptions = {}): Promise<void> {
  const dtype = opts.dtype ?? 'float64';
  const eps = opts.eps ?? (dtype === 'float64' ? 1e-6 : 1e-2);
  const tol = opts.tol ?? (dtype === 'float64' ? 1e-6 : 3e-3);
  const rng = new Rng(opts.seed ?? 1234);
  const b = new GraphBuilder('gradcheck');
  const bind: Record<string, number> = {};
  const xs = inputs.map((inp, i) => {
    const declared = inp.declared ?? inp.shape;
    declared.forEach((d, k) => {
      if (typeof d === 'string') bind[d] = inp.shape[k]!;
    });
    return b.input(`x${i}`, inp.int64 ? 'int64' : dtype, declared);
  });
  const out = f(b, xs);
  const R = b.input('R', dtype, out.shape);
  const loss = b.reduceSum(b.mul(out, R));
  const diffIdx = inputs.map((inp, i) => (inp.constant || inp.int64 ? -1 : i)).filter((i) => i >= 0);
  const grads = gradients(
    b,
    loss,
    diffIdx.map((i) => xs[i]!),
  );
  b.output(loss, 'loss');
  grads.forEach((g, k) => b.output(g, `g${k}`));
  const s = await createSession(b.toModel(), { threads: 1, disabledOptimizers: ['QuickGeluFusion'] });
  const ints = inputs.map((inp) => (inp.int64 ? BigInt64Array.from((inp.values ?? []).map(BigInt)) : undefined));
  const values = inputs.map((inp) => {
    const n = inp.shape.reduce((p, d) => p * d, 1);
    const v = inp.values ? Float64Array.from(inp.values) : Float64Array.from({ length: n }, () => rng.uniform(inp.lo ?? -1, inp.hi ?? 1));
    return arrayFor(dtype, v);
  });
  const outShape = out.shape.map((d) => evalDim(d, bind));
  const rData = arrayFor(
    dtype,
    Array.from({ length: outShape.reduce((p, d) => p * d, 1) }, () => rng.uniform(-1, 1)),
  );
  const feeds = (): Record<string, TensorData> => {
    const fd: Record<string, TensorData> = { R: { data: rData, dims: outShape } };
    values.forEach((v, i) => (fd[`x${i}`] = { data: ints[i] ?? v, dims: inputs[i]!.shape }));
    return fd;
  };
  try {
    const res = await s.run(feeds());
    for (let k = 0; k < diffIdx.length; k++) {
      const i = diffIdx[k]!;
      const analytic = res[`g${k}`]!.data as Float64Array;
      const numeric = new Float64Array(values[i]!.length);
      for (let j = 0; j < numeric.length; j++) {
        const orig = values[i]![j]!;
        values[i]![j] = orig + eps;
        const lp = Number((await s.run(feeds(), ['loss'])).loss!.data[0]);
        values[i]![j] = orig - eps;
        const lm = Number((await s.run(feeds(), ['loss'])).loss!.data[0]);
        values[i]![j] = orig;
        // Use the perturbation actually representable in the dtype.
        const h = (Number(arrayFor(dtype, [orig + eps])[0]) - Number(arrayFor(dtype, [orig - eps])[0])) / 2;
        numeric[j] = (lp - lm) / (2 * h);
      }
      const scale = Math.max(1, ...Array.from(numeric, Math.abs));
      expectClose(analytic, numeric, tol * scale, 0, `d loss / d x${i}`);
    }
  } finally {
    await s.release();
  }
}
