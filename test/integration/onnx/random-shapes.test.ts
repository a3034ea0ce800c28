/**
 * Property tests over random shapes (fast-check, fixed seed): numpy broadcasting of every
 * binary op, random reduction axes, permutations and batched MatMul broadcasting. Each
 * case checks the forward value against the TypeScript reference and the gradient
 * against finite differences (float64).
 */
import fc from 'fast-check';
import { describe, it } from 'vitest';
import { GraphBuilder, Rng, type Value } from '../../../src-main/engine/onnx/index.js';
import { expectClose, gradCheck, runGraph } from './harness.js';
import * as R from './reference.js';

const RUNS = 6;
const SEED = 20261129;

/** An output shape and an operand shape that broadcasts to it (leading dims dropped, some dims set to 1). */
const broadcastPair = fc.array(fc.integer({ min: 1, max: 3 }), { minLength: 1, maxLength: 3 }).chain((out) =>
  fc
    .tuple(
      fc.integer({ min: 0, max: out.length - 1 }),
      fc.array(fc.boolean(), { minLength: out.length, maxLength: out.length }),
      fc.array(fc.boolean(), { minLength: out.length, maxLength: out.length }),
    )
    .map(([drop, ones1, ones2]) => {
      const a = out.map((d, i) => (ones1[i] ? 1 : d));
      const b = out.slice(drop).map((d, i) => (ones2[i + drop] && !ones1[i + drop] ? 1 : d));
      return [a, b] as const;
    }),
);

async function forwardMatches(
  shapes: readonly (readonly number[])[],
  build: (b: GraphBuilder, xs: Value[]) => Value,
  ref: (xs: R.Nd[]) => R.Nd,
  lo: number,
  hi: number,
  seed: number,
) {
  const rng = new Rng(seed);
  const b = new GraphBuilder();
  const xs = shapes.map((s, i) => b.input(`x${i}`, 'float64', s));
  b.output(build(b, xs), 'y');
  const vals = shapes.map((s) => R.randomNd(rng, s, lo, hi));
  const res = await runGraph(b, Object.fromEntries(vals.map((v, i) => [`x${i}`, { data: v.data, dims: v.shape }])));
  const want = ref(vals);
  expectClose(res.y!.data as Float64Array, want.data, 1e-12, 1e-10, `shapes ${JSON.stringify(shapes)}`);
  if (JSON.stringify(res.y!.dims) !== JSON.stringify(want.shape)) throw new Error(`dims ${JSON.stringify(res.y!.dims)} vs ${JSON.stringify(want.shape)}`);
}

const binaries: { name: string; f: (b: GraphBuilder, x: Value, y: Value) => Value; g: (x: number, y: number) => number; lo: number; hi: number }[] = [
  { name: 'Add', f: (b, x, y) => b.add(x, y), g: (x, y) => x + y, lo: -2, hi: 2 },
  { name: 'Sub', f: (b, x, y) => b.sub(x, y), g: (x, y) => x - y, lo: -2, hi: 2 },
  { name: 'Mul', f: (b, x, y) => b.mul(x, y), g: (x, y) => x * y, lo: -2, hi: 2 },
  { name: 'Div', f: (b, x, y) => b.div(x, y), g: (x, y) => x / y, lo: 0.5, hi: 2 },
  { name: 'Pow', f: (b, x, y) => b.pow(x, y), g: (x, y) => x ** y, lo: 0.5, hi: 2 },
  { name: 'Max', f: (b, x, y) => b.max(x, y), g: Math.max, lo: -2, hi: 2 },
  { name: 'Min', f: (b, x, y) => b.min(x, y), g: Math.min, lo: -2, hi: 2 },
  { name: 'Where(x > y, x, y²)', f: (b, x, y) => b.where(b.greater(x, y), x, b.mul(y, y)), g: (x, y) => (x > y ? x : y * y), lo: -2, hi: 2 },
];

describe('random shapes: broadcasting binary ops', () => {
  for (const op of binaries) {
    it(`${op.name}: forward and gradient on random broadcast shapes`, async () => {
      await fc.assert(
        fc.asyncProperty(broadcastPair, fc.boolean(), fc.integer({ min: 1, max: 1e6 }), async ([a, b], swap, seed) => {
          const shapes = swap ? [b, a] : [a, b];
          await forwardMatches(
            shapes,
            (g, xs) => op.f(g, xs[0]!, xs[1]!),
            (xs) => R.zip(xs, op.g),
            op.lo,
            op.hi,
            seed,
          );
          await gradCheck(
            shapes.map((s) => ({ shape: s, lo: op.lo, hi: op.hi })),
            (g, xs) => op.f(g, xs[0]!, xs[1]!),
            { seed },
          );
        }),
        { numRuns: RUNS, seed: SEED },
      );
    });
  }
});

