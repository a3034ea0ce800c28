/**
 * Reverse-mode autodiff over a GraphBuilder graph: appends the gradient subgraph of a
 * scalar loss with respect to chosen tensors, built from standard ONNX ops only (this
 * onnxruntime build has no *Grad helper ops).
 *
 * Only nodes on a path from a differentiated tensor to the loss get gradient work, so
 * constants and frozen parameters cost nothing. Every tensor's incoming gradients are
 * accumulated and summed once (one Sum node), so shared subexpressions are
 * differentiated once. Broadcasting is undone by ReduceSum back to the operand's shape.
 */
import { StudioError } from '../errors.js';
import { isFloat } from './dtype.js';
import { type GraphBuilder, Value, type GraphNode } from './builder.js';
import { dimEq, dimProduct, formatShape, isStatic, normalizeAxis, type Dim } from './shape.js';

export interface GradContext {
  readonly b: GraphBuilder;
  readonly node: GraphNode;
  /** The node's inputs (null for omitted optional ones). */
  readonly x: readonly (Value | null)[];
  /** The node's outputs. */
  readonly y: readonly Value[];
  /** d loss / d output, null when an output does not reach the loss. */
  readonly gy: readonly (Value | null)[];
  /** Which inputs need a gradient. */
  readonly needs: readonly boolean[];
}

export interface GradRule {
  /** Input slots a gradient can flow into ('all' for variadic ops); others (shapes, indices, bounds) are not differentiable. */
  readonly inputs: readonly number[] | 'all';
  /** Gradients for the inputs (same order as node inputs); null/undefined for none or zero. */
  readonly grad: (ctx: GradContext) => readonly (Value | null | undefined)[];
}

function gfail(msg: string, details?: Record<string, unknown>): never {
  throw new StudioError('GRAPH', msg, details);
}

function ints(n: GraphNode, name: string, dflt: number): number {
  const a = n.attributes[name];
  return a && a.kind === 'int' ? a.value : dflt;
}

/**
 * Sums a broadcast gradient back to the shape of `operand` (numpy broadcasting undone):
 * leading axes are summed away, axes where the operand has 1 are summed with keepdims.
 */
export function reduceToShape(b: GraphBuilder, g: Value, operand: Value): Value {
  const t = operand.shape;
  const lead = g.rank - t.length;
  if (lead < 0) gfail(`internal: gradient ${g.toString()} has lower rank than its operand ${operand.toString()}`);
  const keepAxes: number[] = [];
  for (let i = 0; i < t.length; i++) {
    const gd = g.shape[i + lead]!;
    const td = t[i]!;
    if (dimEq(gd, td)) continue;
    if (td === 1) keepAxes.push(i + lead);
    else
      gfail(
        `Cannot undo broadcasting from ${formatShape(g.shape)} to ${formatShape(t)} for ${operand.toString()}: dim ${td} vs ${gd} is undecidable statically. Give the operand a static dim or the same symbol.`,
      );
  }
  const leadAxes = Array.from({ length: lead }, (_, i) => i);
  if (leadAxes.length === 0 && keepAxes.length === 0) return g;
  if (keepAxes.length === 0 && t.length === 1) {
    // Bias-like operands: a ones-vector MatMul sums the rows several times faster than
    // ReduceSum over axis 0 (which onnxruntime also parallelises badly).
    const g2 = g.rank === 2 ? g : isStatic(t[0]!) ? b.reshape(g, [-1, t[0]!]) : null;
    const rows = g2?.shape[0];
    if (g2 && rows !== undefined && (isStatic(rows) || b.canBuildShape([rows]))) return b.matmul(b.filled(rows, 1, g.dtype), g2);
  }
  if (keepAxes.length === 0) return b.reduceSum(g, leadAxes, false);
  const r = b.reduceSum(g, [...leadAxes, ...keepAxes], true);
  return lead === 0 ? r : b.squeeze(r, leadAxes);
}

/** Count of elements reduced over `axes` of x, as a scalar of x's dtype (static when possible). */
function reducedCount(b: GraphBuilder, x: Value, axes: readonly number[]): Value {
  const dims = axes.map((a) => x.shape[a]!);
  const n = dimProduct(dims);
  if (isStatic(n)) return b.scalar(n, x.dtype);
  const sizes = b.gather(b.shapeOf(x), axes);
  return b.cast(b.reduce('ReduceProd', sizes, [0], false), x.dtype);
}

function reduceAxes(b: GraphBuilder, n: GraphNode): number[] {
  const x = n.inputs[0]!;
  const ax = n.inputs[1] ? b.knownInts(n.inputs[1]) : undefined;
  if (!ax) return x.shape.map((_, i) => i);
  return ax.map((a) => normalizeAxis(a as number, x.rank, n.opType));
}

/** Re-inserts reduced axes into g when the reduction dropped them. */
function keepDims(b: GraphBuilder, n: GraphNode, g: Value): Value {
  if (ints(n, 'keepdims', 1) === 1) return g;
  const axes = reduceAxes(b, n);
  return axes.length === 0 ? g : b.unsqueeze(g, axes);
}

