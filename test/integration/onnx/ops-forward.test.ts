/**
 * Every builder op against the plain TypeScript reference on seeded random inputs,
 * including numpy broadcasting. float64 unless the op has no float64 kernel (Erf).
 */
import { describe, expect, it } from 'vitest';
import {
  GraphBuilder,
  Rng,
  batchNormTraining,
  dropout,
  gatedAttention,
  gelu,
  geluTanh,
  layerNorm,
  linear,
  updateRunningStat,
  type Value,
} from '../../../src-main/engine/onnx/index.js';
import { arrayFor, expectClose, runGraph } from './harness.js';
import * as R from './reference.js';

interface Case {
  name: string;
  inputs: { shape: number[]; lo?: number; hi?: number }[];
  build: (b: GraphBuilder, xs: Value[]) => Value;
  ref: (xs: R.Nd[]) => R.Nd;
  dtype?: 'float32' | 'float64';
}

const sig = (x: number) => 1 / (1 + Math.exp(-x));
const un = (
  name: string,
  f: (b: GraphBuilder, x: Value) => Value,
  g: (x: number) => number,
  lo = -2,
  hi = 2,
  dtype: 'float32' | 'float64' = 'float64',
): Case => ({
  name,
  inputs: [{ shape: [3, 4], lo, hi }],
  build: (b, [x]) => f(b, x!),
  ref: ([x]) => R.map(x!, g),
  dtype,
});
const bin = (
  name: string,
  f: (b: GraphBuilder, x: Value, y: Value) => Value,
  g: (x: number, y: number) => number,
  sa: number[],
  sb: number[],
  lo = -2,
  hi = 2,
): Case => ({
  name: `${name} ${JSON.stringify(sa)} ${JSON.stringify(sb)}`,
  inputs: [
    { shape: sa, lo, hi },
    { shape: sb, lo, hi },
  ],
  build: (b, [x, y]) => f(b, x!, y!),
  ref: ([x, y]) => R.zip([x!, y!], g),
});

