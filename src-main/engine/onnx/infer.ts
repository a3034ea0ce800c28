/**
 * Static output types of every op the builder accepts, and the statically known contents
 * of small int64 tensors (shapes, axes) flowing through shape arithmetic. Errors are plain
 * Errors; GraphBuilder.op wraps them with the op, node and input shapes.
 */
import { ONNX_DTYPE, isFloat, type DType } from './dtype.js';
import type { GraphNode, Value } from './value.js';
import type { AttributeValue } from './proto.js';
import { broadcastShapes, dimDiv, dimEq, dimMul, dimProduct, formatShape, isStatic, normalizeAxis, normalizeDim, type Dim, type Shape } from './shape.js';

export interface InferredType {
  dtype: DType;
  shape: Dim[];
}

/** Statically known int64 contents of a tensor, if any. */
export type KnownLookup = (v: Value) => readonly Dim[] | undefined;

const UNARY_FLOAT = [
  'Neg',
  'Exp',
  'Log',
  'Abs',
  'Sqrt',
  'Erf',
  'Tanh',
  'Sigmoid',
  'Relu',
  'Reciprocal',
  'Sign',
  'Floor',
  'Ceil',
  'Round',
  'Sin',
  'Cos',
  'Softplus',
];
const BINARY_SAME = ['Add', 'Sub', 'Mul', 'Div', 'Pow', 'Max', 'Min', 'Sum'];
const COMPARE = ['Equal', 'Less', 'Greater', 'LessOrEqual', 'GreaterOrEqual'];
const LOGIC = ['And', 'Or', 'Xor'];
const REDUCE = ['ReduceSum', 'ReduceMean', 'ReduceMax', 'ReduceMin', 'ReduceProd', 'ReduceSumSquare', 'ReduceL2'];

const ONNX_CODE = ONNX_DTYPE;

const INT64_MAX_LIKE = 2 ** 31; // ends at or above this mean "to the end of the axis"

function constInts(known: KnownLookup, v: Value | null, what: string): number[] {
  if (!v) throw new Error(`${what} is required`);
  const k = known(v);
  if (!k) throw new Error(`${what} must be a constant (or a shape computed from constants and Shape), got computed tensor ${v.toString()}`);
  return k.map((d) => {
    if (typeof d !== 'number') throw new Error(`${what} has symbolic entry '${d}' where a number is needed`);
    return d;
  });
}

/** What a shape rule sees of the op being added. */
export interface ShapeContext {
  opType: string;
  ins: readonly (Value | null)[];
  at: Readonly<Record<string, AttributeValue>>;
  nOut: number;
  known: KnownLookup;
  /** Input i, which the op requires. */
  need(i: number): Value;
  intAttr(name: string, dflt: number): number;
}

/** Output dtypes and shapes of one op type from its inputs and attributes; throws what is wrong. */
export type ShapeRule = (ctx: ShapeContext) => InferredType[];

function one(dtype: DType, shape: Dim[]): InferredType[] {
  return [{ dtype, shape }];
}

function sameDtype(vs: readonly Value[]): void {
  for (const v of vs) if (v.dtype !== vs[0]!.dtype) throw new Error(`operand dtypes differ (${vs.map((u) => u.dtype).join(' vs ')})`);
}

function bcast(vs: readonly Value[]): Dim[] {
  let s: Dim[] = [...vs[0]!.shape];
  for (const v of vs.slice(1)) {
    const r = broadcastShapes(s, v.shape);
    if (typeof r === 'string') throw new Error(`shapes ${vs.map((u) => formatShape(u.shape)).join(' and ')} do not broadcast: ${r}`);
    s = r;
  }
  return s;
}

function unaryFloatShape(ctx: ShapeContext): InferredType[] {
  const v = ctx.need(0);
  if (!isFloat(v.dtype) && !['Abs', 'Neg', 'Sign', 'Relu'].includes(ctx.opType)) throw new Error(`needs a float tensor, got ${v.dtype}`);
  return one(v.dtype, [...v.shape]);
}

