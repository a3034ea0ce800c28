/**
 * GraphBuilder: declare inputs (with symbolic dims), constants and ops; every op's output
 * dtype and shape are inferred as it is added, so a mistake fails here, naming the op and
 * the shapes, instead of deep inside onnxruntime. Serialises to an ONNX ModelProto.
 *
 * Opset: the default domain at version 18 (ReduceX take `axes` as an input, Split has
 * `num_outputs`, Pad has `axes`, Shape has `start`/`end`, LayerNormalization exists), IR 8.
 */
import { StudioError } from '../errors.js';
import { ONNX_DTYPE, typedArrayOf, type AnyTypedArray, type DType, type TypedArrayFor } from './dtype.js';
import { inferOutputs, knownContents } from './infer.js';
import { Value, type GraphNode } from './value.js';
import { encodeModel, type AttributeValue, type NodeProtoInit, type ProtoDim, type TensorProtoInit } from './proto.js';
import { dimDiv, dimEq, dimFactors, dimProduct, formatShape, isStaticShape, normalizeDim, type Dim, type Shape } from './shape.js';

export const OPSET_VERSION = 18;
export const IR_VERSION = 8;

export { Value, type GraphNode };

let nextBuilderId = 1;

export type Operand = Value | number;

export interface GemmOptions {
  transA?: boolean;
  transB?: boolean;
  /** Scale of A'·B' (default 1). */
  alpha?: number;
  /** Scale of C (default 1). */
  beta?: number;
}

export interface OpOptions {
  /** Node name prefix (made unique). */
  name?: string;
  /** Number of outputs (for ops with a variable count, e.g. Split). */
  outputs?: number;
  /** Exact names for the outputs (must be unused). */
  outputNames?: readonly string[];
  /**
   * Declares the outputs of an op the inference table does not know (escape hatch for
   * rarely used ONNX ops). Nothing is checked; such ops have no gradient rule unless one
   * is added to GRAD_RULES.
   */
  outputTypes?: readonly { dtype: DType; shape: readonly Dim[] }[];
}

interface Initializer {
  value: Value;
  data: AnyTypedArray;
}

export interface ModelOptions {
  producerName?: string;
  producerVersion?: string;
  docString?: string;
  metadata?: Record<string, string>;
  graphName?: string;
}

/** Attribute helpers so call sites say which ONNX attribute type they mean. */
export const attr = {
  int: (value: number): AttributeValue => ({ kind: 'int', value }),
  float: (value: number): AttributeValue => ({ kind: 'float', value }),
  string: (value: string): AttributeValue => ({ kind: 'string', value }),
  ints: (value: readonly number[]): AttributeValue => ({ kind: 'ints', value }),
  floats: (value: readonly number[]): AttributeValue => ({ kind: 'floats', value }),
};

function fail(msg: string, details?: Record<string, unknown>): never {
  throw new StudioError('GRAPH', msg, details);
}

export class GraphBuilder {
  readonly id = nextBuilderId++;
  readonly opset = OPSET_VERSION;
  private readonly values = new Map<string, Value>();
  private readonly producers = new Map<string, GraphNode>();
  private readonly nodeList: GraphNode[] = [];
  private readonly inputList: Value[] = [];
  private readonly initializers = new Map<string, Initializer>();
  private readonly outputList: { name: string; value: Value }[] = [];
  private readonly scalarCache = new Map<string, Value>();
  /** Statically known contents of small int64 tensors (shapes, axes), possibly symbolic. */
  private readonly known = new Map<string, Dim[]>();
  private readonly symbolSources = new Map<string, { value: Value; axis: number }>();
  private counter = 0;
  private readonly knownLookup = (v: Value): readonly Dim[] | undefined => this.known.get(v.name);

  constructor(readonly name = 'graph') {}

  // ---------------------------------------------------------------- bookkeeping