const cases: Case[] = [
  un(
    'Neg',
    (b, x) => b.neg(x),
    (x) => -x,
  ),
  un('Exp', (b, x) => b.exp(x), Math.exp),
  un('Log', (b, x) => b.log(x), Math.log, 0.1, 3),
  un('Abs', (b, x) => b.abs(x), Math.abs),
  un('Sqrt', (b, x) => b.sqrt(x), Math.sqrt, 0, 3),
  un('Erf', (b, x) => b.erf(x), R.erf, -3, 3, 'float32'),
  un('Tanh', (b, x) => b.tanh(x), Math.tanh),
  un('Sigmoid', (b, x) => b.sigmoid(x), sig),
  un(
    'Relu',
    (b, x) => b.relu(x),
    (x) => Math.max(0, x),
  ),
  un(
    'Reciprocal',
    (b, x) => b.reciprocal(x),
    (x) => 1 / x,
    0.2,
    2,
  ),
  un('Sign', (b, x) => b.sign(x), Math.sign),
  un('Sin', (b, x) => b.sin(x), Math.sin),
  un('Cos', (b, x) => b.cos(x), Math.cos),
  un(
    'Identity',
    (b, x) => b.identity(x),
    (x) => x,
  ),
  un(
    'Clip',
    (b, x) => b.clip(x, -0.5, 0.7),
    (x) => Math.min(0.7, Math.max(-0.5, x)),
  ),
  un(
    'Clip (upper only)',
    (b, x) => b.clip(x, undefined, 0.3),
    (x) => Math.min(0.3, x),
  ),
  un('Cast f64→f32→f64', (b, x) => b.cast(b.cast(x, 'float32'), 'float64'), Math.fround),
  un(
    'Gelu (exact, erf)',
    (b, x) => gelu(b, x),
    (x) => 0.5 * x * (1 + R.erf(x / Math.SQRT2)),
    -3,
    3,
    'float32',
  ),
  un(
    'Gelu (tanh)',
    (b, x) => geluTanh(b, x),
    (x) => 0.5 * x * (1 + Math.tanh(Math.sqrt(2 / Math.PI) * (x + 0.044715 * x ** 3))),
  ),
  bin(
    'Add',
    (b, x, y) => b.add(x, y),
    (x, y) => x + y,
    [2, 3, 4],
    [4],
  ),
  bin(
    'Add',
    (b, x, y) => b.add(x, y),
    (x, y) => x + y,
    [2, 1, 4],
    [3, 1],
  ),
  bin(
    'Sub',
    (b, x, y) => b.sub(x, y),
    (x, y) => x - y,
    [3, 1],
    [1, 4],
  ),
  bin(
    'Mul',
    (b, x, y) => b.mul(x, y),
    (x, y) => x * y,
    [2, 3, 4],
    [2, 1, 4],
  ),
  bin(
    'Div',
    (b, x, y) => b.div(x, y),
    (x, y) => x / y,
    [2, 3],
    [3],
    0.5,
    2,
  ),
  bin(
    'Pow',
    (b, x, y) => b.pow(x, y),
    (x, y) => x ** y,
    [2, 3],
    [2, 1],
    0.5,
    2,
  ),
  bin('Max', (b, x, y) => b.max(x, y), Math.max, [4, 3], [3]),
  bin('Min', (b, x, y) => b.min(x, y), Math.min, [1, 3], [4, 1]),
  {
    name: 'Sum of three with broadcasting',
    inputs: [{ shape: [2, 3] }, { shape: [3] }, { shape: [2, 1] }],
    build: (b, xs) => b.sum(xs),
    ref: (xs) => R.zip(xs, (a, c, d) => a + c + d),
  },
  {
    name: 'Where with broadcast condition and scalar',
    inputs: [{ shape: [3, 4] }, { shape: [4] }],
    build: (b, [x, y]) => b.where(b.greater(y!, 0), x!, 0.25),
    ref: ([x, y]) => R.zip([x!, y!], (a, c) => (c > 0 ? a : 0.25)),
  },
  {
    name: 'comparisons and And (cast to float)',
    inputs: [{ shape: [3, 4] }, { shape: [4] }],
    build: (b, [x, y]) => {
      const m = b.and(b.less(x!, y!), b.greaterOrEqual(x!, -0.5));
      return b.add(b.cast(m, 'float64'), b.mul(b.cast(b.equal(x!, x!), 'float64'), 2));
    },
    ref: ([x, y]) => R.zip([x!, y!], (a, c) => (a < c && a >= -0.5 ? 1 : 0) + 2),
  },
  un(
    'Softplus',
    (b, x) => b.op('Softplus', [x])[0]!,
    (x) => Math.log1p(Math.exp(x)),
    -2,
    2,
    'float32',
  ),
  un('Floor', (b, x) => b.op('Floor', [x])[0]!, Math.floor, -3, 3),
  un('Ceil', (b, x) => b.op('Ceil', [x])[0]!, Math.ceil, -3, 3),
  // Round is half-to-even in ONNX; random inputs do not hit exact halves.
  un('Round', (b, x) => b.op('Round', [x])[0]!, Math.round, -3, 3),
  {
    name: 'LessOrEqual, Or, Xor, Not (cast to float)',
    inputs: [{ shape: [3, 4] }, { shape: [4] }],
    build: (b, [x, y]) => {
      const le = b.lessOrEqual(x!, y!);
      const pos = b.greater(x!, 0);
      const f = (v: Value) => b.cast(v, 'float64');
      return b.sum([f(le), b.mul(f(b.op('Or', [le, pos])[0]!), 2), b.mul(f(b.op('Xor', [le, pos])[0]!), 4), b.mul(f(b.op('Not', [pos])[0]!), 8)]);
    },
    ref: ([x, y]) =>
      R.zip([x!, y!], (a, c) => {
        const le = a <= c;
        const pos = a > 0;
        return +le + 2 * +(le || pos) + 4 * +(le !== pos) + 8 * +!pos;
      }),
  },
  {
    name: 'transposeLast2',
    inputs: [{ shape: [2, 3, 4] }],
    build: (b, [x]) => b.transposeLast2(x!),
    ref: ([x]) => R.transpose(x!, [0, 2, 1]),
  },
  {
    name: 'MatMul 2-D',
    inputs: [{ shape: [3, 5] }, { shape: [5, 4] }],
    build: (b, [x, y]) => b.matmul(x!, y!),
    ref: ([x, y]) => R.matmul(x!, y!),
  },
  {
    name: 'MatMul batched 4-D x 2-D',
    inputs: [{ shape: [2, 3, 4, 5] }, { shape: [5, 2] }],
    build: (b, [x, y]) => b.matmul(x!, y!),
    ref: ([x, y]) => R.matmul(x!, y!),
  },
  {
    name: 'MatMul with broadcast batch dims [2,1,3,4] x [3,4,2]',
    inputs: [{ shape: [2, 1, 3, 4] }, { shape: [3, 4, 2] }],
    build: (b, [x, y]) => b.matmul(x!, y!),
    ref: ([x, y]) => R.matmul(x!, y!),
  },
  {
    name: 'linear (PyTorch weight layout) on 4-D input with broadcast bias',
    inputs: [{ shape: [2, 2, 3, 5] }, { shape: [4, 5] }, { shape: [4] }],
    build: (b, [x, w, c]) => linear(b, x!, w!, c),
    ref: ([x, w, c]) => R.zip([R.matmul(x!, R.transpose(w!, [1, 0])), c!], (p, q) => p + q),
  },
  {
    name: 'linear on 2-D input (one Gemm with transB)',
    inputs: [{ shape: [6, 5] }, { shape: [4, 5] }, { shape: [4] }],
    build: (b, [x, w, c]) => linear(b, x!, w!, c),
    ref: ([x, w, c]) => R.zip([R.matmul(x!, R.transpose(w!, [1, 0])), c!], (p, q) => p + q),
  },
  {
    name: 'Gemm transA transB with alpha, beta and C [M,1]',
    inputs: [{ shape: [5, 3] }, { shape: [4, 5] }, { shape: [3, 1] }],
    build: (b, [x, w, c]) => b.gemm(x!, w!, c, { transA: true, transB: true, alpha: 0.5, beta: -2 }),
    ref: ([x, w, c]) => R.zip([R.matmul(R.transpose(x!, [1, 0]), R.transpose(w!, [1, 0])), c!], (p, q) => 0.5 * p - 2 * q),
  },
  {
    name: 'Transpose',
    inputs: [{ shape: [2, 3, 4] }],
    build: (b, [x]) => b.transpose(x!, [2, 0, 1]),
    ref: ([x]) => R.transpose(x!, [2, 0, 1]),
  },
  {
    name: 'Reshape with 0 and -1',
    inputs: [{ shape: [2, 3, 4] }],
    build: (b, [x]) => b.reshape(x!, [0, -1, 2]),
    ref: ([x]) => R.reshape(x!, [2, 6, 2]),
  },
  {
    name: 'Slice with negative start, axes and step',
    inputs: [{ shape: [4, 6] }],
    build: (b, [x]) => b.slice(x!, [-3, 5], [100, 0], [0, 1], [1, -2]),
    ref: ([x]) => R.slice(x!, [-3, 5], [100, 0], [0, 1], [1, -2]),
  },
  {
    name: 'Concat',
    inputs: [{ shape: [2, 3] }, { shape: [2, 1] }, { shape: [2, 2] }],
    build: (b, xs) => b.concat(xs, 1),
    ref: (xs) => R.concat(xs, 1),
  },
  {
    name: 'Split (middle part)',
    inputs: [{ shape: [2, 7] }],
    build: (b, [x]) => b.split(x!, [2, 4, 1], -1)[1]!,
    ref: ([x]) => R.slice(x!, [2], [6], [1], [1]),
  },
  {
    name: 'Pad constant',
    inputs: [{ shape: [2, 3] }],
    build: (b, [x]) => b.pad(x!, [1, 0, 0, 2], 0.5),
    ref: ([x]) => R.pad(x!, [1, 0, 0, 2], 0.5),
  },
  {
    name: 'Gather axis 0 (embedding lookup, repeated 2-D indices)',
    inputs: [{ shape: [5, 3] }],
    build: (b, [x]) => b.gather(x!, b.constant('int64', [2, 2], [4, 0, 4, -1]), 0),
    ref: ([x]) => R.gather(x!, { shape: [2, 2], data: [4, 0, 4, -1] }, 0),
  },
  {
    name: 'Gather axis 1 (channel selection)',
    inputs: [{ shape: [2, 4, 3] }],
    build: (b, [x]) => b.gather(x!, [2, 0], 1),
    ref: ([x]) => R.gather(x!, { shape: [2], data: [2, 0] }, 1),
  },
  {
    name: 'Unsqueeze/Squeeze',
    inputs: [{ shape: [2, 3] }],
    build: (b, [x]) => b.squeeze(b.unsqueeze(x!, [0, -1]), [0]),
    ref: ([x]) => R.reshape(x!, [2, 3, 1]),
  },
  {
    name: 'Expand',
    inputs: [{ shape: [3, 1] }],
    build: (b, [x]) => b.expand(x!, [2, 3, 4]),
    ref: ([x]) => R.zip([x!, R.nd([2, 3, 4], new Array(24).fill(0))], (a) => a),
  },
  ...(['sum', 'mean', 'max', 'min', 'sumsq', 'l2'] as const).flatMap((kind): Case[] => {
    const op = { sum: 'ReduceSum', mean: 'ReduceMean', max: 'ReduceMax', min: 'ReduceMin', sumsq: 'ReduceSumSquare', l2: 'ReduceL2' } as const;
    return [
      {
        name: `${op[kind]} axes [0, 2] keepdims`,
        inputs: [{ shape: [2, 3, 4] }],
        build: (b, [x]) => b.reduce(op[kind], x!, [0, 2], true),
        ref: ([x]) => R.reduce(x!, [0, 2], true, kind),
      },
      {
        name: `${op[kind]} axis -1`,
        inputs: [{ shape: [2, 3, 4] }],
        build: (b, [x]) => b.reduce(op[kind], x!, [-1], false),
        ref: ([x]) => R.reduce(x!, [-1], false, kind),
      },
      {
        name: `${op[kind]} all axes`,
        inputs: [{ shape: [2, 3] }],
        build: (b, [x]) => b.reduce(op[kind], x!),
        ref: ([x]) => R.reduce(x!, [0, 1], false, kind),
      },
    ];
  }),
  {
    name: 'Softmax axis 1',
    inputs: [{ shape: [2, 3, 4], lo: -3, hi: 3 }],
    build: (b, [x]) => b.softmax(x!, 1),
    ref: ([x]) => R.softmax(x!, 1),
  },
  {
    name: 'LogSoftmax last axis',
    inputs: [{ shape: [2, 5], lo: -3, hi: 3 }],
    build: (b, [x]) => b.logSoftmax(x!),
    ref: ([x]) => R.softmax(x!, -1, true),
  },
  {
    name: 'LayerNormalization last axis',
    inputs: [{ shape: [2, 3, 6] }, { shape: [6] }, { shape: [6] }],
    build: (b, [x, s, c]) => layerNorm(b, x!, s!, c!, 1e-5),
    ref: ([x, s, c]) => R.layerNorm(x!, s!, c!, -1, 1e-5),
  },
  {
    name: 'LayerNormalization over the last two axes, no bias',
    inputs: [{ shape: [2, 3, 4] }, { shape: [3, 4] }],
    build: (b, [x, s]) => b.layerNormalization(x!, s!, null, -2, 1e-3),
    ref: ([x, s]) => R.layerNorm(x!, s!, null, -2, 1e-3),
  },
  {
    name: 'BatchNormalization (inference, running statistics)',
    inputs: [{ shape: [2, 3, 4] }, { shape: [3] }, { shape: [3] }, { shape: [3] }, { shape: [3], lo: 0.5, hi: 2 }],
    build: (b, [x, s, c, m, v]) => b.batchNormalization(x!, s!, c!, m!, v!, 1e-5),
    ref: ([x, s, c, m, v]) => {
      const r = (t: R.Nd) => R.reshape(t, [3, 1]);
      return R.zip([x!, r(s!), r(c!), r(m!), r(v!)], (a, sc, bi, mu, va) => ((a - mu) / Math.sqrt(va + 1e-5)) * sc + bi);
    },
  },
  {
    name: 'BatchNorm training statistics (channel axis 1)',
    inputs: [{ shape: [4, 3, 2] }, { shape: [3] }, { shape: [3] }],
    build: (b, [x, s, c]) => batchNormTraining(b, x!, s!, c!, 1e-5).y,
    ref: ([x, s, c]) => {
      const mu = R.reduce(x!, [0, 2], true, 'mean');
      const xc = R.zip([x!, mu], (a, m) => a - m);
      const v = R.reduce(
        R.map(xc, (a) => a * a),
        [0, 2],
        true,
        'mean',
      );
      return R.zip([xc, v, R.reshape(s!, [3, 1]), R.reshape(c!, [3, 1])], (a, va, sc, bi) => (a / Math.sqrt(va + 1e-5)) * sc + bi);
    },
  },
  {
    name: 'gated attention x * softmax(linear(x))',
    inputs: [{ shape: [2, 3, 4] }, { shape: [4, 4] }, { shape: [4] }],
    build: (b, [x, w, c]) => gatedAttention(b, x!, w!, c),
    ref: ([x, w, c]) =>
      R.zip(
        [
          x!,
          R.softmax(
            R.zip([R.matmul(x!, R.transpose(w!, [1, 0])), c!], (p, q) => p + q),
            -1,
          ),
        ],
        (p, q) => p * q,
      ),
  },
  {
    name: 'dropout with an explicit mask (p = 0.25)',
    inputs: [{ shape: [3, 4] }, { shape: [3, 4], lo: 0, hi: 1 }],
    build: (b, [x, u]) => dropout(b, x!, b.cast(b.greater(u!, 0.25), 'float64'), 0.25),
    ref: ([x, u]) => R.zip([x!, u!], (a, v) => (v > 0.25 ? a / 0.75 : 0)),
  },
];