function identityShape(ctx: ShapeContext): InferredType[] {
  return one(ctx.need(0).dtype, [...ctx.need(0).shape]);
}

function notShape(ctx: ShapeContext): InferredType[] {
  if (ctx.need(0).dtype !== 'bool') throw new Error('needs a bool tensor');
  return one('bool', [...ctx.need(0).shape]);
}

function elementwiseShape(ctx: ShapeContext): InferredType[] {
  const vs = ctx.ins.map((_, i) => ctx.need(i));
  sameDtype(vs);
  return one(vs[0]!.dtype, bcast(vs));
}

function compareShape(ctx: ShapeContext): InferredType[] {
  const vs = [ctx.need(0), ctx.need(1)];
  sameDtype(vs);
  return one('bool', bcast(vs));
}

function logicShape(ctx: ShapeContext): InferredType[] {
  const vs = [ctx.need(0), ctx.need(1)];
  if (vs.some((v) => v.dtype !== 'bool')) throw new Error('needs bool tensors');
  return one('bool', bcast(vs));
}

function reduceShape(ctx: ShapeContext): InferredType[] {
  const v = ctx.need(0);
  const axes = ctx.ins[1] ? constInts(ctx.known, ctx.ins[1], 'axes').map((a) => normalizeAxis(a, v.rank, ctx.opType)) : v.shape.map((_, i) => i);
  const keep = ctx.intAttr('keepdims', 1) === 1;
  const shape: Dim[] = [];
  v.shape.forEach((d, i) => {
    if (!axes.includes(i)) shape.push(d);
    else if (keep) shape.push(1);
  });
  return one(v.dtype, shape);
}

function whereShape(ctx: ShapeContext): InferredType[] {
  const c = ctx.need(0);
  if (c.dtype !== 'bool') throw new Error(`condition must be bool, got ${c.dtype}`);
  sameDtype([ctx.need(1), ctx.need(2)]);
  return one(ctx.need(1).dtype, bcast([c, ctx.need(1), ctx.need(2)]));
}

function clipShape(ctx: ShapeContext): InferredType[] {
  const v = ctx.need(0);
  for (const b of [ctx.ins[1], ctx.ins[2]]) {
    if (b && (b.rank !== 0 || b.dtype !== v.dtype)) throw new Error(`bounds must be ${v.dtype} scalars, got ${b.toString()}`);
  }
  return one(v.dtype, [...v.shape]);
}

function castShape(ctx: ShapeContext): InferredType[] {
  const to = ctx.intAttr('to', -1);
  const d = (Object.keys(ONNX_CODE) as DType[]).find((k) => ONNX_CODE[k] === to);
  if (!d) throw new Error(`unsupported target type code ${to}`);
  return one(d, [...ctx.need(0).shape]);
}

function matMulShape(ctx: ShapeContext): InferredType[] {
  const a = ctx.need(0);
  const b = ctx.need(1);
  sameDtype([a, b]);
  if (a.rank < 1 || b.rank < 1) throw new Error(`operands must have rank >= 1, got ${formatShape(a.shape)} x ${formatShape(b.shape)}`);
  // numpy: a vector operand gets a unit axis (before for a, after for b) that the result drops.
  const as = a.rank === 1 ? [1, a.shape[0]!] : a.shape;
  const bs = b.rank === 1 ? [b.shape[0]!, 1] : b.shape;
  const k1 = as[as.length - 1]!;
  const k2 = bs[bs.length - 2]!;
  if (!dimEq(k1, k2)) throw new Error(`inner dims differ: ${formatShape(a.shape)} x ${formatShape(b.shape)} (${k1} vs ${k2})`);
  const batch = broadcastShapes(as.slice(0, -2), bs.slice(0, -2));
  if (typeof batch === 'string') throw new Error(`batch dims of ${formatShape(a.shape)} x ${formatShape(b.shape)} do not broadcast: ${batch}`);
  return one(a.dtype, [...batch, ...(a.rank === 1 ? [] : [as[as.length - 2]!]), ...(b.rank === 1 ? [] : [bs[bs.length - 1]!])]);
}