  get nodes(): readonly GraphNode[] {
    return this.nodeList;
  }
  get graphInputs(): readonly Value[] {
    return this.inputList;
  }
  get graphOutputs(): readonly { name: string; value: Value }[] {
    return this.outputList;
  }
  producerOf(v: Value): GraphNode | undefined {
    return this.producers.get(v.name);
  }
  isInitializer(v: Value): boolean {
    return this.initializers.has(v.name);
  }
  isInput(v: Value): boolean {
    return this.inputList.includes(v);
  }
  /** The data of a constant, or undefined when `v` is computed or an input. */
  constantData(v: Value): AnyTypedArray | undefined {
    return this.initializers.get(v.name)?.data;
  }
  /** Statically known int64 contents (shape tensors, axes) or undefined. */
  knownInts(v: Value): readonly Dim[] | undefined {
    return this.known.get(v.name);
  }
  /** Looks a tensor up by name; fails with a GRAPH error naming it when unknown. */
  get(name: string): Value {
    const v = this.values.get(name);
    if (!v) fail(`Unknown tensor '${name}': it was never declared as an input, constant or op output in graph '${this.name}'.`);
    return v;
  }
  has(name: string): boolean {
    return this.values.has(name);
  }

  private uniqueName(base: string): string {
    let name = base;
    while (this.values.has(name)) name = `${base}_${++this.counter}`;
    return name;
  }

  private check(v: Value | null | undefined, what: string): Value {
    if (!(v instanceof Value)) fail(`${what}: expected a tensor, got ${v === null ? 'null' : typeof v}.`);
    if (v.builderId !== this.id || this.values.get(v.name) !== v) {
      fail(`${what}: unknown tensor ${v.toString()} (it belongs to another graph or was never added to '${this.name}').`);
    }
    return v;
  }

  private register(name: string, dtype: DType, shape: Shape): Value {
    if (this.values.has(name)) fail(`Tensor name '${name}' is already used in graph '${this.name}'.`);
    const v = new Value(this.id, name, dtype, shape.map(normalizeDim));
    this.values.set(name, v);
    return v;
  }

  // ---------------------------------------------------------------- leaves

  /** A graph input. String dims are symbolic (e.g. 'batch') and resolved at run time. */
  input(name: string, dtype: DType, shape: readonly Dim[]): Value {
    let dims: Dim[];
    try {
      dims = shape.map(normalizeDim);
    } catch (e) {
      fail(`Input '${name}': ${(e as Error).message}.`);
    }
    const v = this.register(name, dtype, dims);
    this.inputList.push(v);
    dims.forEach((d, axis) => {
      if (typeof d === 'string' && dimFactors(d).syms.length === 1 && dimFactors(d).coef === 1 && !this.symbolSources.has(d)) {
        this.symbolSources.set(d, { value: v, axis });
      }
    });
    return v;
  }

  /** A constant tensor (serialised as an initializer). `data` is used as is, not copied. */
  constant<D extends DType>(dtype: D, shape: readonly number[], data: TypedArrayFor[D] | ArrayLike<number | bigint>, name?: string): Value {
    const size = shape.reduce((a, b) => a * b, 1);
    // A typed array of the wrong element type would be serialised byte-for-byte as garbage: convert it.
    const arr = (ArrayBuffer.isView(data) && data instanceof ARRAY_CLASS[dtype] ? data : typedArrayOf(dtype, data)) as AnyTypedArray;
    if (arr.length !== size) fail(`Constant '${name ?? '(unnamed)'}': ${arr.length} values do not fill shape ${formatShape(shape)} (${size} elements).`);
    const v = this.register(this.uniqueName(name ?? `const_${this.counter++}`), dtype, shape);
    this.initializers.set(v.name, { value: v, data: arr });
    if ((dtype === 'int64' || dtype === 'int32') && shape.length <= 1 && size <= 64) {
      this.known.set(
        v.name,
        Array.from(arr as ArrayLike<number | bigint>, (x) => Number(x)),
      );
    }
    return v;
  }

  /** A shared scalar constant (deduplicated per dtype and value). */
  scalar(value: number, dtype: DType = 'float32'): Value {
    const key = `${dtype}:${Object.is(value, -0) ? '-0' : String(value)}`;
    const hit = this.scalarCache.get(key);
    if (hit) return hit;
    const v = this.constant(dtype, [], typedArrayOf(dtype, [value]), `scalar_${dtype}_${this.scalarCache.size}`);
    this.scalarCache.set(key, v);
    return v;
  }