describe('op forward values match the TypeScript reference', () => {
  const rng = new Rng(42);
  for (const c of cases) {
    it(c.name, async () => {
      const dtype = c.dtype ?? 'float64';
      const b = new GraphBuilder(c.name);
      const xs = c.inputs.map((inp, i) => b.input(`x${i}`, dtype, inp.shape));
      const out = c.build(b, xs);
      b.output(out, 'y');
      const vals = c.inputs.map((inp) => R.randomNd(rng, inp.shape, inp.lo ?? -2, inp.hi ?? 2));
      if (dtype === 'float32') vals.forEach((v) => (v.data = v.data.map(Math.fround)));
      const feeds = Object.fromEntries(vals.map((v, i) => [`x${i}`, { data: arrayFor(dtype, v.data), dims: v.shape }]));
      const res = await runGraph(b, feeds);
      const ref = c.ref(vals);
      if (JSON.stringify(res.y!.dims) !== JSON.stringify(ref.shape))
        throw new Error(`shape ${JSON.stringify(res.y!.dims)} vs reference ${JSON.stringify(ref.shape)}`);
      if (JSON.stringify(out.shape) !== JSON.stringify(ref.shape))
        throw new Error(`inferred shape ${JSON.stringify(out.shape)} vs reference ${JSON.stringify(ref.shape)}`);
      const [atol, rtol] = dtype === 'float64' ? [1e-12, 1e-10] : [2e-6, 2e-6];
      expectClose(res.y!.data as Float64Array, ref.data, atol, rtol, c.name);
    });
  }
});