function gemmShape(ctx: ShapeContext): InferredType[] {
  const a = ctx.need(0);
  const b = ctx.need(1);
  const c = ctx.ins[2];
  sameDtype(c ? [a, b, c] : [a, b]);
  if (a.rank !== 2 || b.rank !== 2) throw new Error(`A and B must be 2-D, got ${formatShape(a.shape)} x ${formatShape(b.shape)}`);
  const ta = ctx.intAttr('transA', 0) === 1;
  const tb = ctx.intAttr('transB', 0) === 1;
  const [m, k1] = ta ? [a.shape[1]!, a.shape[0]!] : [a.shape[0]!, a.shape[1]!];
  const [k2, n] = tb ? [b.shape[1]!, b.shape[0]!] : [b.shape[0]!, b.shape[1]!];
  if (!dimEq(k1, k2)) throw new Error(`inner dims differ: ${formatShape(a.shape)} x ${formatShape(b.shape)} (${k1} vs ${k2}, transA ${+ta}, transB ${+tb})`);
  // C broadcasts one way only: to [M, N], never the other way round.
  if (c) {
    const r = c.rank <= 2 ? broadcastShapes([m, n], c.shape) : 'rank > 2';
    if (typeof r === 'string' || !r.every((d, i) => dimEq(d, [m, n][i]!)))
      throw new Error(`C ${formatShape(c.shape)} does not broadcast to the output [${String(m)}, ${String(n)}]`);
  }
  return one(a.dtype, [m, n]);
}

function transposeShape(ctx: ShapeContext): InferredType[] {
  const v = ctx.need(0);
  const p = ctx.at.perm?.kind === 'ints' ? ctx.at.perm.value : [];
  const sorted = [...p].sort((m, n) => m - n);
  if (p.length !== v.rank || sorted.some((a, i) => a !== i)) throw new Error(`perm [${p.join(', ')}] is not a permutation of ${v.rank} axes`);
  return one(
    v.dtype,
    p.map((i) => v.shape[i]!),
  );
}

function reshapeShape(ctx: ShapeContext): InferredType[] {
  const v = ctx.need(0);
  const target = ctx.known(ctx.need(1));
  if (!target)
    throw new Error(`the target shape must be known statically (a constant, symbolic dims or Shape-derived), got computed tensor ${ctx.need(1).toString()}`);
  return one(v.dtype, reshapeDims(v.shape, target));
}

function shapeShape(ctx: ShapeContext): InferredType[] {
  const v = ctx.need(0);
  const start = ctx.intAttr('start', 0);
  const end = ctx.at.end ? ctx.intAttr('end', v.rank) : v.rank;
  const s = start < 0 ? start + v.rank : start;
  const e = end < 0 ? end + v.rank : Math.min(end, v.rank);
  return one('int64', [Math.max(0, e - s)]);
}

function constantOfShapeShape(ctx: ShapeContext): InferredType[] {
  const target = ctx.known(ctx.need(0));
  if (!target) throw new Error('the shape must be known statically');
  const val = ctx.at.value;
  const dtype = val && val.kind === 'tensor' ? val.value.dtype : 'float32';
  return one(dtype, [...target]);
}

function expandShape(ctx: ShapeContext): InferredType[] {
  const v = ctx.need(0);
  const target = ctx.known(ctx.need(1));
  if (!target) throw new Error('the target shape must be known statically');
  const r = broadcastShapes(v.shape, target);
  if (typeof r === 'string') throw new Error(`cannot expand ${formatShape(v.shape)} to ${formatShape(target)}: ${r}`);
  return one(v.dtype, r);
}