  /** A 1-D int64 constant (axes, shapes, pads, indices); unnamed ones are shared. */
  ints(values: readonly number[], name?: string): Value {
    if (name !== undefined) return this.constant('int64', [values.length], typedArrayOf('int64', values), name);
    const key = `ints:${values.join(',')}`;
    const hit = this.scalarCache.get(key);
    if (hit) return hit;
    const v = this.constant('int64', [values.length], typedArrayOf('int64', values), `ints_${this.scalarCache.size}`);
    this.scalarCache.set(key, v);
    return v;
  }

  // ---------------------------------------------------------------- generic op

  /**
   * Adds a node of the default ONNX domain. Output types and shapes come from the
   * inference table below; ops it does not know are refused (so nothing unchecked
   * reaches the runtime) unless `options.outputTypes` declares them explicitly.
   */
  op(opType: string, inputs: readonly (Value | null | undefined)[], attributes: Record<string, AttributeValue> = {}, options: OpOptions = {}): Value[] {
    const nodeName = this.uniqueNodeName(options.name ?? opType);
    const ins = inputs.map((v, i) => (v === null || v === undefined ? null : this.check(v, `${opType} '${nodeName}' input ${i}`)));
    let outTypes: { dtype: DType; shape: Dim[] }[];
    try {
      outTypes = options.outputTypes
        ? options.outputTypes.map((t) => ({ dtype: t.dtype, shape: t.shape.map(normalizeDim) }))
        : inferOutputs(opType, ins, attributes, options.outputs ?? 1, this.knownLookup);
    } catch (e) {
      if (e instanceof StudioError) throw e;
      const shapes = ins.map((v) => (v ? `${v.dtype}${formatShape(v.shape)}` : '∅')).join(', ');
      throw new StudioError('GRAPH', `${opType} '${nodeName}': ${(e as Error).message} (inputs: ${shapes}).`, {
        op: opType,
        node: nodeName,
        inputs: ins.map((v) => (v ? { name: v.name, dtype: v.dtype, shape: [...v.shape] } : null)),
      });
    }
    const names = options.outputNames;
    if (names && names.length !== outTypes.length) fail(`${opType} '${nodeName}': ${names.length} output names for ${outTypes.length} outputs.`);
    const outs = outTypes.map((t, i) =>
      this.register(names ? names[i]! : this.uniqueName(outTypes.length === 1 ? nodeName : `${nodeName}_${i}`), t.dtype, t.shape),
    );
    const node: GraphNode = { name: nodeName, opType, inputs: ins, outputs: outs, attributes };
    this.nodeList.push(node);
    for (const o of outs) this.producers.set(o.name, node);
    const contents = knownContents(node, this.knownLookup);
    if (contents) this.known.set(outs[0]!.name, contents);
    return outs;
  }

  private nodeNames = new Set<string>();
  private uniqueNodeName(base: string): string {
    let n = `${base}_${this.nodeList.length}`;
    while (this.nodeNames.has(n) || this.values.has(n)) n = `${base}_${this.nodeList.length}_${++this.counter}`;
    this.nodeNames.add(n);
    return n;
  }

  private op1(opType: string, inputs: readonly (Value | null | undefined)[], attributes: Record<string, AttributeValue> = {}, name?: string): Value {
    return this.op(opType, inputs, attributes, { name })[0]!;
  }

  /** Turns a number into a scalar constant of the other operand's dtype. */
  private operands(a: Operand, b: Operand, opType: string): [Value, Value] {
    if (typeof a === 'number' && typeof b === 'number') fail(`${opType}: at least one operand must be a tensor.`);
    if (typeof a !== 'number') this.check(a, `${opType} operand 0`);
    if (typeof b !== 'number') this.check(b, `${opType} operand 1`);
    const va = typeof a === 'number' ? this.scalar(a, (b as Value).dtype) : a;
    const vb = typeof b === 'number' ? this.scalar(b, (a as Value).dtype) : b;
    return [va, vb];
  }

  // ---------------------------------------------------------------- elementwise