const unary = (f: (c: GradContext, g: Value) => Value): GradRule => ({ inputs: [0], grad: (c) => [f(c, c.gy[0]!)] });

function broadcastBinary(f: (c: GradContext, g: Value) => [Value | null, Value | null]): GradRule {
  return {
    inputs: [0, 1],
    grad: (c) => {
      const [ga, gb] = f(c, c.gy[0]!);
      return [ga && c.needs[0] ? reduceToShape(c.b, ga, c.x[0]!) : null, gb && c.needs[1] ? reduceToShape(c.b, gb, c.x[1]!) : null];
    },
  };
}

/** MLAS runs a long-reduction GEMM well below its peak when the output's column count is under 16. */
const NARROW = 16;

function matmulGrad(c: GradContext): (Value | null)[] {
  const { b } = c;
  const a = c.x[0]!;
  const w = c.x[1]!;
  const g = c.gy[0]!;
  if (a.rank === 1 || w.rank === 1) {
    // Vector operands: differentiate the product with numpy's unit axes put back.
    const a2 = a.rank === 1 ? b.unsqueeze(a, [0]) : a;
    const w2 = w.rank === 1 ? b.unsqueeze(w, [1]) : w;
    let g2 = a.rank === 1 ? b.unsqueeze(g, [w.rank === 1 ? g.rank : g.rank - 1]) : g;
    if (w.rank === 1) g2 = b.unsqueeze(g2, [g2.rank]);
    const [ga, gw] = matmulGrad2(b, a2, w2, g2, c.needs);
    return [ga && b.reshapeLike(ga, a), gw && b.reshapeLike(gw, w)];
  }
  return matmulGrad2(b, a, w, g, c.needs);
}

function matmulGrad2(b: GraphBuilder, a: Value, w: Value, g: Value, needs: readonly boolean[]): (Value | null)[] {
  let ga: Value | null = null;
  let gw: Value | null = null;
  if (needs[0]) ga = reduceToShape(b, b.matmul(g, b.transposeLast2(w)), a);
  if (needs[1]) {
    if (w.rank === 2) {
      // Linear-layer case: fold every batch axis into one contraction (one MatMul, no ReduceSum).
      const k = w.shape[0]!;
      const n = w.shape[1]!;
      const a2 = a.rank === 2 ? a : b.reshape(a, [-1, k]);
      const g2 = g.rank === 2 ? g : b.reshape(g, [-1, n]);
      // gᵀ·a gives the transposed layout [n, k]. It is the one wanted when w is itself a
      // transposed weight (linear() multiplies by Wᵀ): the transposes cancel in the builder.
      // Otherwise it only pays when it widens a narrow output.
      const transposed = b.producerOf(w)?.opType === 'Transpose';
      const kn = (k: Dim, n: Dim) => typeof n === 'number' && n < NARROW && (typeof k !== 'number' || k > n);
      const useNK = transposed ? !kn(n, k) : kn(k, n);
      gw = useNK ? b.transpose(b.matmul(b.transpose(g2, [1, 0]), a2), [1, 0]) : b.matmul(b.transpose(a2, [1, 0]), g2);
    } else {
      gw = reduceToShape(b, b.matmul(b.transposeLast2(a), g), w);
    }
  }
  return [ga, gw];
}

/** Whether a [rows, cols] GEMM output is narrow enough (cols < NARROW) that its transpose runs faster. */
const narrowOutput = (rows: Dim, cols: Dim) => typeof cols === 'number' && cols < NARROW && (typeof rows !== 'number' || rows > cols);

/**
 * Y = α·A'·B' + β·C with A' = op(A), B' = op(B). Every product is another Gemm whose
 * transA/transB flags absorb the transposes, so the gradients come out in the operands'
 * own layouts with no Transpose node (for linear layers, B is the PyTorch weight [out, in]).
 */
function gemmGrad(c: GradContext): (Value | null)[] {
  const { b, node } = c;
  const [a, w, bias] = c.x;
  const g = c.gy[0]!;
  const tA = ints(node, 'transA', 0) === 1;
  const tB = ints(node, 'transB', 0) === 1;
  const f = (n: string) => {
    const v = node.attributes[n];
    return v && v.kind === 'float' ? v.value : 1;
  };
  const alpha = f('alpha');
  const beta = f('beta');
  let ga: Value | null = null;
  let gw: Value | null = null;
  let gc: Value | null = null;
  // dA' = α·G·B'ᵀ; with transA, dA = dA'ᵀ = α·B'·Gᵀ.
  if (c.needs[0]) ga = tA ? b.gemm(w!, g, null, { transA: tB, transB: true, alpha }) : b.gemm(g, w!, null, { transB: !tB, alpha });
  if (c.needs[1]) {
    // dB' = α·A'ᵀ·G (reduction over the M rows); with transB, dB = α·Gᵀ·A'. A narrow
    // result is computed in the other layout and transposed (see NARROW).
    const direct = (tb: boolean) => (tb ? b.gemm(g, a!, null, { transA: true, transB: tA, alpha }) : b.gemm(a!, g, null, { transA: !tA, alpha }));
    gw = narrowOutput(w!.shape[0]!, w!.shape[1]!) ? b.transpose(direct(!tB), [1, 0]) : direct(tB);
  }
  if (bias && c.needs[2]) {
    gc = reduceToShape(b, g, bias);
    if (beta !== 1) gc = b.mul(gc, beta);
  }
  return [ga, gw, gc];
}