function sliceShape(ctx: ShapeContext): InferredType[] {
  const v = ctx.need(0);
  const starts = constInts(ctx.known, ctx.ins[1] ?? null, 'starts');
  const ends = constInts(ctx.known, ctx.ins[2] ?? null, 'ends');
  const axes = ctx.ins[3] ? constInts(ctx.known, ctx.ins[3], 'axes').map((a) => normalizeAxis(a, v.rank, 'Slice')) : starts.map((_, i) => i);
  const steps = ctx.ins[4] ? constInts(ctx.known, ctx.ins[4], 'steps') : starts.map(() => 1);
  if (starts.length !== ends.length || axes.length !== starts.length || steps.length !== starts.length)
    throw new Error('starts, ends, axes and steps must have the same length');
  const shape = [...v.shape];
  axes.forEach((ax, i) => {
    shape[ax] = sliceLength(v.shape[ax]!, starts[i]!, ends[i]!, steps[i]!, ax);
  });
  return one(v.dtype, shape);
}

function concatShape(ctx: ShapeContext): InferredType[] {
  const vs = ctx.ins.map((_, i) => ctx.need(i));
  sameDtype(vs);
  const ax = normalizeAxis(ctx.intAttr('axis', 0), vs[0]!.rank, 'Concat');
  let total: Dim = 0;
  for (const v of vs) {
    if (v.rank !== vs[0]!.rank) throw new Error(`ranks differ: ${vs.map((u) => formatShape(u.shape)).join(', ')}`);
    v.shape.forEach((d, i) => {
      if (i !== ax && !dimEq(d, vs[0]!.shape[i]!)) throw new Error(`dims off the concat axis ${ax} differ: ${vs.map((u) => formatShape(u.shape)).join(', ')}`);
    });
    const d = v.shape[ax]!;
    if (typeof total === 'number' && typeof d === 'number') total += d;
    else if (vs.length === 1) total = d;
    else if (d === 0) continue;
    else if (total === 0) total = d;
    else throw new Error(`cannot add symbolic sizes along the concat axis: ${vs.map((u) => formatShape(u.shape)).join(', ')}`);
  }
  const shape = [...vs[0]!.shape];
  shape[ax] = total;
  return one(vs[0]!.dtype, shape);
}

function splitShape(ctx: ShapeContext): InferredType[] {
  const v = ctx.need(0);
  const ax = normalizeAxis(ctx.intAttr('axis', 0), v.rank, 'Split');
  const sizes = constInts(ctx.known, ctx.ins[1] ?? null, 'split sizes');
  if (sizes.length !== ctx.nOut) throw new Error(`${sizes.length} split sizes for ${ctx.nOut} outputs`);
  const d = v.shape[ax]!;
  const total = sizes.reduce((a, b) => a + b, 0);
  if (typeof d !== 'number' || d !== total)
    throw new Error(`split sizes [${sizes.join(', ')}] sum to ${total}, axis ${ax} of ${formatShape(v.shape)} has ${d}`);
  return sizes.map((s) => {
    const shape = [...v.shape];
    shape[ax] = s;
    return { dtype: v.dtype, shape };
  });
}

function padShape(ctx: ShapeContext): InferredType[] {
  const v = ctx.need(0);
  const pads = constInts(ctx.known, ctx.ins[1] ?? null, 'pads');
  const axes = ctx.ins[3] ? constInts(ctx.known, ctx.ins[3], 'axes').map((a) => normalizeAxis(a, v.rank, 'Pad')) : v.shape.map((_, i) => i);
  if (pads.length !== 2 * axes.length) throw new Error(`pads has ${pads.length} entries for ${axes.length} axes`);
  if (ctx.ins[2] && (ctx.ins[2].rank !== 0 || ctx.ins[2].dtype !== v.dtype)) throw new Error('constant_value must be a scalar of the data dtype');
  const shape = [...v.shape];
  axes.forEach((ax, i) => {
    const add = pads[i]! + pads[i + axes.length]!;
    const d = shape[ax]!;
    if (add === 0) return;
    if (typeof d !== 'number') throw new Error(`cannot pad symbolic axis ${ax} ('${d}')`);
    if (d + add < 0) throw new Error(`pads shrink axis ${ax} below zero`);
    shape[ax] = d + add;
  });
  return one(v.dtype, shape);
}