  add(a: Operand, b: Operand): Value {
    return this.op1('Add', this.operands(a, b, 'Add'));
  }
  sub(a: Operand, b: Operand): Value {
    return this.op1('Sub', this.operands(a, b, 'Sub'));
  }
  mul(a: Operand, b: Operand): Value {
    return this.op1('Mul', this.operands(a, b, 'Mul'));
  }
  div(a: Operand, b: Operand): Value {
    return this.op1('Div', this.operands(a, b, 'Div'));
  }
  pow(a: Operand, b: Operand): Value {
    return this.op1('Pow', this.operands(a, b, 'Pow'));
  }
  max(a: Operand, b: Operand): Value {
    return this.op1('Max', this.operands(a, b, 'Max'));
  }
  min(a: Operand, b: Operand): Value {
    return this.op1('Min', this.operands(a, b, 'Min'));
  }
  /** Elementwise sum of any number of tensors (one node, numpy broadcasting). */
  sum(xs: readonly Value[]): Value {
    if (xs.length === 0) fail('Sum: needs at least one tensor.');
    return xs.length === 1 ? xs[0]! : this.op1('Sum', xs);
  }
  neg(x: Value): Value {
    return this.op1('Neg', [x]);
  }
  exp(x: Value): Value {
    return this.op1('Exp', [x]);
  }
  log(x: Value): Value {
    return this.op1('Log', [x]);
  }
  abs(x: Value): Value {
    return this.op1('Abs', [x]);
  }
  sqrt(x: Value): Value {
    return this.op1('Sqrt', [x]);
  }
  erf(x: Value): Value {
    return this.op1('Erf', [x]);
  }
  tanh(x: Value): Value {
    return this.op1('Tanh', [x]);
  }
  sigmoid(x: Value): Value {
    return this.op1('Sigmoid', [x]);
  }
  relu(x: Value): Value {
    return this.op1('Relu', [x]);
  }
  reciprocal(x: Value): Value {
    return this.op1('Reciprocal', [x]);
  }
  sign(x: Value): Value {
    return this.op1('Sign', [x]);
  }
  sin(x: Value): Value {
    return this.op1('Sin', [x]);
  }
  cos(x: Value): Value {
    return this.op1('Cos', [x]);
  }
  identity(x: Value, name?: string): Value {
    return this.op1('Identity', [x], {}, name);
  }
  /** Clamp to [lo, hi]; either bound may be omitted. */
  clip(x: Value, lo?: Operand, hi?: Operand): Value {
    const l = lo === undefined ? null : typeof lo === 'number' ? this.scalar(lo, x.dtype) : lo;
    const h = hi === undefined ? null : typeof hi === 'number' ? this.scalar(hi, x.dtype) : hi;
    return this.op1('Clip', [x, l, h]);
  }
  where(cond: Value, a: Operand, b: Operand): Value {
    const [va, vb] = this.operands(a, b, 'Where');
    return this.op1('Where', [cond, va, vb]);
  }
  equal(a: Operand, b: Operand): Value {
    return this.op1('Equal', this.operands(a, b, 'Equal'));
  }
  less(a: Operand, b: Operand): Value {
    return this.op1('Less', this.operands(a, b, 'Less'));
  }
  greater(a: Operand, b: Operand): Value {
    return this.op1('Greater', this.operands(a, b, 'Greater'));
  }
  lessOrEqual(a: Operand, b: Operand): Value {
    return this.op1('LessOrEqual', this.operands(a, b, 'LessOrEqual'));
  }
  greaterOrEqual(a: Operand, b: Operand): Value {
    return this.op1('GreaterOrEqual', this.operands(a, b, 'GreaterOrEqual'));
  }
  and(a: Value, b: Value): Value {
    return this.op1('And', [a, b]);
  }
  cast(x: Value, to: DType): Value {
    if (x.dtype === to) return x;
    return this.op1('Cast', [x], { to: attr.int(ONNX_CODE[to]) });
  }

  // ---------------------------------------------------------------- linear algebra

  /** numpy matmul for rank >= 2 operands; leading (batch) dims broadcast. */
  matmul(a: Value, b: Value): Value {
    return this.op1('MatMul', [a, b]);
  }