function layerNormGrad(c: GradContext): (Value | null)[] {
  const { b, node } = c;
  const x = c.x[0]!;
  const scale = c.x[1]!;
  const bias = c.x[2];
  const g = c.gy[0]!;
  const ax = normalizeAxis(ints(node, 'axis', -1), x.rank, 'LayerNormalization');
  const epsA = node.attributes.epsilon;
  const eps = epsA && epsA.kind === 'float' ? epsA.value : 1e-5;
  const axes = Array.from({ length: x.rank - ax }, (_, i) => ax + i);
  let xc: Value;
  let rstd: Value;
  const [, fwdMean, fwdInvStd] = c.y;
  if (fwdMean && fwdInvStd && fwdMean.dtype === x.dtype && fwdInvStd.dtype === x.dtype) {
    // The forward node's own statistics (declared for float32 nodes).
    xc = b.sub(x, fwdMean);
    rstd = fwdInvStd;
  } else {
    // Recomputed from standard ops: onnxruntime's Mean/InvStdDev outputs are float32 even
    // for float64 inputs, which would spoil float64 gradients.
    xc = b.sub(x, b.reduceMean(x, axes, true));
    const variance = b.reduceMean(b.mul(xc, xc), axes, true);
    rstd = b.reciprocal(b.sqrt(b.add(variance, b.scalar(Math.fround(eps), x.dtype))));
  }
  const xhat = b.mul(xc, rstd);
  let gx: Value | null = null;
  if (c.needs[0]) {
    const dxhat = b.mul(g, scale);
    const m1 = b.reduceMean(dxhat, axes, true);
    const m2 = b.reduceMean(b.mul(dxhat, xhat), axes, true);
    gx = b.mul(rstd, b.sub(b.sub(dxhat, m1), b.mul(xhat, m2)));
  }
  const gs = c.needs[1] ? reduceToShape(b, b.mul(g, xhat), scale) : null;
  const gb = bias && c.needs[2] ? reduceToShape(b, g, bias) : null;
  return [gx, gs, gb];
}

function batchNormGrad(c: GradContext): (Value | null)[] {
  const { b, node } = c;
  const [x, scale, , mean, variance] = c.x as Value[];
  const g = c.gy[0]!;
  const epsA = node.attributes.epsilon;
  const eps = epsA && epsA.kind === 'float' ? epsA.value : 1e-5;
  const bshape = [x.shape[1]!, ...Array.from({ length: x.rank - 2 }, () => 1)];
  const r = (v: Value) => b.reshape(v, bshape);
  const inv = r(b.reciprocal(b.sqrt(b.add(variance!, b.scalar(Math.fround(eps), x!.dtype)))));
  const others = x!.shape.map((_, i) => i).filter((i) => i !== 1);
  const gx = c.needs[0] ? b.mul(g, b.mul(r(scale!), inv)) : null;
  const gs = c.needs[1] ? b.reduceSum(b.mul(g, b.mul(b.sub(x!, r(mean!)), inv)), others, false) : null;
  const gb = c.needs[2] ? b.reduceSum(g, others, false) : null;
  return [gx, gs, gb, null, null];
}

function sliceGrad(c: GradContext): (Value | null)[] {
  const { b } = c;
  const x = c.x[0]!;
  const k = (i: number) => (c.x[i] ? (b.knownInts(c.x[i]!) as number[]) : undefined);
  const starts = k(1)!;
  const ends = k(2)!;
  const axes = (k(3) ?? starts.map((_, i) => i)).map((a) => normalizeAxis(a, x.rank, 'Slice'));
  const steps = k(4) ?? starts.map(() => 1);
  const pads = new Array<number>(2 * x.rank).fill(0);
  axes.forEach((ax, i) => {
    const d = x.shape[ax]!;
    if (steps[i] !== 1) gfail(`Slice '${c.node.name}': gradient supports step 1 only (got ${steps[i]} on axis ${ax}).`);
    if (!isStatic(d)) {
      if (starts[i] === 0 && ends[i]! >= 2 ** 31) return;
      gfail(`Slice '${c.node.name}': gradient needs a static size on sliced axis ${ax} of ${x.toString()}.`);
    }
    const s = Math.min(Math.max(starts[i]! < 0 ? starts[i]! + d : starts[i]!, 0), d);
    const e = Math.min(Math.max(ends[i]! < 0 ? ends[i]! + d : ends[i]!, s), d);
    pads[ax] = s;
    pads[ax + x.rank] = d - e;
  });
  return [b.pad(c.gy[0]!, pads, 0)];
}

