/**
 * Plain TypeScript reference tensors (float64, row-major) for checking ONNX ops.
 * Deliberately naive: index arithmetic spelled out, no shared code with the engine.
 */
export interface Nd {
  shape: number[];
  data: Float64Array;
}

export function nd(shape: readonly number[], data: ArrayLike<number>): Nd {
  return { shape: [...shape], data: Float64Array.from(data) };
}

export const size = (s: readonly number[]): number => s.reduce((a, b) => a * b, 1);

export function strides(s: readonly number[]): number[] {
  const st = new Array<number>(s.length).fill(1);
  for (let i = s.length - 2; i >= 0; i--) st[i] = st[i + 1]! * s[i + 1]!;
  return st;
}

export function unravel(i: number, s: readonly number[]): number[] {
  const idx = new Array<number>(s.length);
  for (let k = s.length - 1; k >= 0; k--) {
    idx[k] = i % s[k]!;
    i = Math.floor(i / s[k]!);
  }
  return idx;
}

export function ravel(idx: readonly number[], s: readonly number[]): number {
  let o = 0;
  for (let k = 0; k < s.length; k++) o = o * s[k]! + idx[k]!;
  return o;
}

export function bshape(a: readonly number[], b: readonly number[]): number[] {
  const n = Math.max(a.length, b.length);
  const out: number[] = [];
  for (let i = 0; i < n; i++) {
    const da = a[i - (n - a.length)] ?? 1;
    const db = b[i - (n - b.length)] ?? 1;
    if (da !== db && da !== 1 && db !== 1) throw new Error(`ref: no broadcast ${a} ${b}`);
    out.push(Math.max(da, db) === 1 ? 1 : da === 1 ? db : da);
  }
  return out;
}

/** Value of `a` at output index `idx` under broadcasting. */
function at(a: Nd, idx: readonly number[]): number {
  const off = idx.length - a.shape.length;
  let o = 0;
  for (let k = 0; k < a.shape.length; k++) o = o * a.shape[k]! + (a.shape[k] === 1 ? 0 : idx[k + off]!);
  return a.data[o]!;
}

export function map(a: Nd, f: (x: number) => number): Nd {
  return { shape: [...a.shape], data: a.data.map(f) };
}

export function zip(xs: readonly Nd[], f: (...v: number[]) => number): Nd {
  let s: number[] = xs[0]!.shape;
  for (const x of xs.slice(1)) s = bshape(s, x.shape);
  const out = new Float64Array(size(s));
  for (let i = 0; i < out.length; i++) {
    const idx = unravel(i, s);
    out[i] = f(...xs.map((x) => at(x, idx)));
  }
  return { shape: s, data: out };
}

export function matmul(a: Nd, b: Nd): Nd {
  const m = a.shape[a.shape.length - 2]!;
  const k = a.shape[a.shape.length - 1]!;
  const n = b.shape[b.shape.length - 1]!;
  const batch = bshape(a.shape.slice(0, -2), b.shape.slice(0, -2));
  const shape = [...batch, m, n];
  const out = new Float64Array(size(shape));
  for (let i = 0; i < out.length; i++) {
    const idx = unravel(i, shape);
    const bi = idx.slice(0, -2);
    const r = idx[idx.length - 2]!;
    const c = idx[idx.length - 1]!;
    let s = 0;
    for (let j = 0; j < k; j++) s += at({ shape: a.shape, data: a.data }, [...bi, r, j]) * at(b, [...bi, j, c]);
    out[i] = s;
  }
  return { shape, data: out };
}

export function transpose(a: Nd, perm: readonly number[]): Nd {
  const shape = perm.map((p) => a.shape[p]!);
  const out = new Float64Array(a.data.length);
  for (let i = 0; i < out.length; i++) {
    const idx = unravel(i, shape);
    const src = new Array<number>(perm.length);
    perm.forEach((p, j) => (src[p] = idx[j]!));
    out[i] = a.data[ravel(src, a.shape)]!;
  }
  return { shape, data: out };
}

export function reshape(a: Nd, shape: readonly number[]): Nd {
  return { shape: [...shape], data: a.data.slice() };
}

export function reduce(a: Nd, axes: readonly number[], keep: boolean, kind: 'sum' | 'mean' | 'max' | 'min' | 'sumsq' | 'l2'): Nd {
  const ax = axes.map((x) => (x < 0 ? x + a.shape.length : x));
  const keepShape = a.shape.map((d, i) => (ax.includes(i) ? 1 : d));
  const acc = new Float64Array(size(keepShape)).fill(kind === 'max' ? -Infinity : kind === 'min' ? Infinity : 0);
  for (let i = 0; i < a.data.length; i++) {
    const idx = unravel(i, a.shape).map((v, k) => (ax.includes(k) ? 0 : v));
    const o = ravel(idx, keepShape);
    const v = a.data[i]!;
    if (kind === 'max') acc[o] = Math.max(acc[o]!, v);
    else if (kind === 'min') acc[o] = Math.min(acc[o]!, v);
    else if (kind === 'sumsq' || kind === 'l2') acc[o] = acc[o]! + v * v;
    else acc[o] = acc[o]! + v;
  }
  const n = size(ax.map((k) => a.shape[k]!));
  if (kind === 'mean') for (let i = 0; i < acc.length; i++) acc[i] = acc[i]! / n;
  if (kind === 'l2') for (let i = 0; i < acc.length; i++) acc[i] = Math.sqrt(acc[i]!);
  return { shape: keep ? keepShape : a.shape.filter((_, i) => !ax.includes(i)), data: acc };
}

