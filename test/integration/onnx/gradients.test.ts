/**
 * Every gradient rule against central finite differences of the same ONNX forward graph,
 * L = sum(f(x) · R) with a random R. float64 (tolerance 1e-6 × max|∇|) wherever
 * onnxruntime 1.30 has float64 kernels; Erf/GELU/Softplus are checked in float32 with a
 * step of 1e-2 and a tolerance of 3e-3 × max|∇| (float32 rounding over a 2·1e-2 step).
 */
import { describe, it } from 'vitest';
import {
  batchNormTraining,
  dropout,
  gatedAttention,
  gelu,
  geluTanh,
  huberLoss,
  layerNorm,
  linear,
  maeLoss,
  mseLoss,
  pinballLoss,
  type GraphBuilder,
  type Value,
} from '../../../src-main/engine/onnx/index.js';
import { gradCheck, type GradCheckOptions, type GradInput } from './harness.js';

interface GCase {
  name: string;
  inputs: GradInput[];
  f: (b: GraphBuilder, xs: Value[]) => Value;
  opts?: GradCheckOptions;
}

const s = (...shape: number[]): GradInput => ({ shape });
const pos = (...shape: number[]): GradInput => ({ shape, lo: 0.5, hi: 2 });
const f32: GradCheckOptions = { dtype: 'float32' };
// Inputs kept away from kinks (0 for Abs/Relu/Sign-like ops; ties for Max/Min/ReduceMax).
const away = (...shape: number[]): GradInput => ({
  shape,
  values: Array.from({ length: shape.reduce((p, d) => p * d, 1) }, (_, i) => (i % 2 ? 1 : -1) * (0.3 + 0.37 * i)),
});