  /**
   * ONNX Gemm: alpha·A'·B' + beta·C on 2-D A and B, where A' = Aᵀ with transA and B' = Bᵀ
   * with transB; C (optional) broadcasts to the [M, N] output. MLAS reads transposed
   * operands in place, so no Transpose node is needed for a weight in PyTorch layout.
   */
  gemm(a: Value, b: Value, c?: Value | null, options: GemmOptions = {}): Value {
    const attrs: Record<string, AttributeValue> = {};
    if (options.transA) attrs.transA = attr.int(1);
    if (options.transB) attrs.transB = attr.int(1);
    if (options.alpha !== undefined && options.alpha !== 1) attrs.alpha = attr.float(options.alpha);
    if (c && options.beta !== undefined && options.beta !== 1) attrs.beta = attr.float(options.beta);
    return this.op1('Gemm', c ? [a, b, c] : [a, b], attrs);
  }

  // ---------------------------------------------------------------- shape ops

  /**
   * Transpose. A transpose of a transpose is composed into one, and undone entirely when
   * the two cancel (gradients of transposed weights produce such pairs).
   */
  transpose(x: Value, perm?: readonly number[]): Value {
    const p = perm ?? x.shape.map((_, i) => x.rank - 1 - i);
    const prev = this.producers.get(x.name);
    if (prev && prev.opType === 'Transpose' && prev.attributes.perm?.kind === 'ints' && p.length === x.rank) {
      const inner = prev.attributes.perm.value;
      const composed = p.map((i) => inner[i]!);
      if (composed.every((a, i) => a === i)) return prev.inputs[0]!;
      return this.op1('Transpose', [prev.inputs[0]!], { perm: attr.ints(composed) });
    }
    return this.op1('Transpose', [x], { perm: attr.ints(p) });
  }
  /** Swaps the last two axes. */
  transposeLast2(x: Value): Value {
    if (x.rank < 2) fail(`transposeLast2: ${x.toString()} has rank < 2.`);
    const p = x.shape.map((_, i) => i);
    p[x.rank - 2] = x.rank - 1;
    p[x.rank - 1] = x.rank - 2;
    return this.transpose(x, p);
  }
  /**
   * Reshape. `shape` may hold numbers (0 = copy the input dim, -1 = infer), symbolic dims
   * ('batch', 'batch*channels'), which are computed at run time from the graph inputs
   * that carry those symbols, or an int64 shape tensor.
   */
  reshape(x: Value, shape: readonly Dim[] | Value): Value {
    const s = shape instanceof Value ? shape : this.shapeTensor(shape);
    return this.op1('Reshape', [x, s]);
  }
  /**
   * Reshape `x` to the (possibly symbolic) shape of `like`. Symbolic dims that `x` has at
   * the same index are copied (0) and a single other one is inferred (-1), so the target
   * stays a constant; only otherwise is it assembled at run time (Shape slices, or Shape(like)).
   */
  reshapeLike(x: Value, like: Value): Value {
    const t = like.shape;
    if (isStaticShape(t)) return this.reshape(x, t);
    const target = t.map((d, i) => (typeof d === 'number' ? d : i < x.rank && dimEq(x.shape[i]!, d) ? 0 : -1));
    const free = target.indexOf(-1);
    const inferred = free < 0 ? undefined : dimDiv(dimProduct(x.shape), dimProduct(t.filter((_, i) => i !== free)));
    const inferable = free < 0 || (target.indexOf(-1, free + 1) < 0 && inferred !== undefined && dimEq(inferred, t[free]!));
    // A static 0 would read as "copy", and -1 cannot be inferred next to a zero-size dim.
    if (inferable && !t.includes(0)) return this.reshape(x, target);
    if (this.canBuildShape(t)) return this.reshape(x, t);
    return this.reshape(x, this.shapeOf(like));
  }
  /** int64 1-D tensor with the run-time shape of x (or dims [start, end)). */
  shapeOf(x: Value, start?: number, end?: number): Value {
    const attrs: Record<string, AttributeValue> = {};
    if (start !== undefined) attrs.start = attr.int(start);
    if (end !== undefined) attrs.end = attr.int(end);
    return this.op1('Shape', [x], attrs);
  }
  /** Whether every symbol in `dims` has a graph input to read it from. */
  canBuildShape(dims: Shape): boolean {
    return dims.every((d) => typeof d === 'number' || dimFactors(d).syms.every((s) => this.symbolSources.has(s)));
  }
  /**
   * An int64 shape tensor for `dims`: a constant when static, otherwise assembled from
   * Shape slices of the inputs that declare each symbol (known statically, so reshape
   * inference still sees the symbolic dims).
   */
  shapeTensor(dims: readonly Dim[]): Value {
    if (dims.every((d) => typeof d === 'number')) return this.ints(dims as number[]);
    const parts: Value[] = [];
    let pendingStatic: number[] = [];
    const flush = () => {
      if (pendingStatic.length) parts.push(this.ints(pendingStatic));
      pendingStatic = [];
    };
    for (const d of dims) {
      if (typeof d === 'number') {
        pendingStatic.push(d);
        continue;
      }
      flush();
      const { coef, syms } = dimFactors(normalizeDim(d));
      let acc: Value | undefined;
      for (const s of syms) {
        const src = this.symbolSources.get(s);
        if (!src) fail(`Cannot build shape ${formatShape(dims)}: no graph input declares the symbolic dim '${s}'.`);
        const piece = this.shapeOf(src.value, src.axis, src.axis + 1);
        acc = acc ? this.mul(acc, piece) : piece;
      }
      if (coef !== 1) acc = this.mul(acc!, this.ints([coef]));
      parts.push(acc!);
    }
    flush();
    return parts.length === 1 ? parts[0]! : this.concat(parts, 0);
  }
  slice(x: Value, starts: readonly number[], ends: readonly number[], axes?: readonly number[], steps?: readonly number[]): Value {
    const ins: Value[] = [x, this.ints(starts), this.ints(ends)];
    if (axes || steps) ins.push(this.ints(axes ?? starts.map((_, i) => i)));
    if (steps) ins.push(this.ints(steps));
    return this.op1('Slice', ins);
  }
  concat(xs: readonly Value[], axis: number): Value {
    if (xs.length === 0) fail('Concat: needs at least one tensor.');
    return this.op1('Concat', xs, { axis: attr.int(axis) });
  }
  split(x: Value, sizes: readonly number[], axis: number): Value[] {
    return this.op('Split', [x, this.ints(sizes)], { axis: attr.int(axis) }, { outputs: sizes.length });
  }
  /** Constant-mode padding; pads = [begin_0..begin_n, end_0..end_n] over `axes` (default all). */
  pad(x: Value, pads: readonly number[], value = 0, axes?: readonly number[]): Value {
    const ins: (Value | null)[] = [x, this.ints(pads), this.scalar(value, x.dtype)];
    if (axes) ins.push(this.ints(axes));
    return this.op1('Pad', ins, { mode: attr.string('constant') });
  }
  gather(x: Value, indices: Value | readonly number[], axis = 0): Value {
    const idx = indices instanceof Value ? indices : this.ints(indices);
    return this.op1('Gather', [x, idx], { axis: attr.int(axis) });
  }
  unsqueeze(x: Value, axes: readonly number[]): Value {
    return this.op1('Unsqueeze', [x, this.ints(axes)]);
  }
  squeeze(x: Value, axes: readonly number[]): Value {
    return this.op1('Squeeze', [x, this.ints(axes)]);
  }
  /** Broadcast x to `shape` (numpy rules, as ONNX Expand). */
  expand(x: Value, shape: readonly Dim[] | Value): Value {
    const s = shape instanceof Value ? shape : this.shapeTensor(shape);
    return this.op1('Expand', [x, s]);
  }
  /** Broadcast x to the run-time shape of `like`. */
  expandLike(x: Value, like: Value): Value {
    if (isStaticShape(like.shape) || this.canBuildShape(like.shape)) return this.expand(x, like.shape);
    return this.expand(x, this.shapeOf(like));
  }
  /**
   * A 1-D tensor of `length` copies of `value` (shared per length, value and dtype): a
   * constant when `length` is static, otherwise ConstantOfShape of the run-time size.
   */
  filled(length: Dim, value: number, dtype: DType = 'float32'): Value {
    const key = `filled:${dtype}:${String(length)}:${value}`;
    const hit = this.scalarCache.get(key);
    if (hit) return hit;
    const v =
      typeof length === 'number'
        ? this.constant(dtype, [length], typedArrayOf(dtype, new Array<number>(length).fill(value)), `filled_${this.scalarCache.size}`)
        : this.op1('ConstantOfShape', [this.shapeTensor([length])], {
            value: { kind: 'tensor', value: { name: 'value', dtype, dims: [1], data: typedArrayOf(dtype, [value]) } },
          });
    this.scalarCache.set(key, v);
    return v;
  }