describe('batch norm training statistics', () => {
  it('returns the batch mean, biased and unbiased variance, and updates running statistics like PyTorch', async () => {
    const b = new GraphBuilder('bnstats');
    const x = b.input('x', 'float64', ['batch', 3, 4]);
    const w = b.constant('float64', [3], [1, 1, 1]);
    const c = b.constant('float64', [3], [0, 0, 0]);
    const runMean = b.input('running_mean', 'float64', [3]);
    const st = batchNormTraining(b, x, w, c, 1e-5);
    b.output(st.mean, 'mean');
    b.output(st.variance, 'var');
    b.output(st.unbiasedVariance, 'uvar');
    b.output(updateRunningStat(b, runMean, st.mean, 0.1), 'new_mean');
    const xv = R.randomNd(new Rng(8), [2, 3, 4]);
    const res = await runGraph(b, { x: { data: xv.data, dims: [2, 3, 4] }, running_mean: { data: new Float64Array([1, 2, 3]), dims: [3] } });
    const mean = R.reduce(xv, [0, 2], false, 'mean');
    const xc = R.zip([xv, R.reshape(mean, [3, 1])], (a, m) => a - m);
    const v = R.reduce(
      R.map(xc, (a) => a * a),
      [0, 2],
      false,
      'mean',
    );
    expectClose(res.mean!.data as Float64Array, mean.data, 1e-14, 1e-12, 'mean');
    expectClose(res.var!.data as Float64Array, v.data, 1e-14, 1e-12, 'var');
    expectClose(res.uvar!.data as Float64Array, R.map(v, (a) => (a * 8) / 7).data, 1e-14, 1e-12, 'unbiased var');
    expectClose(res.new_mean!.data as Float64Array, R.zip([R.nd([3], [1, 2, 3]), mean], (r, m) => 0.9 * r + 0.1 * m).data, 1e-14, 1e-12, 'running');
  });

  it('computes the unbiased correction at run time when the batch is symbolic', () => {
    const b = new GraphBuilder();
    const x = b.input('x', 'float64', ['batch', 3]);
    const st = batchNormTraining(b, x, b.constant('float64', [3], [1, 1, 1]), b.constant('float64', [3], [0, 0, 0]));
    expect(st.unbiasedVariance.shape).toEqual([3]);
  });
});