const cases: GCase[] = [
  { name: 'Add with broadcasting [2,3,4] + [3,1]', inputs: [s(2, 3, 4), s(3, 1)], f: (b, [x, y]) => b.add(x!, y!) },
  { name: 'Sub with broadcasting [4] - [2,1]', inputs: [s(4), s(2, 1)], f: (b, [x, y]) => b.sub(x!, y!) },
  { name: 'Mul with broadcasting [2,1,3] * [4,1]', inputs: [s(2, 1, 3), s(4, 1)], f: (b, [x, y]) => b.mul(x!, y!) },
  { name: 'Div with broadcasting [2,3] / [3]', inputs: [s(2, 3), pos(3)], f: (b, [x, y]) => b.div(x!, y!) },
  { name: 'Pow (base and exponent)', inputs: [pos(2, 3), s(3)], f: (b, [x, y]) => b.pow(x!, y!) },
  { name: 'Pow by a constant', inputs: [pos(2, 3)], f: (b, [x]) => b.pow(x!, 3) },
  { name: 'Max with broadcasting', inputs: [away(2, 3), { shape: [3], values: [0.1, -2, 2.5] }], f: (b, [x, y]) => b.max(x!, y!) },
  { name: 'Min with broadcasting', inputs: [away(2, 3), { shape: [2, 1], values: [0.15, -0.2] }], f: (b, [x, y]) => b.min(x!, y!) },
  { name: 'Sum of three with broadcasting', inputs: [s(2, 3), s(3), s(2, 1)], f: (b, xs) => b.sum(xs) },
  { name: 'Neg', inputs: [s(2, 3)], f: (b, [x]) => b.neg(x!) },
  { name: 'Exp', inputs: [s(2, 3)], f: (b, [x]) => b.exp(x!) },
  { name: 'Log', inputs: [pos(2, 3)], f: (b, [x]) => b.log(x!) },
  { name: 'Abs', inputs: [away(2, 3)], f: (b, [x]) => b.abs(x!) },
  { name: 'Sqrt', inputs: [pos(2, 3)], f: (b, [x]) => b.sqrt(x!) },
  { name: 'Tanh', inputs: [s(2, 3)], f: (b, [x]) => b.tanh(x!) },
  { name: 'Sigmoid', inputs: [s(2, 3)], f: (b, [x]) => b.sigmoid(x!) },
  { name: 'Relu', inputs: [away(2, 3)], f: (b, [x]) => b.relu(x!) },
  { name: 'Reciprocal', inputs: [pos(2, 3)], f: (b, [x]) => b.reciprocal(x!) },
  { name: 'Sin', inputs: [s(2, 3)], f: (b, [x]) => b.sin(x!) },
  { name: 'Cos', inputs: [s(2, 3)], f: (b, [x]) => b.cos(x!) },
  { name: 'Identity', inputs: [s(2, 3)], f: (b, [x]) => b.identity(x!) },
  { name: 'Clip', inputs: [away(2, 3)], f: (b, [x]) => b.clip(x!, -1, 1.5) },
  {
    name: 'Where (bool condition from data, broadcast branches)',
    inputs: [s(2, 3), s(3), { shape: [2, 3], values: [1, -1, 1, -1, -1, 1], constant: true }],
    f: (b, [x, y, c]) => b.where(b.greater(c!, 0), x!, y!),
  },
  { name: 'Cast float64 → float64 chain through Identity', inputs: [s(3)], f: (b, [x]) => b.cast(b.identity(x!), 'float64') },
  { name: 'MatMul 2-D', inputs: [s(3, 4), s(4, 2)], f: (b, [x, y]) => b.matmul(x!, y!) },
  { name: 'MatMul 4-D x 2-D (linear layer path)', inputs: [s(2, 2, 3, 4), s(4, 3)], f: (b, [x, y]) => b.matmul(x!, y!) },
  { name: 'MatMul broadcast batch [2,1,3,4] x [3,4,2]', inputs: [s(2, 1, 3, 4), s(3, 4, 2)], f: (b, [x, y]) => b.matmul(x!, y!) },
  { name: 'MatMul batched 3-D x 3-D', inputs: [s(2, 3, 4), s(2, 4, 2)], f: (b, [x, y]) => b.matmul(x!, y!) },
  { name: 'linear with bias', inputs: [s(2, 3, 4), s(5, 4), s(5)], f: (b, [x, w, c]) => linear(b, x!, w!, c) },
  { name: 'MatMul vector x matrix', inputs: [s(4), s(4, 3)], f: (b, [x, y]) => b.matmul(x!, y!) },
  { name: 'MatMul batched matrix x vector', inputs: [s(2, 3, 4), s(4)], f: (b, [x, y]) => b.matmul(x!, y!) },
  {
    name: 'linear on a symbolic batch of rows (bias summed by a ones-vector MatMul)',
    inputs: [{ shape: [5, 4], declared: ['batch', 4] }, s(3, 4), s(3)],
    f: (b, [x, w, c]) => linear(b, x!, w!, c),
  },
  {
    name: 'linear with a narrow input and a wide output (weight gradient transposed)',
    inputs: [s(6, 2), s(20, 2), s(20)],
    f: (b, [x, w, c]) => linear(b, x!, w!, c),
  },
  // Gemm: every transA/transB combination without C, with C as [N] and as [M, N] (M 3, K 4, N 5).
  ...[false, true].flatMap((transA) =>
    [false, true].flatMap((transB) =>
      (['none', 'N', 'MxN'] as const).map((cShape): GCase => ({
        name: `Gemm transA ${+transA} transB ${+transB}, C ${cShape}`,
        inputs: [s(...(transA ? [4, 3] : [3, 4])), s(...(transB ? [5, 4] : [4, 5])), ...(cShape === 'none' ? [] : [s(...(cShape === 'N' ? [5] : [3, 5]))])],
        f: (b, [x, y, c]) => b.gemm(x!, y!, c, { transA, transB }),
      })),
    ),
  ),
  { name: 'Gemm with alpha and beta, C [M,1]', inputs: [s(3, 4), s(4, 5), s(3, 1)], f: (b, [x, y, c]) => b.gemm(x!, y!, c, { alpha: 0.7, beta: -1.3 }) },
  {
    name: 'Gemm transA, alpha, C scalar [1]',
    inputs: [s(4, 3), s(5, 4), s(1)],
    f: (b, [x, y, c]) => b.gemm(x!, y!, c, { transA: true, transB: true, alpha: 2.5, beta: 0.5 }),
  },
  {
    name: 'Gemm with a narrow B (weight gradient computed in the other layout), transB 0 and 1',
    inputs: [s(5, 20), s(20, 3), s(20, 3)],
    f: (b, [x, y, z]) => b.gemm(b.gemm(x!, y!), z!, null, { transB: true }),
  },
  {
    name: 'Gemm on a symbolic batch of rows (transB, bias [N])',
    inputs: [{ shape: [5, 4], declared: ['batch', 4] }, s(3, 4), s(3)],
    f: (b, [x, w, c]) => b.gemm(x!, w!, c, { transB: true }),
  },
  { name: 'MatMul with a narrow output (gradient computed transposed)', inputs: [s(6, 20), s(20, 3)], f: (b, [x, y]) => b.matmul(x!, y!) },
  { name: 'Transpose', inputs: [s(2, 3, 4)], f: (b, [x]) => b.transpose(x!, [1, 2, 0]) },
  { name: 'Reshape (0 and -1)', inputs: [s(2, 3, 4)], f: (b, [x]) => b.reshape(x!, [0, -1, 2]) },
  {
    name: 'Reshape with a symbolic batch folded into rows and back',
    inputs: [{ shape: [2, 3, 4], declared: ['batch', 3, 4] }],
    f: (b, [x]) => b.reshape(b.mul(b.reshape(x!, [-1, 4]), b.reshape(x!, [-1, 4])), ['batch', 3, 4]),
  },
  {
    name: 'Reshape, Unsqueeze, Squeeze over two symbolic dims (gradients copy one and infer the other)',
    inputs: [{ shape: [2, 3, 4], declared: ['batch', 3, 'len'] }],
    f: (b, [x]) => {
      const t = b.squeeze(b.unsqueeze(b.tanh(x!), [1]), [1]);
      return b.mul(b.reshape(t, [0, -1]), b.reshape(t, [0, -1]));
    },
  },
  {
    name: 'Reshape folding two symbolic dims into one (gradient target built at run time)',
    inputs: [{ shape: [2, 3, 4], declared: ['batch', 3, 'len'] }],
    f: (b, [x]) => b.tanh(b.reshape(x!, [-1])),
  },
  { name: 'Unsqueeze + Squeeze', inputs: [s(2, 3)], f: (b, [x]) => b.unsqueeze(b.squeeze(b.unsqueeze(x!, [1]), [1]), [0, 3]) },
  { name: 'Expand', inputs: [s(3, 1)], f: (b, [x]) => b.expand(x!, [2, 3, 4]) },
  { name: 'Slice (negative start, two axes)', inputs: [s(4, 5)], f: (b, [x]) => b.slice(x!, [1, -3], [3, 100], [0, 1]) },
  { name: 'Pad', inputs: [s(2, 3)], f: (b, [x]) => b.pad(x!, [1, 0, 2, 1], 0.5) },
  { name: 'Concat of two inputs and a reused one', inputs: [s(2, 3), s(2, 1)], f: (b, [x, y]) => b.concat([x!, y!, x!], 1) },
  {
    name: 'Split with an unused output',
    inputs: [s(2, 6)],
    f: (b, [x]) => {
      const [p, , r] = b.split(x!, [1, 2, 3], 1);
      return b.concat([b.mul(p!, 2), r!], 1);
    },
  },
  { name: 'Gather axis 0 with repeated indices (embedding)', inputs: [s(5, 3)], f: (b, [x]) => b.gather(x!, b.constant('int64', [2, 2], [4, 0, 4, 1]), 0) },
  { name: 'Gather axis 1 with a negative index', inputs: [s(2, 4, 3)], f: (b, [x]) => b.gather(x!, [-1, 0, 3], 1) },
  {
    name: 'Gather with fed int64 indices of a symbolic batch (frequency-token embedding)',
    inputs: [s(5, 3), { shape: [4], declared: ['batch'], values: [3, 1, 3, -5], int64: true }],
    f: (b, [table, tok]) => b.gather(table!, tok!, 0),
  },
  {
    name: 'Gather with fed 2-D int64 indices of a symbolic batch on axis 1',
    inputs: [s(2, 4, 3), { shape: [3, 2], declared: ['batch', 2], values: [0, 3, 3, 1, -1, 2], int64: true }],
    f: (b, [x, idx]) => b.gather(x!, idx!, 1),
  },
  { name: 'Gather a scalar index', inputs: [s(3, 4)], f: (b, [x]) => b.gather(x!, b.constant('int64', [], [2]), 1) },
  { name: 'ReduceSum keepdims', inputs: [s(2, 3, 4)], f: (b, [x]) => b.reduceSum(x!, [0, 2], true) },
  { name: 'ReduceSum all', inputs: [s(2, 3)], f: (b, [x]) => b.reduceSum(x!) },
  { name: 'ReduceMean axis -1', inputs: [s(2, 3, 4)], f: (b, [x]) => b.reduceMean(x!, [-1]) },
  { name: 'ReduceMean over a symbolic batch', inputs: [{ shape: [3, 2], declared: ['batch', 2] }], f: (b, [x]) => b.reduceMean(x!, [0], true) },
  { name: 'ReduceSumSquare', inputs: [s(2, 3)], f: (b, [x]) => b.reduce('ReduceSumSquare', x!, [1]) },
  { name: 'ReduceL2', inputs: [s(2, 3)], f: (b, [x]) => b.reduce('ReduceL2', x!, [0], true) },
  { name: 'ReduceMax', inputs: [away(2, 3)], f: (b, [x]) => b.reduceMax(x!, [1]) },
  { name: 'ReduceMin', inputs: [away(2, 3)], f: (b, [x]) => b.reduceMin(x!, [0], true) },
  { name: 'Softmax axis 1', inputs: [s(2, 3, 4)], f: (b, [x]) => b.softmax(x!, 1) },
  { name: 'LogSoftmax', inputs: [s(2, 4)], f: (b, [x]) => b.logSoftmax(x!, -1) },
  { name: 'LayerNormalization (x, scale, bias)', inputs: [s(2, 3, 5), s(5), s(5)], f: (b, [x, w, c]) => layerNorm(b, x!, w!, c!, 1e-5) },
  { name: 'LayerNormalization over two axes', inputs: [s(2, 3, 4), s(3, 4)], f: (b, [x, w]) => b.layerNormalization(x!, w!, null, 1, 1e-3) },
  // float32 nodes hand their own Mean/InvStdDev to the gradient (float64 ones recompute them).
  {
    name: 'LayerNormalization with the forward statistics (float32)',
    inputs: [s(2, 3, 5), s(5), s(5)],
    f: (b, [x, w, c]) => layerNorm(b, x!, w!, c!, 1e-5),
    opts: f32,
  },
  {
    name: 'LayerNormalization over two axes with the forward statistics (float32)',
    inputs: [s(2, 3, 4), s(3, 4)],
    f: (b, [x, w]) => b.layerNormalization(x!, w!, null, 1, 1e-3),
    opts: f32,
  },
  {
    name: 'BatchNormalization inference (x, scale, bias)',
    inputs: [s(2, 3, 4), s(3), s(3), { shape: [3], constant: true }, { shape: [3], lo: 0.5, hi: 2, constant: true }],
    f: (b, [x, w, c, m, v]) => b.batchNormalization(x!, w!, c!, m!, v!, 1e-5),
  },
  { name: 'BatchNorm training statistics', inputs: [s(4, 3, 2), s(3), s(3)], f: (b, [x, w, c]) => batchNormTraining(b, x!, w!, c!).y },
  { name: 'gated attention', inputs: [s(2, 3, 4), s(4, 4), s(4)], f: (b, [x, w, c]) => gatedAttention(b, x!, w!, c) },
  { name: 'gated attention on 2-D rows (Gemm)', inputs: [s(5, 4), s(4, 4), s(4)], f: (b, [x, w, c]) => gatedAttention(b, x!, w!, c) },
  // Softmax gates differentiated from the gate's output (s read only by the Mul) or by the chain rule.
  { name: 'softmax gate, softmax first, axis 0', inputs: [s(3, 4), s(3, 4)], f: (b, [x, z]) => b.mul(b.softmax(z!, 0), x!) },
  { name: 'softmax gate with a broadcast x [4] ⊙ softmax([2,3,4])', inputs: [s(4), s(2, 3, 4)], f: (b, [x, z]) => b.mul(x!, b.softmax(z!, -1)) },
  { name: 'softmax gate on its own logits, x ⊙ softmax(x)', inputs: [s(2, 5)], f: (b, [x]) => b.mul(x!, b.softmax(x!, -1)) },
  {
    name: 'softmax gate whose softmax is also used elsewhere (chain rule)',
    inputs: [s(2, 4), s(2, 4)],
    f: (b, [x, z]) => {
      const p = b.softmax(z!, -1);
      return b.add(b.mul(x!, p), b.mul(p, p));
    },
  },
  { name: 'Mul by a broadcast softmax (chain rule): [2,3,4] ⊙ softmax([4])', inputs: [s(2, 3, 4), s(4)], f: (b, [x, z]) => b.mul(x!, b.softmax(z!, -1)) },
  {
    name: 'dropout with a fed mask',
    inputs: [s(3, 4), { shape: [3, 4], values: [1, 0, 1, 1, 0, 1, 1, 1, 0, 0, 1, 1], constant: true }],
    f: (b, [x, m]) => dropout(b, x!, m!, 0.3),
  },
  { name: 'GELU (tanh form)', inputs: [s(2, 3)], f: (b, [x]) => geluTanh(b, x!) },
  {
    name: 'shared subexpression used three times',
    inputs: [s(2, 3)],
    f: (b, [x]) => {
      const t = b.tanh(x!);
      return b.add(b.mul(t, t), b.exp(t));
    },
  },
  // float32: ops without float64 kernels in onnxruntime 1.30.
  { name: 'Erf (float32)', inputs: [s(2, 3)], f: (b, [x]) => b.erf(x!), opts: f32 },
  { name: 'GELU exact (float32)', inputs: [{ shape: [2, 3], lo: -2, hi: 2 }], f: (b, [x]) => gelu(b, x!), opts: f32 },
  {
    name: 'GELU exact as TTM writes it (Div by √2, closed-form derivative) (float32)',
    inputs: [{ shape: [2, 3], lo: -2, hi: 2 }],
    f: (b, [x]) => b.mul(b.mul(x!, 0.5), b.add(b.erf(b.div(x!, Math.SQRT2)), 1)),
    opts: f32,
  },
  {
    name: 'GELU exact with its intermediates used elsewhere (chain rule) (float32)',
    inputs: [{ shape: [2, 3], lo: -2, hi: 2 }],
    f: (b, [x]) => {
      const e = b.erf(b.mul(x!, Math.SQRT1_2));
      return b.add(b.mul(b.mul(x!, 0.5), b.add(e, 1)), e);
    },
    opts: f32,
  },
  { name: 'Softplus (float32)', inputs: [s(2, 3)], f: (b, [x]) => b.op('Softplus', [x!])[0]!, opts: f32 },
  { name: 'Cast float32 → float64 → float32 (float32)', inputs: [s(3)], f: (b, [x]) => b.cast(b.mul(b.cast(x!, 'float64'), 2), 'float32'), opts: f32 },
  // Losses as functions of the prediction (masks and targets fed as data).
  {
    name: 'mse loss with mask',
    inputs: [s(2, 3), { shape: [2, 3], constant: true }, { shape: [2, 3], values: [1, 0, 1, 1, 1, 0], constant: true }],
    f: (b, [p, t, m]) => mseLoss(b, p!, t!, { mask: m! }),
  },
  { name: 'mae loss', inputs: [away(2, 3), { shape: [2, 3], values: [0, 0, 0, 0, 0, 0], constant: true }], f: (b, [p, t]) => maeLoss(b, p!, t!) },
  {
    name: 'huber loss on both branches',
    inputs: [
      { shape: [2, 3], values: [-2, -0.3, 0.2, 0.6, 1.7, 3] },
      { shape: [2, 3], values: [0, 0, 0, 0, 0, 0], constant: true },
    ],
    f: (b, [p, t]) => huberLoss(b, p!, t!, 0.8),
  },
  {
    name: 'pinball loss, three quantiles, mask',
    inputs: [away(2, 2, 3), { shape: [2, 2], values: [0.05, -0.02, 0.01, 0.03], constant: true }, { shape: [2, 2], values: [1, 1, 0, 1], constant: true }],
    f: (b, [p, t, m]) => pinballLoss(b, p!, t!, [0.1, 0.5, 0.9], { mask: m! }),
  },
];

describe('gradient rules match central finite differences', () => {
  for (const c of cases) it(c.name, () => gradCheck(c.inputs, c.f, c.opts));
});