function padGrad(c: GradContext): (Value | null)[] {
  const { b } = c;
  const x = c.x[0]!;
  const mode = c.node.attributes.mode;
  if (mode && mode.kind === 'string' && mode.value !== 'constant') gfail(`Pad '${c.node.name}': gradient supports constant mode only.`);
  const pads = b.knownInts(c.x[1]!) as number[];
  const axes = c.x[3] ? (b.knownInts(c.x[3]!) as number[]).map((a) => normalizeAxis(a, x.rank, 'Pad')) : x.shape.map((_, i) => i);
  const starts: number[] = [];
  const ends: number[] = [];
  const sAxes: number[] = [];
  axes.forEach((ax, i) => {
    const pb = pads[i]!;
    const pe = pads[i + axes.length]!;
    if (pb === 0 && pe === 0) return;
    if (pb < 0 || pe < 0) gfail(`Pad '${c.node.name}': gradient does not support negative pads.`);
    const d = x.shape[ax]! as number;
    sAxes.push(ax);
    starts.push(pb);
    ends.push(pb + d);
  });
  return [sAxes.length ? b.slice(c.gy[0]!, starts, ends, sAxes) : c.gy[0]!];
}

function concatGrad(c: GradContext): (Value | null)[] {
  const { b } = c;
  const ax = normalizeAxis(ints(c.node, 'axis', 0), c.y[0]!.rank, 'Concat');
  const sizes = c.x.map((v) => v!.shape[ax]!);
  if (c.x.length === 1) return [c.gy[0]!];
  if (!sizes.every(isStatic)) gfail(`Concat '${c.node.name}': gradient needs static sizes along axis ${ax}, got ${sizes.join(', ')}.`);
  return b.split(c.gy[0]!, sizes as number[], ax);
}

function splitGrad(c: GradContext): (Value | null)[] {
  const { b } = c;
  const ax = normalizeAxis(ints(c.node, 'axis', 0), c.x[0]!.rank, 'Split');
  const parts = c.gy.map((g, i) => g ?? b.fillLike(c.y[i]!, 0));
  return [b.concat(parts, ax), null];
}

function gatherGrad(c: GradContext): (Value | null)[] {
  const { b } = c;
  const data = c.x[0]!;
  const idx = c.x[1]!;
  const g = c.gy[0]!;
  const ax = normalizeAxis(ints(c.node, 'axis', 0), data.rank, 'Gather');
  const V = data.shape[ax]!;
  if (!isStatic(V)) gfail(`Gather '${c.node.name}': gradient needs a static size on the gathered axis ${ax} of ${data.toString()}.`);
  // Scatter-add as a one-hot MatMul: deterministic, float64-capable, standard ops only.
  // Index dims may be symbolic (e.g. one token per sample): they are flattened with -1.
  const flatIdx = b.reshape(b.cast(idx, 'int64'), [-1, 1]); // [K, 1]
  const wrapped = b.where(b.less(flatIdx, b.scalar(0, 'int64')), b.add(flatIdx, b.scalar(V, 'int64')), flatIdx);
  const range = b.constant(
    'int64',
    [1, V],
    Array.from({ length: V }, (_, i) => i),
  );
  const onehot = b.cast(b.equal(wrapped, range), data.dtype); // [K, V]
  const pre = data.shape.slice(0, ax);
  const post = data.shape.slice(ax + 1);
  const q = idx.rank;
  // g: pre + idx.shape + post → pre + post + idx.shape → pre + post + [K]
  const gPerm = [...pre.map((_, i) => i), ...post.map((_, i) => ax + q + i), ...Array.from({ length: q }, (_, i) => ax + i)];
  const gt = b.transpose(g, gPerm);
  const keep = pre.length + post.length;
  const gk = q === 0 ? b.unsqueeze(gt, [keep]) : q === 1 ? gt : b.reshape(gt, [...new Array<number>(keep).fill(0), -1]);
  const scattered = b.matmul(gk.rank === 1 ? b.unsqueeze(gk, [0]) : gk, onehot); // pre + post + [V]
  const s2 = gk.rank === 1 ? b.squeeze(scattered, [0]) : scattered;
  const r = s2.rank;
  const back = [...pre.map((_, i) => i), r - 1, ...post.map((_, i) => pre.length + i)];
  return [b.transpose(s2, back), null];
}

const HALF_SQRT_PI_INV = 2 / Math.sqrt(Math.PI);