describe('run-time shapes with a symbolic batch', () => {
  it('Shape/Gather/Concat, symbolic reshape targets, Expand and ConstantOfShape follow the fed batch size', async () => {
    const b = new GraphBuilder('dynamic');
    const x = b.input('x', 'float64', ['batch', 2, 3]);
    const rows = b.reshape(x, ['batch*2', 3]); // target assembled from Shape slices at run time
    const back = b.reshape(b.mul(rows, 2), ['batch', 2, 3]);
    const viaShape = b.reshape(x, b.concat([b.shapeOf(x, 0, 1), b.ints([6])], 0)); // ['batch', 6]
    const ones = b.fillLike(x, 1);
    const bias = b.expandLike(b.constant('float64', [1, 1, 3], [1, 2, 3]), x);
    b.output(b.add(back, b.add(ones, bias)), 'y');
    b.output(viaShape, 'flat');
    b.output(b.reduce('ReduceProd', b.cast(b.shapeOf(x), 'float64')), 'count');
    expect(viaShape.shape).toEqual(['batch', 6]);
    for (const batch of [1, 4]) {
      const rng = new Rng(batch);
      const xv = R.randomNd(rng, [batch, 2, 3]);
      const res = await runGraph(b, { x: { data: xv.data, dims: xv.shape } });
      expect(res.y!.dims).toEqual([batch, 2, 3]);
      expectClose(res.y!.data as Float64Array, R.zip([xv, R.nd([3], [1, 2, 3])], (v, c) => 2 * v + 1 + c).data, 1e-12, 1e-12, `batch ${batch}`);
      expect(res.flat!.dims).toEqual([batch, 6]);
      expectClose(res.flat!.data as Float64Array, xv.data, 0, 0, 'flat');
      expect(Number(res.count!.data[0])).toBe(batch * 6);
    }
  });
});