function gatherShape(ctx: ShapeContext): InferredType[] {
  const v = ctx.need(0);
  const idx = ctx.need(1);
  if (idx.dtype !== 'int64' && idx.dtype !== 'int32') throw new Error(`indices must be int64 or int32, got ${idx.dtype}`);
  const ax = normalizeAxis(ctx.intAttr('axis', 0), v.rank, 'Gather');
  const k = ctx.known(idx);
  const d = v.shape[ax]!;
  if (k && typeof d === 'number') {
    for (const i of k) if (typeof i === 'number' && (i >= d || i < -d)) throw new Error(`index ${i} is out of range for axis ${ax} of size ${d}`);
  }
  return one(v.dtype, [...v.shape.slice(0, ax), ...idx.shape, ...v.shape.slice(ax + 1)]);
}

function unsqueezeShape(ctx: ShapeContext): InferredType[] {
  const v = ctx.need(0);
  const outRank = v.rank + constInts(ctx.known, ctx.ins[1] ?? null, 'axes').length;
  const axes = constInts(ctx.known, ctx.ins[1] ?? null, 'axes').map((a) => normalizeAxis(a, outRank, 'Unsqueeze'));
  if (new Set(axes).size !== axes.length) throw new Error('repeated axes');
  const shape: Dim[] = [];
  let j = 0;
  for (let i = 0; i < outRank; i++) shape.push(axes.includes(i) ? 1 : v.shape[j++]!);
  return one(v.dtype, shape);
}

function squeezeShape(ctx: ShapeContext): InferredType[] {
  const v = ctx.need(0);
  const axes = ctx.ins[1]
    ? constInts(ctx.known, ctx.ins[1], 'axes').map((a) => normalizeAxis(a, v.rank, 'Squeeze'))
    : v.shape.flatMap((d, i) => (d === 1 ? [i] : []));
  for (const a of axes) if (v.shape[a] !== 1) throw new Error(`axis ${a} of ${formatShape(v.shape)} is not 1`);
  return one(
    v.dtype,
    v.shape.filter((_, i) => !axes.includes(i)),
  );
}

function softmaxShape(ctx: ShapeContext): InferredType[] {
  const v = ctx.need(0);
  if (!isFloat(v.dtype)) throw new Error('needs a float tensor');
  normalizeAxis(ctx.intAttr('axis', -1), v.rank, ctx.opType);
  return one(v.dtype, [...v.shape]);
}

function layerNormalizationShape(ctx: ShapeContext): InferredType[] {
  const v = ctx.need(0);
  const ax = normalizeAxis(ctx.intAttr('axis', -1), v.rank, 'LayerNormalization');
  const normShape = v.shape.slice(ax);
  for (const p of [ctx.ins[1], ctx.ins[2]]) {
    if (!p) continue;
    if (p.dtype !== v.dtype) throw new Error(`scale/bias dtype ${p.dtype} differs from input ${v.dtype}`);
    const r = broadcastShapes(normShape, p.shape);
    if (typeof r === 'string' || p.rank > normShape.length || !r.every((d, i) => dimEq(d, normShape[i]!))) {
      throw new Error(`scale/bias ${formatShape(p.shape)} must broadcast to the normalised shape ${formatShape(normShape)}`);
    }
  }
  if (!ctx.ins[1]) throw new Error('scale is required');
  if (ctx.nOut < 1 || ctx.nOut > 3) throw new Error(`has 1 to 3 outputs (Y, Mean, InvStdDev), ${ctx.nOut} requested`);
  // Mean and InvStdDev keep the normalised axes as 1 and have the stash type (float32 by default).
  const stash = ctx.intAttr('stash_type', 1);
  const statType = (Object.keys(ONNX_CODE) as DType[]).find((k) => ONNX_CODE[k] === stash);
  if (ctx.nOut > 1 && (!statType || !isFloat(statType))) throw new Error(`stash_type ${stash} is not a float type`);
  const statShape = [...v.shape.slice(0, ax), ...normShape.map(() => 1)];
  return [{ dtype: v.dtype, shape: [...v.shape] }, ...Array.from({ length: ctx.nOut - 1 }, () => ({ dtype: statType!, shape: [...statShape] }))];
}