/** Gradient rules by op type. */
export const GRAD_RULES: Readonly<Record<string, GradRule>> = {
  Identity: unary((_c, g) => g),
  Add: broadcastBinary((_c, g) => [g, g]),
  Sub: broadcastBinary((c, g) => [g, c.needs[1] ? c.b.neg(g) : null]),
  Mul: broadcastBinary((c, g) => [c.needs[0] ? c.b.mul(g, c.x[1]!) : null, c.needs[1] ? c.b.mul(g, c.x[0]!) : null]),
  Div: broadcastBinary((c, g) => [c.needs[0] ? c.b.div(g, c.x[1]!) : null, c.needs[1] ? c.b.neg(c.b.div(c.b.mul(g, c.y[0]!), c.x[1]!)) : null]),
  Pow: broadcastBinary((c, g) => {
    const { b } = c;
    const [a, e] = c.x as Value[];
    const ga = c.needs[0] ? b.mul(g, b.mul(e!, b.pow(a!, b.sub(e!, 1)))) : null;
    const ge = c.needs[1] ? b.mul(g, b.mul(c.y[0]!, b.log(a!))) : null;
    return [ga, ge];
  }),
  // Ties send the whole gradient to the first operand.
  Max: broadcastBinary((c, g) => {
    const m = c.b.greaterOrEqual(c.x[0]!, c.x[1]!);
    return [c.needs[0] ? c.b.where(m, g, 0) : null, c.needs[1] ? c.b.where(m, 0, g) : null];
  }),
  Min: broadcastBinary((c, g) => {
    const m = c.b.lessOrEqual(c.x[0]!, c.x[1]!);
    return [c.needs[0] ? c.b.where(m, g, 0) : null, c.needs[1] ? c.b.where(m, 0, g) : null];
  }),
  Sum: {
    inputs: 'all',
    grad: (c) => c.x.map((v, i) => (c.needs[i] ? reduceToShape(c.b, c.gy[0]!, v!) : null)),
  },
  Neg: unary((c, g) => c.b.neg(g)),
  Exp: unary((c, g) => c.b.mul(g, c.y[0]!)),
  Log: unary((c, g) => c.b.div(g, c.x[0]!)),
  Abs: unary((c, g) => c.b.mul(g, c.b.sign(c.x[0]!))),
  Sqrt: unary((c, g) => c.b.div(c.b.mul(g, 0.5), c.y[0]!)),
  Erf: unary((c, g) => {
    const x = c.x[0]!;
    return c.b.mul(g, c.b.mul(c.b.exp(c.b.neg(c.b.mul(x, x))), HALF_SQRT_PI_INV));
  }),
  Tanh: unary((c, g) => c.b.mul(g, c.b.sub(1, c.b.mul(c.y[0]!, c.y[0]!)))),
  Sigmoid: unary((c, g) => c.b.mul(g, c.b.mul(c.y[0]!, c.b.sub(1, c.y[0]!)))),
  Relu: unary((c, g) => c.b.where(c.b.greater(c.x[0]!, 0), g, 0)),
  Reciprocal: unary((c, g) => c.b.neg(c.b.mul(g, c.b.mul(c.y[0]!, c.y[0]!)))),
  Sin: unary((c, g) => c.b.mul(g, c.b.cos(c.x[0]!))),
  Cos: unary((c, g) => c.b.neg(c.b.mul(g, c.b.sin(c.x[0]!)))),
  Softplus: unary((c, g) => c.b.mul(g, c.b.sigmoid(c.x[0]!))),
  Cast: {
    inputs: [0],
    grad: (c) => (isFloat(c.x[0]!.dtype) ? [c.b.cast(c.gy[0]!, c.x[0]!.dtype)] : [null]),
  },
  Clip: {
    inputs: [0],
    grad: (c) => {
      const { b } = c;
      const x = c.x[0]!;
      let mask: Value | null = null;
      if (c.x[1]) mask = b.greaterOrEqual(x, c.x[1]);
      if (c.x[2]) {
        const m2 = b.lessOrEqual(x, c.x[2]);
        mask = mask ? b.and(mask, m2) : m2;
      }
      return [mask ? b.where(mask, c.gy[0]!, 0) : c.gy[0]!];
    },
  },
  Where: {
    inputs: [1, 2],
    grad: (c) => {
      const { b } = c;
      const g = c.gy[0]!;
      return [
        null,
        c.needs[1] ? reduceToShape(b, b.where(c.x[0]!, g, 0), c.x[1]!) : null,
        c.needs[2] ? reduceToShape(b, b.where(c.x[0]!, 0, g), c.x[2]!) : null,
      ];
    },
  },
  MatMul: { inputs: [0, 1], grad: matmulGrad },
  Gemm: { inputs: [0, 1, 2], grad: gemmGrad },
  Transpose: {
    inputs: [0],
    grad: (c) => {
      const p = c.node.attributes.perm;
      const perm = p && p.kind === 'ints' ? p.value : c.x[0]!.shape.map((_, i, a) => a.length - 1 - i);
      const inv = new Array<number>(perm.length);
      perm.forEach((pi, i) => (inv[pi] = i));
      return [c.b.transpose(c.gy[0]!, inv)];
    },
  },
  Reshape: { inputs: [0], grad: (c) => [c.b.reshapeLike(c.gy[0]!, c.x[0]!), null] },
  Unsqueeze: { inputs: [0], grad: (c) => [c.b.reshapeLike(c.gy[0]!, c.x[0]!), null] },
  Squeeze: { inputs: [0], grad: (c) => [c.b.reshapeLike(c.gy[0]!, c.x[0]!), null] },
  Expand: { inputs: [0], grad: (c) => [reduceToShape(c.b, c.gy[0]!, c.x[0]!), null] },
  Slice: { inputs: [0], grad: sliceGrad },
  Pad: { inputs: [0], grad: padGrad },
  Concat: { inputs: 'all', grad: concatGrad },
  Split: { inputs: [0], grad: splitGrad },
  Gather: { inputs: [0], grad: gatherGrad },
  ReduceSum: { inputs: [0], grad: (c) => [c.b.expandLike(keepDims(c.b, c.node, c.gy[0]!), c.x[0]!), null] },
  ReduceMean: {
    inputs: [0],
    grad: (c) => {
      const x = c.x[0]!;
      const g = c.b.div(keepDims(c.b, c.node, c.gy[0]!), reducedCount(c.b, x, reduceAxes(c.b, c.node)));
      return [c.b.expandLike(g, x), null];
    },
  },
  ReduceSumSquare: {
    inputs: [0],
    grad: (c) => [c.b.mul(c.b.mul(keepDims(c.b, c.node, c.gy[0]!), 2), c.x[0]!), null],
  },
  ReduceL2: {
    inputs: [0],
    grad: (c) => [c.b.mul(c.b.div(keepDims(c.b, c.node, c.gy[0]!), keepDims(c.b, c.node, c.y[0]!)), c.x[0]!), null],
  },
  // Ties share the gradient equally, as torch.amax/amin do.
  ReduceMax: { inputs: [0], grad: (c) => extremumGrad(c) },
  ReduceMin: { inputs: [0], grad: (c) => extremumGrad(c) },
  Softmax: {
    inputs: [0],
    grad: (c) => {
      const { b } = c;
      const y = c.y[0]!;
      const ax = normalizeAxis(ints(c.node, 'axis', -1), y.rank, 'Softmax');
      const gy = c.gy[0]!;
      return [b.mul(y, b.sub(gy, b.reduceSum(b.mul(gy, y), [ax], true)))];
    },
  },
  LogSoftmax: {
    inputs: [0],
    grad: (c) => {
      const { b } = c;
      const y = c.y[0]!;
      const ax = normalizeAxis(ints(c.node, 'axis', -1), y.rank, 'LogSoftmax');
      const gy = c.gy[0]!;
      return [b.sub(gy, b.mul(b.exp(y), b.reduceSum(gy, [ax], true)))];
    },
  },
  LayerNormalization: { inputs: [0, 1, 2], grad: layerNormGrad },
  BatchNormalization: { inputs: [0, 1, 2], grad: batchNormGrad },
};

