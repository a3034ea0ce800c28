/** Build-time behaviour of the graph builder: inferred shapes and the errors it raises. */
import { describe, expect, it } from 'vitest';
import { StudioError } from '../../../src-main/engine/errors.js';
import { GraphBuilder, linear, type Value } from '../../../src-main/engine/onnx/index.js';

function graphError(f: () => unknown): StudioError {
  try {
    f();
  } catch (e) {
    expect(e).toBeInstanceOf(StudioError);
    expect((e as StudioError).code).toBe('GRAPH');
    return e as StudioError;
  }
  throw new Error('expected a GRAPH error');
}

describe('shape and dtype inference', () => {
  it('tracks a symbolic batch through a TTM-like block', () => {
    const b = new GraphBuilder();
    const x = b.input('past', 'float32', ['batch', 512, 1]);
    const patches = b.reshape(b.transpose(x, [0, 2, 1]), [0, 0, 8, 64]); // [B, C, N, P]
    expect(patches.shape).toEqual(['batch', 1, 8, 64]);
    const w = b.constant('float32', [192, 64], new Float32Array(192 * 64));
    const h = linear(b, patches, w, b.constant('float32', [192], new Float32Array(192)));
    expect(h.shape).toEqual(['batch', 1, 8, 192]);
    const folded = b.reshape(h, [-1, 8, 192]);
    expect(folded.shape).toEqual(['batch', 8, 192]);
    const adaptive = b.reshape(h, [0, 0, 32, 48]);
    expect(adaptive.shape).toEqual(['batch', 1, 32, 48]);
    const back = b.reshape(b.reshape(h, [-1, 192]), ['batch', 1, 8, 192]);
    expect(back.shape).toEqual(['batch', 1, 8, 192]);
    expect(b.reduceMean(h, [-1], true).shape).toEqual(['batch', 1, 8, 1]);
    expect(b.softmax(h).shape).toEqual(['batch', 1, 8, 192]);
    expect(b.gather(x, [0, 0], 2).shape).toEqual(['batch', 512, 2]);
    expect(b.slice(x, [-96], [2 ** 62], [1]).shape).toEqual(['batch', 96, 1]);
    expect(b.pad(x, [0, 1, 0, 0, 2, 0]).shape).toEqual(['batch', 515, 1]);
    expect(b.concat([x, x], 2).shape).toEqual(['batch', 512, 2]);
    expect(b.unsqueeze(x, [1]).shape).toEqual(['batch', 1, 512, 1]);
    expect(b.squeeze(x, [2]).shape).toEqual(['batch', 512]);
    expect(b.expand(b.constant('float32', [1, 1, 1], [0]), ['batch', 4, 1]).shape).toEqual(['batch', 4, 1]);
    expect(b.where(b.greater(x, 0), x, 0).shape).toEqual(['batch', 512, 1]);
    expect(b.cast(x, 'float64').dtype).toBe('float64');
    expect(b.less(x, 1).dtype).toBe('bool');
    expect(b.split(h, [100, 92], -1).map((v) => v.shape)).toEqual([
      ['batch', 1, 8, 100],
      ['batch', 1, 8, 92],
    ]);
  });

  it('computes a dynamic-batch reshape target from Shape/Gather/Concat', () => {
    const b = new GraphBuilder();
    const x = b.input('x', 'float32', ['batch', 3, 4]);
    const shp = b.concat([b.gather(b.shapeOf(x), [0]), b.ints([12])], 0);
    expect(b.reshape(x, shp).shape).toEqual(['batch', 12]);
    expect(b.reshapeLike(b.reshape(x, [-1]), x).shape).toEqual(['batch', 3, 4]);
  });
});

describe('constants', () => {
  it('converts a typed array of another element type instead of serialising its raw bytes', () => {
    const b = new GraphBuilder();
    const c = b.constant('float32', [2], new Float64Array([1.5, -2]));
    const data = b.constantData(c)!;
    expect(data).toBeInstanceOf(Float32Array);
    expect(Array.from(data as Float32Array)).toEqual([1.5, -2]);
    const same = new Float32Array([3]);
    expect(b.constantData(b.constant('float32', [1], same))).toBe(same); // no copy when the type fits
    expect(() => b.constant('float32', [3], [1, 2])).toThrow(/2 values do not fill shape \[3\]/);
  });

  it('shares unnamed small int64 constants and scalars', () => {
    const b = new GraphBuilder();
    expect(b.ints([0, 2])).toBe(b.ints([0, 2]));
    expect(b.scalar(0.5, 'float32')).toBe(b.scalar(0.5, 'float32'));
    expect(b.scalar(0.5, 'float64')).not.toBe(b.scalar(0.5, 'float32'));
  });
});

