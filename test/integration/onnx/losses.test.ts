/** Loss values against plain TypeScript definitions, with and without observed-masks. */
import { describe, expect, it } from 'vitest';
import { GraphBuilder, Rng, huberLoss, loss, maeLoss, mseLoss, pinballLoss, type Value } from '../../../src-main/engine/onnx/index.js';
import { runGraph } from './harness.js';

const rng = new Rng(77);
const P = Float64Array.from({ length: 12 }, () => rng.uniform(-2, 2));
const T = Float64Array.from({ length: 12 }, () => rng.uniform(-2, 2));
const M = Float64Array.from({ length: 12 }, (_, i) => (i % 3 === 1 ? 0 : 1));

function maskedMean(l: (i: number) => number, mask: Float64Array | null, n = 12): number {
  let s = 0;
  let c = 0;
  for (let i = 0; i < n; i++) {
    const m = mask ? mask[i]! : 1;
    s += l(i) * m;
    c += m;
  }
  return s / Math.max(c, 1);
}

async function evalLoss(f: (b: GraphBuilder, p: Value, t: Value, m: Value) => Value, pShape = [3, 4], p = P, mask = M): Promise<number> {
  const b = new GraphBuilder();
  const pv = b.input('p', 'float64', pShape);
  const tv = b.input('t', 'float64', [3, 4]);
  const mv = b.input('m', 'float64', [3, 4]);
  b.output(f(b, pv, tv, mv), 'loss');
  const feeds = { p: { data: p, dims: pShape }, t: { data: T, dims: [3, 4] }, m: { data: mask, dims: [3, 4] } };
  // Unused inputs are still declared, so feed all three.
  return Number((await runGraph(b, feeds)).loss!.data[0]);
}

const huber = (d: number, delta: number) => (Math.abs(d) <= delta ? 0.5 * d * d : delta * (Math.abs(d) - 0.5 * delta));
const pin = (y: number, p: number, q: number) => Math.max(q * (y - p), (q - 1) * (y - p));

describe('losses', () => {
  it('mse, unmasked and masked', async () => {
    expect(await evalLoss((b, p, t) => mseLoss(b, p, t))).toBeCloseTo(
      maskedMean((i) => (P[i]! - T[i]!) ** 2, null),
      12,
    );
    expect(await evalLoss((b, p, t, m) => mseLoss(b, p, t, { mask: m }))).toBeCloseTo(
      maskedMean((i) => (P[i]! - T[i]!) ** 2, M),
      12,
    );
  });
  it('mae, masked with a bool mask', async () => {
    const v = await evalLoss((b, p, t, m) => maeLoss(b, p, t, { mask: b.greater(m, 0.5) }));
    expect(v).toBeCloseTo(
      maskedMean((i) => Math.abs(P[i]! - T[i]!), M),
      12,
    );
  });
  it('huber with delta, both branches present', async () => {
    const v = await evalLoss((b, p, t, m) => huberLoss(b, p, t, 0.7, { mask: m }));
    expect(v).toBeCloseTo(
      maskedMean((i) => huber(P[i]! - T[i]!, 0.7), M),
      12,
    );
  });
  it('pinball, one quantile', async () => {
    const v = await evalLoss((b, p, t, m) => pinballLoss(b, p, t, 0.8, { mask: m }));
    expect(v).toBeCloseTo(
      maskedMean((i) => pin(T[i]!, P[i]!, 0.8), M),
      12,
    );
  });
  it('pinball, several quantiles on a trailing axis (mean over observed × quantiles)', async () => {
    const qs = [0.1, 0.5, 0.9];
    const pq = Float64Array.from({ length: 36 }, () => rng.uniform(-2, 2));
    const v = await evalLoss((b, p, t, m) => pinballLoss(b, p, t, qs, { mask: m }), [3, 4, 3], pq);
    let s = 0;
    let c = 0;
    for (let i = 0; i < 12; i++)
      for (let k = 0; k < 3; k++) {
        s += pin(T[i]!, pq[i * 3 + k]!, qs[k]!) * M[i]!;
        c += M[i]!;
      }
    expect(v).toBeCloseTo(s / c, 12);
  });
  it('masked-out targets contribute nothing, even when wildly wrong', async () => {
    const wild = Float64Array.from(P, (x, i) => (M[i] === 0 ? 1e6 : x));
    const a = await evalLoss((b, p, t, m) => mseLoss(b, p, t, { mask: m }), [3, 4], wild);
    const c = await evalLoss((b, p, t, m) => mseLoss(b, p, t, { mask: m }));
    expect(a).toBe(c);
  });
  it('an all-masked batch gives 0, not NaN', async () => {
    const v = await evalLoss((b, p, t, m) => loss(b, { kind: 'huber', delta: 1 }, p, t, { mask: m }), [3, 4], P, new Float64Array(12));
    expect(v).toBe(0);
  });
  it('a mask that broadcasts (per row) counts every covered element', async () => {
    const b = new GraphBuilder();
    const p = b.input('p', 'float64', [3, 4]);
    const t = b.input('t', 'float64', [3, 4]);
    const m = b.input('m', 'float64', [3, 1]);
    b.output(mseLoss(b, p, t, { mask: m }), 'loss');
    const rows = Float64Array.from([1, 0, 1]);
    const r = await runGraph(b, { p: { data: P, dims: [3, 4] }, t: { data: T, dims: [3, 4] }, m: { data: rows, dims: [3, 1] } });
    expect(Number(r.loss!.data[0])).toBeCloseTo(
      maskedMean(
        (i) => (P[i]! - T[i]!) ** 2,
        Float64Array.from({ length: 12 }, (_, i) => rows[Math.floor(i / 4)]!),
      ),
      12,
    );
  });
  it('rejects mismatched prediction and target shapes at build time', () => {
    const b = new GraphBuilder();
    const p = b.input('p', 'float32', [3, 4]);
    const t = b.input('t', 'float32', [3, 5]);
    expect(() => mseLoss(b, p, t)).toThrow(/mse: prediction 'p' float32\[3, 4\] and target 't' float32\[3, 5\]/);
    expect(() => pinballLoss(b, p, b.input('t2', 'float32', [3, 4]), [0.1, 0.9])).toThrow(/trailing axis of 2/);
  });
});