function extremumGrad(c: GradContext): (Value | null)[] {
  const { b } = c;
  const x = c.x[0]!;
  const axes = reduceAxes(b, c.node);
  const yk = keepDims(b, c.node, c.y[0]!);
  const mask = b.cast(b.equal(x, yk), x.dtype);
  const count = b.reduceSum(mask, axes, true);
  return [b.mul(mask, b.div(keepDims(b, c.node, c.gy[0]!), count)), null];
}

/** A forward subgraph differentiated as a whole: the gradients of `inputs` from that of the last node's output. */
interface FusedGrad {
  inputs: readonly Value[];
  grad: (g: Value, needs: readonly boolean[]) => readonly (Value | null)[];
}

/** The scalar value of a one-element constant, if `v` is one. */
function scalarOf(b: GraphBuilder, v: Value): number | undefined {
  const d = b.constantData(v);
  return d && d.length === 1 && typeof d[0] === 'number' ? d[0] : undefined;
}

const near = (a: number | undefined, want: number) => a !== undefined && Math.abs(a - want) <= 1e-6 * Math.abs(want);

/**
 * Exact GELU, 0.5·x · (1 + erf(x/√2)) (either operand order, x/√2 as Div or Mul), with
 * every intermediate used only inside the pattern. Its derivative Φ(x) + x·φ(x) is built
 * from the forward's own values in 7 elementwise ops instead of the ~10 that the chain
 * rule through Mul/Add/Erf/Div/Mul takes.
 */