describe('build-time errors', () => {
  it('names the op and the shapes on a shape mismatch', () => {
    const b = new GraphBuilder();
    const x = b.input('x', 'float32', ['batch', 3]);
    const w = b.input('w', 'float32', [4, 5]);
    const e = graphError(() => b.matmul(x, w));
    expect(e.message).toMatch(/^MatMul 'MatMul_\d+': inner dims differ: \['batch', 3\] x \[4, 5\]/);
    expect(e.details).toMatchObject({ op: 'MatMul' });
    expect(graphError(() => b.add(x, b.input('y', 'float32', [4]))).message).toMatch(/Add .*shapes \['batch', 3\] and \[4\] do not broadcast/);
    expect(graphError(() => b.concat([x, w], 1)).message).toMatch(/Concat .*ranks differ|Concat .*dims off the concat axis/);
    expect(graphError(() => b.reshape(x, [5, -1])).message).toMatch(/Reshape .*cannot reshape \['batch', 3\]/);
    expect(graphError(() => b.transpose(x, [0, 0])).message).toMatch(/Transpose .*not a permutation/);
    expect(graphError(() => b.add(x, b.input('xd', 'float64', [3]))).message).toMatch(/dtypes differ \(float32 vs float64\)/);
    expect(graphError(() => b.gather(w, [7], 0)).message).toMatch(/index 7 is out of range for axis 0 of size 4/);
    expect(graphError(() => b.split(w, [2, 2], 1)).message).toMatch(/split sizes \[2, 2\] sum to 4, axis 1 of \[4, 5\] has 5/);
    expect(graphError(() => b.squeeze(w, [0])).message).toMatch(/axis 0 of \[4, 5\] is not 1/);
    expect(graphError(() => b.slice(x, [1], [2], [0])).message).toMatch(/cannot slice symbolic axis 0/);
    expect(graphError(() => b.layerNormalization(x, b.input('s', 'float32', [4]), null)).message).toMatch(
      /LayerNormalization .*scale\/bias \[4\] must broadcast to the normalised shape \[3\]/,
    );
    expect(graphError(() => b.op('Conv', [x])).message).toMatch(/op 'Conv' is not supported/);
  });

  it('rejects unknown tensors', () => {
    const b = new GraphBuilder('mine');
    const other = new GraphBuilder('other');
    const foreign = other.input('z', 'float32', [3]);
    const x = b.input('x', 'float32', [3]);
    expect(graphError(() => b.add(x, foreign)).message).toMatch(/unknown tensor 'z' float32\[3\] \(it belongs to another graph/);
    expect(graphError(() => b.get('nope')).message).toMatch(/Unknown tensor 'nope'/);
    expect(graphError(() => b.output(foreign, 'o')).message).toMatch(/unknown tensor/);
    expect(graphError(() => b.input('x', 'float32', [1])).message).toMatch(/'x' is already used/);
    expect(graphError(() => b.toModel()).message).toMatch(/no outputs/);
    expect(graphError(() => b.add(x, null as unknown as Value)).message).toMatch(/expected a tensor/);
  });

  it('composes transposes of transposes and cancels inverse pairs', () => {
    const b = new GraphBuilder();
    const x = b.input('x', 'float32', ['batch', 3, 4]);
    const t = b.transpose(x, [1, 2, 0]);
    expect(b.transpose(t, [2, 0, 1])).toBe(x);
    const t2 = b.transpose(t, [1, 0, 2]); // x.perm [2, 1, 0]
    expect(b.producerOf(t2)!.inputs[0]).toBe(x);
    expect(b.producerOf(t2)!.attributes.perm).toEqual({ kind: 'ints', value: [2, 1, 0] });
    expect(t2.shape).toEqual([4, 3, 'batch']);
    const w = b.input('w', 'float32', [5, 4]);
    expect(b.transposeLast2(b.transpose(w, [1, 0]))).toBe(w);
  });

  it('reshapes like a symbolic shape with a constant target (0 copies, one -1) where it can', () => {
    const b = new GraphBuilder();
    const x = b.input('x', 'float32', ['batch', 3, 'len', 4]);
    const like = b.input('like', 'float32', ['batch', 'len', 12]);
    const target = (v: ReturnType<GraphBuilder['reshapeLike']>) => b.knownInts(b.producerOf(v)!.inputs[1]!);
    const x3 = b.input('x3', 'float32', [2, 'batch', 4]);
    const back = b.reshapeLike(b.reshape(x3, [-1, 4]), x3);
    expect(target(back)).toEqual([2, -1, 4]);
    expect(back.shape).toEqual([2, 'batch', 4]);
    expect(b.constantData(b.producerOf(back)!.inputs[1]!)).toBeDefined();
    const flat = b.reshape(x, [-1, 4]); // ['batch*len*3', 4]
    const kept = b.reshapeLike(x, like);
    expect(target(kept)).toEqual([0, -1, 12]);
    expect(kept.shape).toEqual(['batch', 'len', 12]);
    // Two symbols to infer: the target is assembled from Shape slices of the inputs.
    const before = b.nodes.length;
    expect(b.reshapeLike(flat, like).shape).toEqual(['batch', 'len', 12]);
    expect(b.nodes.slice(before).some((n) => n.opType === 'Shape')).toBe(true);
  });

  it('infers Gemm with transposed operands and a one-way broadcast C', () => {
    const b = new GraphBuilder();
    const x = b.input('x', 'float32', ['batch', 4]);
    const w = b.input('w', 'float32', [3, 4]);
    expect(b.gemm(x, w, b.input('c', 'float32', [3]), { transB: true }).shape).toEqual(['batch', 3]);
    expect(b.gemm(b.input('wt', 'float32', [4, 3]), x, null, { transA: true, transB: true }).shape).toEqual([3, 'batch']);
    expect(b.gemm(w, b.input('v', 'float32', [4, 5]), b.input('c2', 'float32', [3, 1])).shape).toEqual([3, 5]);
    expect(graphError(() => b.gemm(x, w)).message).toMatch(/Gemm .*inner dims differ/);
    expect(graphError(() => b.gemm(x, w, b.input('c3', 'float32', [2, 3]), { transB: true })).message).toMatch(/does not broadcast to the output/);
    expect(graphError(() => b.gemm(b.input('x3', 'float32', [2, 2, 4]), w, null, { transB: true })).message).toMatch(/must be 2-D/);
    const g = b.gemm(x, w, b.input('c4', 'float32', [1]), { transB: true, alpha: 2, beta: 1 });
    expect(b.producerOf(g)!.attributes).toEqual({ transB: { kind: 'int', value: 1 }, alpha: { kind: 'float', value: 2 } });
  });

  it('infers MatMul with vector operands (numpy semantics)', () => {
    const b = new GraphBuilder();
    const v = b.input('v', 'float32', [4]);
    expect(b.matmul(v, b.input('m', 'float32', ['batch', 4, 3])).shape).toEqual(['batch', 3]);
    expect(b.matmul(b.input('a', 'float32', [2, 5, 4]), v).shape).toEqual([2, 5]);
    expect(b.matmul(v, v).shape).toEqual([]);
    expect(graphError(() => b.matmul(v, b.input('u', 'float32', [3, 2]))).message).toMatch(/inner dims differ/);
  });

  it('shares filled vectors, static and symbolic', () => {
    const b = new GraphBuilder();
    const x = b.input('x', 'float32', ['batch', 3]);
    const ones = b.filled(4, 1);
    expect(b.filled(4, 1)).toBe(ones);
    expect(Array.from(b.constantData(ones) as Float32Array)).toEqual([1, 1, 1, 1]);
    const sym = b.filled('batch*2', 1, 'float64');
    expect(sym.shape).toEqual(['batch*2']);
    expect(sym.dtype).toBe('float64');
    expect(b.filled('batch*2', 1, 'float64')).toBe(sym);
    expect(b.producerOf(sym)!.opType).toBe('ConstantOfShape');
    expect(x.shape[0]).toBe('batch');
  });

  it('declares LayerNormalization statistics for float32 only', () => {
    const b = new GraphBuilder();
    const x = b.input('x', 'float32', ['batch', 3, 4]);
    const y = b.layerNormalization(x, b.input('s', 'float32', [3, 4]), null, 1);
    const outs = b.producerOf(y)!.outputs;
    expect(outs.map((o) => [o.dtype, o.shape])).toEqual([
      ['float32', ['batch', 3, 4]],
      ['float32', ['batch', 1, 1]],
      ['float32', ['batch', 1, 1]],
    ]);
    const xd = b.input('xd', 'float64', [2, 4]);
    expect(b.producerOf(b.layerNormalization(xd, b.input('sd', 'float64', [4]), null))!.outputs).toHaveLength(1);
  });

  it('refuses a reshape target it cannot know statically', () => {
    const b = new GraphBuilder();
    const x = b.input('x', 'float32', [4]);
    const computed = b.cast(b.input('s', 'float32', [1]), 'int64');
    expect(graphError(() => b.reshape(x, computed)).message).toMatch(/target shape must be known statically/);
    expect(graphError(() => b.reshape(x, ['nobody', -1])).message).toMatch(/no graph input declares the symbolic dim 'nobody'/);
  });
});