function batchNormalizationShape(ctx: ShapeContext): InferredType[] {
  const v = ctx.need(0);
  if (v.rank < 2) throw new Error('input must be [N, C, ...]');
  const c = v.shape[1]!;
  for (let i = 1; i <= 4; i++) {
    const p = ctx.need(i);
    if (p.rank !== 1 || !dimEq(p.shape[0]!, c)) throw new Error(`parameter ${i} must have shape [${c}], got ${formatShape(p.shape)}`);
  }
  return one(v.dtype, [...v.shape]);
}

const rulesFor = (ops: readonly string[], rule: ShapeRule): Record<string, ShapeRule> => Object.fromEntries(ops.map((op) => [op, rule]));

/**
 * Shape rules by op type, the forward counterpart of GRAD_RULES (autodiff.ts): an op the
 * builder accepts has a rule here; one without a gradient rule cannot be differentiated.
 */
export const SHAPE_RULES: Readonly<Record<string, ShapeRule>> = {
  ...rulesFor(UNARY_FLOAT, unaryFloatShape),
  Identity: identityShape,
  Not: notShape,
  ...rulesFor(BINARY_SAME, elementwiseShape),
  ...rulesFor(COMPARE, compareShape),
  ...rulesFor(LOGIC, logicShape),
  ...rulesFor(REDUCE, reduceShape),
  Where: whereShape,
  Clip: clipShape,
  Cast: castShape,
  MatMul: matMulShape,
  Gemm: gemmShape,
  Transpose: transposeShape,
  Reshape: reshapeShape,
  Shape: shapeShape,
  ConstantOfShape: constantOfShapeShape,
  Expand: expandShape,
  Slice: sliceShape,
  Concat: concatShape,
  Split: splitShape,
  Pad: padShape,
  Gather: gatherShape,
  Unsqueeze: unsqueezeShape,
  Squeeze: squeezeShape,
  Softmax: softmaxShape,
  LogSoftmax: softmaxShape,
  LayerNormalization: layerNormalizationShape,
  BatchNormalization: batchNormalizationShape,
};

export function inferOutputs(
  opType: string,
  ins: readonly (Value | null)[],
  at: Readonly<Record<string, AttributeValue>>,
  nOut: number,
  known: KnownLookup,
): InferredType[] {
  const rule = Object.prototype.hasOwnProperty.call(SHAPE_RULES, opType) ? SHAPE_RULES[opType] : undefined;
  if (rule === undefined) throw new Error(`op '${opType}' is not supported by the graph builder`);
  return rule({
    opType,
    ins,
    at,
    nOut,
    known,
    need: (i) => {
      const v = ins[i];
      if (!v) throw new Error(`input ${i} is required`);
      return v;
    },
    intAttr: (n, dflt) => {
      const a = at[n];
      return a && a.kind === 'int' ? a.value : dflt;
    },
  });
}