function matchGelu(b: GraphBuilder, n: GraphNode, private1: (v: Value) => boolean): FusedGrad | null {
  if (n.opType !== 'Mul') return null;
  for (const [hi, ti] of [
    [0, 1],
    [1, 0],
  ] as const) {
    const h = n.inputs[hi]!;
    const t = n.inputs[ti]!;
    const hn = b.producerOf(h);
    const tn = b.producerOf(t);
    if (hn?.opType !== 'Mul' || tn?.opType !== 'Add' || !private1(h) || !private1(t)) continue;
    const hx = near(scalarOf(b, hn.inputs[1]!), 0.5) ? hn.inputs[0]! : near(scalarOf(b, hn.inputs[0]!), 0.5) ? hn.inputs[1]! : null;
    if (!hx) continue;
    const en = [tn.inputs[0]!, tn.inputs[1]!].map((v) => ({ v, p: b.producerOf(v) }));
    const erfI = en.findIndex((e) => e.p?.opType === 'Erf');
    if (erfI < 0 || !near(scalarOf(b, en[1 - erfI]!.v), 1) || !private1(en[erfI]!.v)) continue;
    const d = en[erfI]!.p!.inputs[0]!;
    const dn = b.producerOf(d);
    const scaled =
      dn &&
      dn.inputs[0] === hx &&
      ((dn.opType === 'Div' && near(scalarOf(b, dn.inputs[1]!), Math.SQRT2)) || (dn.opType === 'Mul' && near(scalarOf(b, dn.inputs[1]!), Math.SQRT1_2)));
    if (!scaled) continue;
    return {
      inputs: [hx],
      grad: (g) => {
        // x·φ(x) = h·√(2/π)·exp(−d²) with h = x/2 and d = x/√2; Φ(x) = t/2.
        const e = b.exp(b.sub(b.scalar(Math.log(Math.sqrt(2 / Math.PI)), d.dtype), b.mul(d, d)));
        return [b.mul(g, b.add(b.mul(t, 0.5), b.mul(h, e)))];
      },
    };
  }
  return null;
}

/**
 * Softmax gate y = x ⊙ s, s = softmax(z), with s read only by this Mul and of y's shape
 * (x may broadcast). Since s ⊙ (g ⊙ x) = g ⊙ y, the softmax gradient
 * s ⊙ (g⊙x − Σ(g⊙x⊙s)) becomes g⊙y − s ⊙ Σ(g⊙y): the gate's output stands in for g ⊙ x,
 * one elementwise op fewer than the chain rule through Mul and Softmax.
 */
function matchSoftmaxGate(b: GraphBuilder, n: GraphNode, private1: (v: Value) => boolean): FusedGrad | null {
  if (n.opType !== 'Mul') return null;
  const y = n.outputs[0]!;
  for (const si of [1, 0]) {
    const s = n.inputs[si]!;
    const x = n.inputs[1 - si]!;
    const sn = b.producerOf(s);
    if (sn?.opType !== 'Softmax' || s === x || !private1(s) || !dimShapeEq(s, y)) continue;
    const z = sn.inputs[0]!;
    const ax = normalizeAxis(ints(sn, 'axis', -1), s.rank, 'Softmax');
    return {
      inputs: [x, z],
      grad: (g, needs) => {
        const gx = needs[0] ? reduceToShape(b, b.mul(g, s), x) : null;
        let gz: Value | null = null;
        if (needs[1]) {
          const gy = b.mul(g, y);
          gz = b.sub(gy, b.mul(s, b.reduceSum(gy, [ax], true)));
        }
        return [gx, gz];
      },
    };
  }
  return null;
}

/**
 * Appends d loss / d t for every t in `wrt` to the graph and returns them (same order).
 * `loss` must be a float scalar; every `wrt` must influence it through differentiable ops.
 */