  /** A tensor of `value` with the shape of `like`. */
  fillLike(like: Value, value: number, dtype: DType = like.dtype): Value {
    const s = isStaticShape(like.shape) || this.canBuildShape(like.shape) ? this.shapeTensor(like.shape) : this.shapeOf(like);
    return this.op1('ConstantOfShape', [s], { value: { kind: 'tensor', value: { name: 'value', dtype, dims: [1], data: typedArrayOf(dtype, [value]) } } });
  }

  // ---------------------------------------------------------------- reductions & nn ops

  reduce(
    kind: 'ReduceSum' | 'ReduceMean' | 'ReduceMax' | 'ReduceMin' | 'ReduceSumSquare' | 'ReduceL2' | 'ReduceProd',
    x: Value,
    axes?: readonly number[],
    keepdims = false,
  ): Value {
    const ins: Value[] = [x];
    if (axes) ins.push(this.ints(axes));
    return this.op1(kind, ins, { keepdims: attr.int(keepdims ? 1 : 0) });
  }
  reduceSum(x: Value, axes?: readonly number[], keepdims = false): Value {
    return this.reduce('ReduceSum', x, axes, keepdims);
  }
  reduceMean(x: Value, axes?: readonly number[], keepdims = false): Value {
    return this.reduce('ReduceMean', x, axes, keepdims);
  }
  reduceMax(x: Value, axes?: readonly number[], keepdims = false): Value {
    return this.reduce('ReduceMax', x, axes, keepdims);
  }
  reduceMin(x: Value, axes?: readonly number[], keepdims = false): Value {
    return this.reduce('ReduceMin', x, axes, keepdims);
  }
  softmax(x: Value, axis = -1): Value {
    return this.op1('Softmax', [x], { axis: attr.int(axis) });
  }
  logSoftmax(x: Value, axis = -1): Value {
    return this.op1('LogSoftmax', [x], { axis: attr.int(axis) });
  }
  /**
   * ONNX LayerNormalization (opset 17): normalises over axes [axis, rank); returns Y. For
   * float32 the node also declares its Mean and InvStdDev outputs (unused ones cost nothing)
   * so that the gradient reuses the forward's statistics; onnxruntime computes them in
   * float32 only, so float64 nodes leave them out and their gradient recomputes them.
   */
  layerNormalization(x: Value, scale: Value, bias: Value | null, axis = -1, epsilon = 1e-5): Value {
    const outputs = this.check(x, 'LayerNormalization input 0').dtype === 'float32' ? 3 : 1;
    return this.op('LayerNormalization', [x, scale, bias], { axis: attr.int(axis), epsilon: attr.float(epsilon) }, { outputs })[0]!;
  }
  /** ONNX BatchNormalization in inference mode (running statistics as inputs), channel axis 1. */
  batchNormalization(x: Value, scale: Value, bias: Value, mean: Value, variance: Value, epsilon = 1e-5): Value {
    return this.op1('BatchNormalization', [x, scale, bias, mean, variance], { epsilon: attr.float(epsilon) });
  }