const shapeArb = fc.array(fc.integer({ min: 1, max: 3 }), { minLength: 1, maxLength: 4 });

describe('random shapes: reductions, permutations, softmax, layer norm, batched MatMul', () => {
  it('ReduceSum/Mean/Max/SumSquare over random axes and keepdims', async () => {
    const kinds = [
      ['ReduceSum', 'sum'],
      ['ReduceMean', 'mean'],
      ['ReduceMax', 'max'],
      ['ReduceSumSquare', 'sumsq'],
    ] as const;
    await fc.assert(
      fc.asyncProperty(
        shapeArb,
        fc.integer({ min: 0, max: 3 }),
        fc.boolean(),
        fc.integer({ min: 1, max: 1e6 }),
        fc.func(fc.boolean()),
        async (shape, k, keep, seed, pick) => {
          const axes = shape.map((_, i) => i).filter((i) => pick(i));
          if (axes.length === 0) axes.push(shape.length - 1);
          const [op, kind] = kinds[k]!;
          await forwardMatches(
            [shape],
            (b, [x]) => b.reduce(op, x!, axes, keep),
            ([x]) => R.reduce(x!, axes, keep, kind),
            -2,
            2,
            seed,
          );
          await gradCheck([{ shape }], (b, [x]) => b.reduce(op, x!, axes, keep), { seed });
        },
      ),
      { numRuns: 10, seed: SEED },
    );
  });

  it('Transpose by a random permutation', async () => {
    await fc.assert(
      fc.asyncProperty(
        shapeArb.chain((s) =>
          fc.tuple(
            fc.constant(s),
            fc.shuffledSubarray(
              s.map((_, i) => i),
              { minLength: s.length, maxLength: s.length },
            ),
          ),
        ),
        fc.integer({ min: 1, max: 1e6 }),
        async ([shape, perm], seed) => {
          await forwardMatches(
            [shape],
            (b, [x]) => b.transpose(x!, perm),
            ([x]) => R.transpose(x!, perm),
            -2,
            2,
            seed,
          );
          await gradCheck([{ shape }], (b, [x]) => b.transpose(x!, perm), { seed });
        },
      ),
      { numRuns: RUNS, seed: SEED },
    );
  });

  it('Softmax and LayerNormalization on a random axis', async () => {
    await fc.assert(
      fc.asyncProperty(shapeArb, fc.nat(), fc.integer({ min: 1, max: 1e6 }), async (shape, a, seed) => {
        const axis = a % shape.length;
        await forwardMatches(
          [shape],
          (b, [x]) => b.softmax(x!, axis),
          ([x]) => R.softmax(x!, axis),
          -3,
          3,
          seed,
        );
        await gradCheck([{ shape }], (b, [x]) => b.softmax(x!, axis), { seed });
        const norm = shape.slice(axis);
        if (norm.reduce((p, d) => p * d, 1) > 1) {
          await gradCheck([{ shape }, { shape: norm }, { shape: norm }], (b, [x, w, c]) => b.layerNormalization(x!, w!, c!, axis, 1e-3), { seed });
        }
      }),
      { numRuns: RUNS, seed: SEED },
    );
  });

  it('MatMul with random broadcast batch dims', async () => {
    await fc.assert(
      fc.asyncProperty(
        broadcastPair,
        fc.array(fc.integer({ min: 1, max: 3 }), { minLength: 3, maxLength: 3 }),
        fc.integer({ min: 1, max: 1e6 }),
        async ([ba, bb], [m, k, n], seed) => {
          const sa = [...ba, m!, k!];
          const sb = [...bb, k!, n!];
          await forwardMatches(
            [sa, sb],
            (b, [x, y]) => b.matmul(x!, y!),
            ([x, y]) => R.matmul(x!, y!),
            -2,
            2,
            seed,
          );
          await gradCheck([{ shape: sa }, { shape: sb }], (b, [x, y]) => b.matmul(x!, y!), { seed });
        },
      ),
      { numRuns: RUNS, seed: SEED },
    );
  });
});
