/**
 * Structural guards for the forward graph's speed (no timings): every Linear is one Gemm on a
 * 2-D operand with the weight read transposed in place (transB) and the bias as C, and exact
 * GELU is written 0.5·x·(1 + erf(x / √2)) with a Div, the only form onnxruntime fuses into
 * Gelu. The FLOP count is the published ~15.6 MFLOP per window and channel for r2 512-96.
 * onnxruntime's optimised graph is read back to check that those fusions hold there: one
 * Gemm per Linear, no MatMul, one Gelu per GELU and one LayerNormalization per norm.
 */
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as ort from 'onnxruntime-node';
import { describe, expect, it } from 'vitest';
import { GraphBuilder, type Value } from '../../../src-main/engine/onnx/index.js';
import { loadCheckpoint } from '../../../src-main/engine/ttm/checkpoint.js';
import { buildTtmForward } from '../../../src-main/engine/ttm/graph/forward.js';
import { ttmParameterSpecs } from '../../../src-main/engine/ttm/parameter-shapes.js';
import { fixturePath } from '../../unit/ttm/fixtures.js';

/** Protobuf fields of buf[start, end): [field number, byte range of a length-delimited value]. */
function* fields(buf: Uint8Array, start = 0, end = buf.length): Generator<[number, [number, number] | null]> {
  let i = start;
  const varint = () => {
    let v = 0;
    let scale = 1;
    let c: number;
    do {
      c = buf[i++]!;
      v += (c & 0x7f) * scale;
      scale *= 128;
    } while (c & 0x80);
    return v;
  };
  while (i < end) {
    const key = varint();
    const wire = key % 8;
    if (wire === 0) {
      varint();
      yield [Math.floor(key / 8), null];
    } else if (wire === 2) {
      const len = varint();
      yield [Math.floor(key / 8), [i, i + len]];
      i += len;
    } else if (wire === 5 || wire === 1) {
      i += wire === 5 ? 4 : 8;
      yield [Math.floor(key / 8), null];
    } else throw new Error(`wire type ${wire}`);
  }
}

/** Op types of the nodes of a serialised ModelProto's main graph (ModelProto.graph = 7, GraphProto.node = 1, NodeProto.op_type = 4). */
function opTypes(model: Uint8Array): string[] {
  const out: string[] = [];
  for (const [f, g] of fields(model)) {
    if (f !== 7 || !g) continue;
    for (const [fn, n] of fields(model, g[0], g[1])) {
      if (fn !== 1 || !n) continue;
      for (const [fo, o] of fields(model, n[0], n[1])) if (fo === 4 && o) out.push(Buffer.from(model.subarray(o[0], o[1])).toString());
    }
  }
  return out;
}

const count = (ops: readonly string[], t: string) => ops.filter((o) => o === t).length;

describe('TTM forward graph structure', () => {
  it('r2 512-96: every Linear is one 2-D Gemm with a constant transposed weight and bias, GELU uses Div, 15.6 MFLOP per window; onnxruntime keeps the fusions', async () => {
    const { config, weights } = await loadCheckpoint(fixturePath('r2_512_96', ''));
    const batch = 8;
    const b = new GraphBuilder('t');
    const past = b.input('past_values', 'float32', [batch, 512, 1]);
    const params: Record<string, Value> = {};
    for (const s of ttmParameterSpecs(config)) params[s.name] = b.constant('float32', s.shape, weights.get(s.name)!.data, s.name);
    b.output(buildTtmForward(b, config, params, { pastValues: past }).predictionOutputs, 'y');
    const nodes = b.liveNodes();
    expect(nodes.filter((n) => n.opType === 'MatMul')).toEqual([]);
    const gemms = nodes.filter((n) => n.opType === 'Gemm');
    expect(gemms.length).toBeGreaterThan(40);
    let flops = 0;
    for (const n of gemms) {
      const [a, w, c] = n.inputs;
      expect(a!.rank, `${n.name} input ${a!.toString()}`).toBe(2);
      expect(n.attributes.transA, n.name).toBeUndefined();
      expect(n.attributes.transB, n.name).toEqual({ kind: 'int', value: 1 });
      expect(b.constantData(w!), `${n.name} weight`).toBeDefined();
      expect(c && b.constantData(c), `${n.name} bias`).toBeDefined();
      const [M, K] = a!.shape as number[];
      const N = w!.shape[0] as number;
      flops += 2 * M * K * N;
    }
    expect(flops / batch / 1e6).toBeCloseTo(15.6, 1);
    const erfs = nodes.filter((n) => n.opType === 'Erf');
    expect(erfs.length).toBeGreaterThan(0);
    const producers = new Map(nodes.flatMap((n) => n.outputs.map((o) => [o.name, n.opType] as const)));
    for (const e of erfs) expect(producers.get(e.inputs[0]!.name)).toBe('Div');
    const norms = nodes.filter((n) => n.opType === 'LayerNormalization').length;
    expect(norms).toBeGreaterThan(0);

    const dir = await mkdtemp(join(tmpdir(), 'ttm-opt-'));
    try {
      const path = join(dir, 'opt.onnx');
      const s = await ort.InferenceSession.create(b.toModel(), { graphOptimizationLevel: 'all', optimizedModelFilePath: path, logSeverityLevel: 3 });
      await s.release();
      const ops = opTypes(await readFile(path));
      expect(count(ops, 'Gemm')).toBe(gemms.length);
      expect(count(ops, 'MatMul') + count(ops, 'FusedMatMul')).toBe(0);
      expect(count(ops, 'Gelu')).toBe(erfs.length);
      expect(count(ops, 'Erf')).toBe(0);
      expect(count(ops, 'LayerNormalization')).toBe(norms);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
