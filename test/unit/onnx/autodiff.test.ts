/** Autodiff structure (pruning, accumulation) and its build-time errors; numeric checks are in integration. */
import { describe, expect, it } from 'vitest';
import { StudioError } from '../../../src-main/engine/errors.js';
import { GraphBuilder, buildTrainingGraph, gradients, linear, mseLoss, TRAIN_IO } from '../../../src-main/engine/onnx/index.js';

function graphError(f: () => unknown): string {
  try {
    f();
  } catch (e) {
    expect(e).toBeInstanceOf(StudioError);
    expect((e as StudioError).code).toBe('GRAPH');
    return (e as StudioError).message;
  }
  throw new Error('expected a GRAPH error');
}

describe('autodiff structure', () => {
  it('does no gradient work for frozen (constant) branches', () => {
    const build = (withFrozen: boolean) => {
      const b = new GraphBuilder();
      const x = b.input('x', 'float32', ['batch', 4]);
      const w = b.input('w', 'float32', [3, 4]);
      let y = linear(b, x, w);
      if (withFrozen) {
        const frozen = b.constant('float32', [3, 4], new Float32Array(12).fill(0.5));
        y = b.add(y, b.tanh(linear(b, x, frozen)));
      }
      const loss = b.reduceMean(b.mul(y, y));
      const before = b.nodes.length;
      gradients(b, loss, [w]);
      return b.nodes.slice(before).map((n) => n.opType);
    };
    const plain = build(false);
    const frozen = build(true);
    // The frozen branch adds Add nodes to the forward pass, but no Tanh/MatMul gradient work.
    expect(frozen.filter((o) => o === 'MatMul').length).toBe(plain.filter((o) => o === 'MatMul').length);
    expect(frozen.filter((o) => o === 'Tanh' || o === 'Sub').length).toBe(plain.filter((o) => o === 'Tanh' || o === 'Sub').length);
  });

  it('differentiates a shared subexpression once, accumulating with one Sum', () => {
    const b = new GraphBuilder();
    const w = b.input('w', 'float64', [3]);
    const t = b.tanh(w);
    const loss = b.reduceSum(b.add(b.add(b.mul(t, t), b.exp(t)), t));
    const before = b.nodes.length;
    gradients(b, loss, [w]);
    const added = b.nodes.slice(before);
    const sums = added.filter((n) => n.opType === 'Sum');
    expect(sums.length).toBe(1);
    expect(sums[0]!.inputs.length).toBe(4); // t·t (twice), exp(t), and the direct use
    // Tanh's gradient (1 − y²) is built once.
    expect(added.filter((n) => n.opType === 'Sub').length).toBe(1);
  });

  it('differentiates a 2-D linear layer (Gemm with transB) with Gemms only: no Transpose, bias summed by a ones-vector MatMul', () => {
    const b = new GraphBuilder();
    const x = b.input('x', 'float32', ['batch', 16]);
    const w = b.input('w', 'float32', [32, 16]);
    const c = b.input('c', 'float32', [32]);
    const h = linear(b, b.tanh(x), w, c);
    expect(b.producerOf(h)!.opType).toBe('Gemm');
    const before = b.nodes.length;
    gradients(b, b.reduceSum(b.mul(h, h)), [w, c]);
    const added = b.nodes.slice(before).map((n) => n.opType);
    expect(added).not.toContain('Transpose');
    expect(added.filter((t) => t === 'Gemm')).toHaveLength(1);
    expect(added.filter((t) => t === 'MatMul')).toHaveLength(1);
  });

  it('differentiates a softmax gate from its output when the softmax is private to the gate', () => {
    const build = (shared: boolean) => {
      const b = new GraphBuilder();
      const x = b.input('x', 'float32', ['batch', 4]);
      const z = b.input('z', 'float32', ['batch', 4]);
      const s = b.softmax(z, -1);
      let y = b.mul(x, s);
      if (shared) y = b.add(y, s);
      const before = b.nodes.length;
      gradients(b, b.reduceSum(y), [x, z]);
      return b.nodes.slice(before + 1).map((n) => n.opType);
    };
    const fused = build(false);
    // After the loss's ReduceSum gradient (Unsqueeze, Expand): g⊙s for x; g⊙y − s⊙Σ(g⊙y) for z.
    expect(fused.slice(fused.indexOf('Expand') + 1)).toEqual(['Mul', 'Mul', 'ReduceSum', 'Mul', 'Sub']);
    const chain = build(true);
    expect(chain.filter((t) => t === 'Mul').length).toBeGreaterThan(3);
  });

  it('differentiates Reshape, Squeeze and Unsqueeze over a symbolic batch without Shape ops', () => {
    const shapeOps = (reshaped: boolean) => {
      const b = new GraphBuilder();
      const x = b.input('x', 'float32', ['batch', 3, 4]);
      const t = b.tanh(x);
      const y = reshaped ? b.squeeze(b.unsqueeze(b.reshape(t, [-1, 4]), [0]), [0]) : t;
      const before = b.nodes.length;
      const [g] = gradients(b, b.reduceSum(b.mul(y, y)), [x]);
      expect(g!.shape).toEqual(['batch', 3, 4]);
      return b.nodes.slice(before).filter((n) => ['Shape', 'Concat'].includes(n.opType)).length;
    };
    // Only the loss's ReduceSum gradient (an Expand to the symbolic shape) reads a Shape.
    expect(shapeOps(true)).toBe(shapeOps(false));
  });

  it('differentiates exact GELU in closed form, and by the chain rule when its intermediates are shared', () => {
    const build = (shared: boolean) => {
      const b = new GraphBuilder();
      const x = b.input('x', 'float32', [2, 3]);
      const e = b.erf(b.div(x, Math.SQRT2));
      let y = b.mul(b.mul(x, 0.5), b.add(e, 1));
      if (shared) y = b.add(y, e);
      const before = b.nodes.length;
      gradients(b, b.reduceSum(y), [x]);
      return b.nodes.slice(before + 1).map((n) => n.opType);
    };
    const fused = build(false);
    expect(fused.filter((t) => t === 'Exp')).toHaveLength(1);
    expect(fused).not.toContain('Neg');
    expect(fused).not.toContain('Div');
    // After the loss's ReduceSum gradient (Unsqueeze, Expand): 7 elementwise ops.
    expect(fused.slice(fused.indexOf('Expand') + 1)).toEqual(['Mul', 'Sub', 'Exp', 'Mul', 'Mul', 'Add', 'Mul']);
    expect(build(true)).toContain('Neg');
  });

  it('returns gradients in the order asked, with shapes of the tensors', () => {
    const b = new GraphBuilder();
    const x = b.input('x', 'float32', ['batch', 2]);
    const w = b.input('w', 'float32', [1, 2]);
    const c = b.input('c', 'float32', [1]);
    const [gc, gw] = gradients(b, b.reduceMean(linear(b, x, w, c)), [c, w]);
    expect(gc!.shape).toEqual([1]);
    expect(gw!.shape).toEqual([1, 2]);
  });
});