  // ---------------------------------------------------------------- outputs & serialisation

  /** Marks `v` as a graph output under `name` (an Identity is added when the names differ). */
  output(v: Value, name: string = v.name): Value {
    this.check(v, `output '${name}'`);
    if (this.outputList.some((o) => o.name === name)) fail(`Output '${name}' is declared twice.`);
    let out = v;
    if (v.name !== name || this.isInput(v) || this.isInitializer(v)) {
      if (this.values.has(name) && v.name !== name) fail(`Output name '${name}' is already used by another tensor.`);
      // An input or constant cannot be an output under its own name: go through an Identity named after it.
      out = this.op('Identity', [v], {}, { outputNames: [v.name === name ? this.uniqueName(`${name}_out`) : name] })[0]!;
      if (out.name !== name) fail(`Output '${name}' names an input or constant; give the output a different name.`);
    }
    this.outputList.push({ name, value: out });
    return out;
  }

  /** Nodes needed for the declared outputs, in order (dead code from helpers is dropped). */
  liveNodes(): GraphNode[] {
    const needed = new Set<string>(this.outputList.map((o) => o.value.name));
    const live: boolean[] = new Array(this.nodeList.length).fill(false);
    for (let i = this.nodeList.length - 1; i >= 0; i--) {
      const n = this.nodeList[i]!;
      if (n.outputs.some((o) => needed.has(o.name))) {
        live[i] = true;
        for (const inp of n.inputs) if (inp) needed.add(inp.name);
      }
    }
    return this.nodeList.filter((_, i) => live[i]);
  }

