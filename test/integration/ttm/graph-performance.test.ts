/**
 * Structural guards for the forward graph's speed (no timings): onnxruntime fuses a MatMul with
 * its bias into one Gemm only when the MatMul is 2-D, and fuses exact GELU only in the
 * 0.5·x·(1 + erf(x / √2)) form with a Div. The FLOP count is the published ~15.6 MFLOP per
 * window and channel for r2 512-96.
 */
import { describe, expect, it } from 'vitest';
import { GraphBuilder, type Value } from '../../../src-main/engine/onnx/index.js';
import { loadCheckpoint } from '../../../src-main/engine/ttm/checkpoint.js';
import { buildTtmForward } from '../../../src-main/engine/ttm/graph/forward.js';
import { ttmParameterSpecs } from '../../../src-main/engine/ttm/parameter-shapes.js';
import { fixturePath } from '../../unit/ttm/fixtures.js';

describe('TTM forward graph structure', () => {
  it('r2 512-96: every MatMul is 2-D with a constant right operand, GELU uses Div, 15.6 MFLOP per window', async () => {
    const { config, weights } = await loadCheckpoint(fixturePath('r2_512_96', ''));
    const batch = 8;
    const b = new GraphBuilder('t');
    const past = b.input('past_values', 'float32', [batch, 512, 1]);
    const params: Record<string, Value> = {};
    for (const s of ttmParameterSpecs(config)) params[s.name] = b.constant('float32', s.shape, weights.get(s.name)!.data, s.name);
    b.output(buildTtmForward(b, config, params, { pastValues: past }).predictionOutputs, 'y');
    const nodes = b.liveNodes();
    const matmuls = nodes.filter((n) => n.opType === 'MatMul');
    expect(matmuls.length).toBeGreaterThan(40);
    let flops = 0;
    for (const n of matmuls) {
      const [a] = n.inputs;
      expect(a!.rank, `${n.name} input ${a!.toString()}`).toBe(2);
      const [M, K] = a!.shape as number[];
      const N = n.outputs[0]!.shape[1] as number;
      flops += 2 * M * K * N;
    }
    expect(flops / batch / 1e6).toBeCloseTo(15.6, 1);
    // Each Linear's bias Add follows its MatMul directly (the Gemm fusion's pattern).
    const consumers = new Map<string, string[]>();
    for (const n of nodes) for (const i of n.inputs) if (i) consumers.set(i.name, [...(consumers.get(i.name) ?? []), n.opType]);
    for (const n of matmuls) expect(consumers.get(n.outputs[0]!.name)).toEqual(['Add']);
    const erfs = nodes.filter((n) => n.opType === 'Erf');
    expect(erfs.length).toBeGreaterThan(0);
    const producers = new Map(nodes.flatMap((n) => n.outputs.map((o) => [o.name, n.opType] as const)));
    for (const e of erfs) expect(producers.get(e.inputs[0]!.name)).toBe('Div');
  });
});