describe('autodiff errors', () => {
  it('refuses a tensor the loss does not depend on', () => {
    const b = new GraphBuilder();
    const w = b.input('w', 'float32', [3]);
    const unused = b.input('u', 'float32', [3]);
    b.tanh(unused);
    const loss = b.reduceSum(b.mul(w, w));
    expect(graphError(() => gradients(b, loss, [w, unused]))).toMatch(/does not depend on 'u' float32\[3\]/);
  });

  it('refuses a path through a non-differentiable op, naming it', () => {
    const b = new GraphBuilder();
    const w = b.input('w', 'float32', [3]);
    const loss = b.reduceSum(b.op('Floor', [b.mul(w, 3)])[0]!);
    expect(graphError(() => gradients(b, loss, [w]))).toMatch(/op Floor \(node 'Floor_\d+'\) lies on the path from 'w' to the loss but is not differentiable/);
  });

  it('refuses a path that only goes through integer values (e.g. via a Cast to int64)', () => {
    const b = new GraphBuilder();
    const w = b.input('w', 'float32', [3]);
    const loss = b.reduceSum(b.cast(b.cast(w, 'int64'), 'float32'));
    expect(graphError(() => gradients(b, loss, [w]))).toMatch(/does not depend on 'w'.*through differentiable \(float\) ops/);
  });

  it('refuses a path through a non-differentiable input slot', () => {
    const b = new GraphBuilder();
    const x = b.input('x', 'float32', [3]);
    const lo = b.input('lo', 'float32', []);
    const loss = b.reduceSum(b.clip(x, b.mul(lo, 2), 5));
    expect(graphError(() => gradients(b, loss, [lo]))).toMatch(/input 1 .* of Clip .* is not differentiable, but it depends on 'lo'/);
  });

  it('needs a float scalar loss and float tensors', () => {
    const b = new GraphBuilder();
    const w = b.input('w', 'float32', [3]);
    const i = b.input('i', 'int64', [3]);
    expect(graphError(() => gradients(b, b.mul(w, w), [w]))).toMatch(/loss must be a float scalar/);
    expect(graphError(() => gradients(b, b.reduceSum(w), [i]))).toMatch(/'i' int64\[3\] is not a float tensor/);
    const other = new GraphBuilder().input('z', 'float32', [1]);
    expect(graphError(() => gradients(b, b.reduceSum(w), [other]))).toMatch(/unknown tensor/);
  });
});

describe('training graph layout', () => {
  it('feeds all parameters and moments as one flat buffer each, however many tensors', () => {
    const params = Array.from({ length: 40 }, (_, i) => ({ name: `p${i}`, shape: [2, 3] }));
    const g = buildTrainingGraph({
      params,
      optimizer: { beta1Input: true, maxGradNorm: 1 },
      forward: (b, p) => {
        const y = b.input('y', 'float32', [2, 3]);
        return { loss: mseLoss(b, b.sum(Object.values(p)), y) };
      },
    });
    expect(g.layout.total).toBe(240);
    expect(g.builder.graphInputs.map((v) => v.name)).toEqual([TRAIN_IO.params, TRAIN_IO.m, TRAIN_IO.v, TRAIN_IO.lr, TRAIN_IO.step, TRAIN_IO.beta1, 'y']);
    expect(g.builder.graphOutputs.map((o) => o.name)).toEqual([TRAIN_IO.loss, TRAIN_IO.paramsOut, TRAIN_IO.mOut, TRAIN_IO.vOut, TRAIN_IO.gradNorm]);
    expect(g.dataInputs).toEqual(['y']);
    // The optimizer works on the flat buffers: one Sqrt for the update, one for the norm.
    const live = g.builder.liveNodes();
    expect(live.filter((n) => n.opType === 'Sqrt' && n.outputs[0]!.dtype === 'float32').length).toBe(2);
  });

  it('refuses duplicate parameters and reserved output names', () => {
    expect(
      graphError(() =>
        buildTrainingGraph({
          params: [
            { name: 'a', shape: [1] },
            { name: 'a', shape: [1] },
          ],
          forward: (b, p) => ({ loss: b.reduceSum(p.a!) }),
        }),
      ),
    ).toMatch(/declared twice/);
    expect(
      graphError(() => buildTrainingGraph({ params: [{ name: 'a', shape: [2] }], forward: (b, p) => ({ loss: b.reduceSum(p.a!), outputs: { loss: p.a! } }) })),
    ).toMatch(/reserved/);
  });
});