  /** Serialises the graph (live part only) to ONNX ModelProto bytes. */
  toModel(options: ModelOptions = {}): Uint8Array {
    if (this.outputList.length === 0) fail(`Graph '${this.name}' has no outputs: call output() first.`);
    const nodes = this.liveNodes();
    const used = new Set<string>();
    for (const n of nodes) for (const i of n.inputs) if (i) used.add(i.name);
    const inits: TensorProtoInit[] = [];
    for (const [name, init] of this.initializers) {
      if (!used.has(name)) continue;
      inits.push({ name, dtype: init.value.dtype, dims: init.value.shape as number[], data: init.data });
    }
    const protoDim = (d: Dim): ProtoDim => (typeof d === 'number' ? d : this.symbolSources.has(d) ? d : null);
    const protoNodes: NodeProtoInit[] = nodes.map((n) => ({
      name: n.name,
      opType: n.opType,
      inputs: trimOptional(n.inputs.map((v) => (v ? v.name : ''))),
      outputs: n.outputs.map((o) => o.name),
      attributes: n.attributes,
    }));
    const metadata: Record<string, string> = { ...(options.metadata ?? {}) };
    // Protobuf messages are limited to 2 GiB; ONNX's external-data format is not written here.
    const bytes = inits.reduce((n, t) => n + t.data.byteLength, 0);
    if (bytes >= 2 ** 31 - 2 ** 24)
      fail(
        `Graph '${this.name}' holds ${(bytes / 2 ** 30).toFixed(2)} GiB of constants: an ONNX model file must stay under 2 GiB. Feed large weights as inputs instead.`,
      );
    return encodeModel({
      irVersion: IR_VERSION,
      opsets: [{ domain: '', version: OPSET_VERSION }],
      producerName: options.producerName ?? 'ttm-studio',
      producerVersion: options.producerVersion ?? '0.1.0',
      docString: options.docString,
      metadata,
      graph: {
        name: options.graphName ?? this.name,
        nodes: protoNodes,
        initializers: inits,
        inputs: this.inputList.map((v) => ({ name: v.name, dtype: v.dtype, shape: v.shape.map(protoDim) })),
        outputs: this.outputList.map((o) => ({ name: o.name, dtype: o.value.dtype, shape: o.value.shape.map(protoDim) })),
      },
    });
  }
}

const ONNX_CODE = ONNX_DTYPE;

const ARRAY_CLASS: Readonly<Record<DType, new (n: number) => AnyTypedArray>> = {
  float32: Float32Array,
  float64: Float64Array,
  int64: BigInt64Array,
  int32: Int32Array,
  bool: Uint8Array,
  uint8: Uint8Array,
};

function trimOptional(names: string[]): string[] {
  let n = names.length;
  while (n > 0 && names[n - 1] === '') n--;
  return names.slice(0, n);
}