export function slice(a: Nd, starts: number[], ends: number[], axes: number[], steps: number[]): Nd {
  const ranges = a.shape.map((d) => ({ s: 0, step: 1, n: d }));
  axes.forEach((ax, i) => {
    const d = a.shape[ax]!;
    const st = steps[i]!;
    let s = starts[i]! < 0 ? starts[i]! + d : starts[i]!;
    let e = ends[i]! < 0 ? ends[i]! + d : ends[i]!;
    if (st > 0) {
      s = Math.min(Math.max(s, 0), d);
      e = Math.min(Math.max(e, 0), d);
    } else {
      s = Math.min(Math.max(s, -1), d - 1);
      e = Math.min(Math.max(e, -1), d - 1);
    }
    ranges[ax] = { s, step: st, n: Math.max(0, Math.ceil((e - s) / st)) };
  });
  const shape = ranges.map((r) => r.n);
  const out = new Float64Array(size(shape));
  for (let i = 0; i < out.length; i++) {
    const idx = unravel(i, shape).map((v, k) => ranges[k]!.s + v * ranges[k]!.step);
    out[i] = a.data[ravel(idx, a.shape)]!;
  }
  return { shape, data: out };
}

export function concat(xs: readonly Nd[], axis: number): Nd {
  const shape = [...xs[0]!.shape];
  shape[axis] = xs.reduce((s, x) => s + x.shape[axis]!, 0);
  const out = new Float64Array(size(shape));
  for (let i = 0; i < out.length; i++) {
    const idx = unravel(i, shape);
    let p = idx[axis]!;
    let j = 0;
    while (p >= xs[j]!.shape[axis]!) p -= xs[j++]!.shape[axis]!;
    const src = [...idx];
    src[axis] = p;
    out[i] = xs[j]!.data[ravel(src, xs[j]!.shape)]!;
  }
  return { shape, data: out };
}

export function pad(a: Nd, pads: readonly number[], value: number): Nd {
  const r = a.shape.length;
  const shape = a.shape.map((d, i) => d + pads[i]! + pads[i + r]!);
  const out = new Float64Array(size(shape)).fill(value);
  for (let i = 0; i < a.data.length; i++) {
    const idx = unravel(i, a.shape).map((v, k) => v + pads[k]!);
    out[ravel(idx, shape)] = a.data[i]!;
  }
  return { shape, data: out };
}

export function gather(a: Nd, indices: { shape: number[]; data: number[] }, axis: number): Nd {
  const shape = [...a.shape.slice(0, axis), ...indices.shape, ...a.shape.slice(axis + 1)];
  const q = indices.shape.length;
  const out = new Float64Array(size(shape));
  for (let i = 0; i < out.length; i++) {
    const idx = unravel(i, shape);
    const ii = idx.slice(axis, axis + q);
    let v = indices.data[ravel(ii, indices.shape)]!;
    if (v < 0) v += a.shape[axis]!;
    const src = [...idx.slice(0, axis), v, ...idx.slice(axis + q)];
    out[i] = a.data[ravel(src, a.shape)]!;
  }
  return { shape, data: out };
}

export function softmax(a: Nd, axis: number, log = false): Nd {
  const ax = axis < 0 ? axis + a.shape.length : axis;
  const mx = reduce(a, [ax], true, 'max');
  const e = zip([a, mx], (x, m) => Math.exp(x - m));
  const s = reduce(e, [ax], true, 'sum');
  return log ? zip([a, mx, s], (x, m, z) => x - m - Math.log(z)) : zip([e, s], (x, z) => x / z);
}

export function layerNorm(a: Nd, scale: Nd, bias: Nd | null, axis: number, eps: number): Nd {
  const ax = axis < 0 ? axis + a.shape.length : axis;
  const axes = a.shape.map((_, i) => i).filter((i) => i >= ax);
  const mu = reduce(a, axes, true, 'mean');
  const xc = zip([a, mu], (x, m) => x - m);
  const v = reduce(
    map(xc, (x) => x * x),
    axes,
    true,
    'mean',
  );
  const y = zip([xc, v, scale], (x, vv, s) => (x / Math.sqrt(vv + eps)) * s);
  return bias ? zip([y, bias], (p, q) => p + q) : y;
}

/** erf: Taylor series for |x| < 2.5, erfc continued fraction beyond (well below 1e-9 error). */
export function erf(x: number): number {
  const ax = Math.abs(x);
  if (ax < 2.5) {
    let sum = ax;
    let term = ax;
    for (let n = 1; n < 80; n++) {
      term *= (-ax * ax) / n;
      sum += term / (2 * n + 1);
    }
    return Math.sign(x) * sum * (2 / Math.sqrt(Math.PI));
  }
  // erfc continued fraction (Lentz) for the tail.
  let f = ax;
  for (let n = 60; n >= 1; n--) f = ax + n / 2 / f;
  const erfc = Math.exp(-ax * ax) / Math.sqrt(Math.PI) / f;
  return Math.sign(x) * (1 - erfc);
}

export function randomNd(rng: { uniform(a: number, b: number): number }, shape: readonly number[], lo = -1, hi = 1): Nd {
  const data = new Float64Array(size(shape));
  for (let i = 0; i < data.length; i++) data[i] = rng.uniform(lo, hi);
  return { shape: [...shape], data };
}