export function gradients(b: GraphBuilder, loss: Value, wrt: readonly Value[]): Value[] {
  if (!(loss instanceof Value) || !b.has(loss.name) || b.get(loss.name) !== loss) gfail(`gradients: the loss is not a tensor of graph '${b.name}'.`);
  if (!isFloat(loss.dtype) || loss.rank !== 0)
    gfail(`gradients: the loss must be a float scalar (shape []), got ${loss.toString()}. Reduce it first (e.g. reduceMean).`);
  for (const w of wrt) {
    if (!(w instanceof Value) || !b.has(w.name) || b.get(w.name) !== w)
      gfail(`gradients: unknown tensor ${String(w)} in the list of tensors to differentiate.`);
    if (!isFloat(w.dtype)) gfail(`gradients: ${w.toString()} is not a float tensor and cannot be differentiated.`);
  }
  const nodes = b.nodes;
  const wrtNames = new Set(wrt.map((w) => w.name));
  // Forward: tensors that depend, through float values, on something in wrt.
  const depends = new Set<string>(wrtNames);
  const active: boolean[] = new Array(nodes.length).fill(false);
  nodes.forEach((n, i) => {
    if (!n.inputs.some((inp) => inp && isFloat(inp.dtype) && depends.has(inp.name))) return;
    active[i] = true;
    for (const o of n.outputs) if (isFloat(o.dtype)) depends.add(o.name);
  });
  // Backward: tensors with a float path to the loss (`feedsLoss`) and all tensors the loss reads (`needed`).
  const feedsLoss = new Set<string>([loss.name]);
  const needed = new Set<string>([loss.name]);
  const onPath: boolean[] = new Array(nodes.length).fill(false);
  for (let i = nodes.length - 1; i >= 0; i--) {
    const n = nodes[i]!;
    if (!n.outputs.some((o) => needed.has(o.name))) continue;
    for (const inp of n.inputs) if (inp) needed.add(inp.name);
    if (n.outputs.some((o) => isFloat(o.dtype) && feedsLoss.has(o.name))) {
      for (const inp of n.inputs) if (inp && isFloat(inp.dtype)) feedsLoss.add(inp.name);
    }
    // On a path only through a float output that itself depends on a differentiated tensor
    // (Shape(x) or x > 0 feed the loss, but not differentiably).
    onPath[i] = active[i]! && n.outputs.some((o) => feedsLoss.has(o.name) && depends.has(o.name));
  }
  for (const w of wrt) {
    if (!feedsLoss.has(w.name)) {
      gfail(
        `gradients: the loss ${loss.toString()} does not depend on ${w.toString()} through differentiable (float) ops, so no gradient can be formed. Remove it from the trainable set or connect it to the loss.`,
        { tensor: w.name },
      );
    }
  }
  /** The differentiated tensors that feed `v` (only computed for error messages). */
  const sourcesOf = (vs: readonly Value[]): string => {
    const found = new Set<string>();
    const seen = new Set<string>();
    const stack = [...vs];
    while (stack.length) {
      const v = stack.pop()!;
      if (seen.has(v.name)) continue;
      seen.add(v.name);
      if (wrtNames.has(v.name)) found.add(v.name);
      const p = b.producerOf(v);
      if (p) for (const inp of p.inputs) if (inp && isFloat(inp.dtype) && depends.has(inp.name)) stack.push(inp);
    }
    return [...found].map((s) => `'${s}'`).join(', ');
  };
  // Every node on a path must have a rule covering each input slot the path uses.
  const needsGrad = (v: Value | null) => !!v && isFloat(v.dtype) && depends.has(v.name);
  nodes.forEach((n, i) => {
    if (!onPath[i]) return;
    const rule = GRAD_RULES[n.opType];
    if (!rule) {
      gfail(
        `gradients: op ${n.opType} (node '${n.name}') lies on the path from ${sourcesOf(n.inputs.filter(needsGrad) as Value[])} to the loss but is not differentiable (no gradient rule). Detach that path or use a differentiable op.`,
        { op: n.opType, node: n.name },
      );
    }
    n.inputs.forEach((inp, k) => {
      if (needsGrad(inp) && rule.inputs !== 'all' && !rule.inputs.includes(k)) {
        gfail(
          `gradients: input ${k} ('${inp!.name}') of ${n.opType} (node '${n.name}') is not differentiable, but it depends on ${sourcesOf([inp!])}. Make that input a constant or detach it.`,
          { op: n.opType, node: n.name, input: k },
        );
      }
    });
  });

  const acc = new Map<string, Value[]>();
  const push = (v: Value, g: Value) => {
    const list = acc.get(v.name);
    if (list) list.push(g);
    else acc.set(v.name, [g]);
  };
  const total = (v: Value): Value | null => {
    const list = acc.get(v.name);
    if (!list || list.length === 0) return null;
    if (list.length === 1) return list[0]!;
    const s = b.sum(list);
    acc.set(v.name, [s]);
    return s;
  };
  // Tensors read by exactly one node and not graph outputs: intermediates a fused rule may skip.
  const uses = new Map<string, number>();
  for (const n of nodes) for (const inp of n.inputs) if (inp) uses.set(inp.name, (uses.get(inp.name) ?? 0) + 1);
  for (const o of b.graphOutputs) uses.set(o.value.name, 2);
  const private1 = (v: Value) => uses.get(v.name) === 1;
  push(loss, b.scalar(1, loss.dtype));
  for (let i = nodes.length - 1; i >= 0; i--) {
    if (!onPath[i]) continue;
    const n = nodes[i]!;
    const gy = n.outputs.map((o) => total(o));
    if (gy.every((g) => g === null)) continue;
    // A fusion's last input is the one it exists for (GELU's x, the gate's logits); without
    // a gradient there the plain rules do less work.
    const fused = matchGelu(b, n, private1) ?? matchSoftmaxGate(b, n, private1);
    if (fused && gy[0] && needsGrad(fused.inputs[fused.inputs.length - 1]!)) {
      const fneeds = fused.inputs.map(needsGrad);
      fused.grad(gy[0], fneeds).forEach((g, k) => {
        if (g && fneeds[k]) push(fused.inputs[k]!, g);
      });
      continue;
    }
    const needs = n.inputs.map(needsGrad);
    const rule = GRAD_RULES[n.opType]!;
    // Rules assume every output has a gradient except Split, which fills zeros itself.
    if (n.opType !== 'Split' && gy[0] === null) continue;
    const gx = rule.grad({ b, node: n, x: n.inputs, y: n.outputs, gy, needs });
    n.inputs.forEach((inp, k) => {
      const g = gx[k];
      if (inp && needs[k] && g) {
        if (!dimShapeEq(g, inp))
          gfail(`internal: gradient of ${n.opType} '${n.name}' input ${k} has shape ${formatShape(g.shape)}, expected ${formatShape(inp.shape)}.`);
        push(inp, g.dtype === inp.dtype ? g : b.cast(g, inp.dtype));
      }
    });
  }
  return wrt.map((w) => total(w) ?? b.fillLike(w, 0));
}

function dimShapeEq(a: Value, b: Value): boolean {
  return a.rank === b.rank && a.shape.every((d, i) => dimEq(d, b.shape[i]!));
}