/** Contents of a node's int64 output when they follow statically from its inputs (shape arithmetic). */
export function knownContents(node: GraphNode, known: KnownLookup): Dim[] | undefined {
  const k = (i: number) => (node.inputs[i] ? known(node.inputs[i]!) : undefined);
  const out = node.outputs[0]!;
  switch (node.opType) {
    case 'Shape': {
      const v = node.inputs[0]!;
      const a = node.attributes;
      const start = a.start?.kind === 'int' ? a.start.value : 0;
      const end = a.end?.kind === 'int' ? a.end.value : v.rank;
      return v.shape.slice(start < 0 ? start + v.rank : start, end < 0 ? end + v.rank : end);
    }
    case 'Concat': {
      const parts = node.inputs.map((_, i) => k(i));
      return parts.every((p) => p !== undefined) ? parts.flatMap((p) => [...p!]) : undefined;
    }
    case 'Mul':
    case 'Add': {
      const a = k(0);
      const b = k(1);
      if (!a || !b || out.rank !== 1 || a.length !== b.length) return undefined;
      if (node.opType === 'Mul') return a.map((d, i) => dimMul(d, b[i]!));
      return a.every(isStatic) && b.every(isStatic) ? a.map((d, i) => (d as number) + (b[i] as number)) : undefined;
    }
    case 'Gather': {
      const a = k(0);
      const idx = k(1);
      if (!a || !idx || !idx.every(isStatic)) return undefined;
      return idx.map((i) => a[(i as number) < 0 ? (i as number) + a.length : (i as number)]!);
    }
    case 'Slice': {
      const a = k(0);
      const s = k(1);
      const e = k(2);
      if (!a || !s || !e || s.length !== 1 || node.inputs[4] || !isStatic(s[0]!) || !isStatic(e[0]!)) return undefined;
      const n = a.length;
      const st = Math.min(Math.max((s[0] as number) < 0 ? (s[0] as number) + n : (s[0] as number), 0), n);
      const en = Math.min(Math.max((e[0] as number) < 0 ? (e[0] as number) + n : (e[0] as number), 0), n);
      return a.slice(st, en);
    }
    case 'Unsqueeze':
    case 'Squeeze':
    case 'Identity':
    case 'Cast':
    case 'Reshape': {
      const a = k(0);
      return a && out.rank <= 1 && (out.dtype === 'int64' || out.dtype === 'int32') ? [...a] : undefined;
    }
    default:
      return undefined;
  }
}

function sliceLength(d: Dim, start: number, end: number, step: number, axis: number): Dim {
  if (step === 0) throw new Error('slice step must not be 0');
  if (typeof d !== 'number') {
    if (step === 1 && start === 0 && end >= INT64_MAX_LIKE) return d;
    throw new Error(`cannot slice symbolic axis ${axis} ('${d}') statically; slice a static axis or take the whole axis`);
  }
  let s = start < 0 ? start + d : start;
  let e = end < 0 ? end + d : end;
  if (step > 0) {
    s = Math.min(Math.max(s, 0), d);
    e = Math.min(Math.max(e, 0), d);
    return Math.max(0, Math.ceil((e - s) / step));
  }
  s = Math.min(Math.max(s, -1), d - 1);
  e = Math.min(Math.max(e, -1), d - 1);
  return Math.max(0, Math.ceil((e - s) / step));
}

/** Output dims of Reshape (allowzero = 0): 0 copies the input dim, -1 is inferred. */
export function reshapeDims(input: Shape, target: readonly Dim[]): Dim[] {
  const out: Dim[] = [];
  let inferAt = -1;
  target.forEach((t, i) => {
    if (t === 0) {
      if (i >= input.length) throw new Error(`target ${formatShape(target)} copies dim ${i} (0) but the input ${formatShape(input)} has rank ${input.length}`);
      out.push(input[i]!);
    } else if (t === -1) {
      if (inferAt >= 0) throw new Error(`target ${formatShape(target)} has more than one -1`);
      inferAt = i;
      out.push(-1);
    } else if (typeof t === 'number' && t < -1) throw new Error(`target ${formatShape(target)} has invalid dim ${t}`);
    else out.push(normalizeDim(t));
  });
  const total = dimProduct(input);
  const known = dimProduct(out.filter((_, i) => i !== inferAt));
  if (inferAt >= 0) {
    const d = dimDiv(total, known);
    if (d === undefined)
      throw new Error(`cannot reshape ${formatShape(input)} (${total} elements) to ${formatShape(target)}: ${total} is not a multiple of ${known}`);
    out[inferAt] = d;
  } else if (!dimEq(total, known)) {
    throw new Error(`cannot reshape ${formatShape(input)} (${total} elements) to ${formatShape(target)} (${known} elements)`);
  }
  return out;
}
