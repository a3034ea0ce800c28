import { describe, expect, it } from 'vitest';
import { GraphBuilder, IR_VERSION, OPSET_VERSION } from '../../../src-main/engine/onnx/index.js';
import { encodeTensor } from '../../../src-main/engine/onnx/proto.js';
import { ProtoWriter } from '../../../src-main/engine/util/proto-writer.js';
import { decode, int, str, sub } from './proto-reader.js';

describe('protobuf writer', () => {
  it('encodes varints, including negative int64 as 10 bytes', () => {
    const w = new ProtoWriter();
    w.int(1, 300);
    w.int(2, -1);
    const bytes = w.finish();
    expect(Array.from(bytes.subarray(0, 3))).toEqual([0x08, 0xac, 0x02]);
    expect(bytes.length).toBe(3 + 1 + 10);
    const d = decode(bytes);
    expect(int(d.get(1)![0])).toBe(300n);
    expect(int(d.get(2)![0])).toBe(-1n);
  });

  it('writes tensors with dims, data_type and little-endian raw_data', () => {
    const t = decode(encodeTensor({ name: 'w', dtype: 'float32', dims: [2, 1], data: new Float32Array([1.5, -2]) }).finish());
    expect(t.get(1)!.map(int)).toEqual([2n, 1n]);
    expect(int(t.get(2)![0])).toBe(1n);
    expect(str(t.get(8)![0])).toBe('w');
    const raw = t.get(9)![0]!.value as Uint8Array;
    const dv = new DataView(raw.buffer, raw.byteOffset, raw.byteLength);
    expect([dv.getFloat32(0, true), dv.getFloat32(4, true)]).toEqual([1.5, -2]);
    const i64 = decode(encodeTensor({ name: 'i', dtype: 'int64', dims: [1], data: new BigInt64Array([-3n]) }).finish());
    const r2 = i64.get(9)![0]!.value as Uint8Array;
    expect(new DataView(r2.buffer, r2.byteOffset, 8).getBigInt64(0, true)).toBe(-3n);
    expect(int(i64.get(2)![0])).toBe(7n);
  });

  it('produces a ModelProto with IR version, opset, symbolic input dims and only live nodes', () => {
    const b = new GraphBuilder('g');
    const x = b.input('x', 'float32', ['batch', 4]);
    const y = b.relu(x);
    b.exp(x); // dead: not needed by any output
    b.output(y, 'out');
    const m = decode(b.toModel({ metadata: { purpose: 'test' } }));
    expect(int(m.get(1)![0])).toBe(BigInt(IR_VERSION));
    expect(IR_VERSION).toBeGreaterThanOrEqual(8);
    expect(OPSET_VERSION).toBeGreaterThanOrEqual(17);
    const opset = sub(m.get(8)![0]);
    expect(opset.has(1)).toBe(false); // default domain
    expect(int(opset.get(2)![0])).toBe(BigInt(OPSET_VERSION));
    expect(str(sub(m.get(14)![0]).get(1)![0])).toBe('purpose');
    const g = sub(m.get(7)![0]);
    const nodes = g.get(1)!.map(sub);
    // Exp is dead code and dropped; the output name is given by an Identity (folded away by ORT).
    expect(nodes.map((n) => str(n.get(4)![0]))).toEqual(['Relu', 'Identity']);
    expect(str(nodes[1]!.get(2)![0])).toBe('out');
    const input = sub(g.get(11)![0]);
    expect(str(input.get(1)![0])).toBe('x');
    const tensorType = sub(sub(input.get(2)![0]).get(1)![0]);
    expect(int(tensorType.get(1)![0])).toBe(1n);
    const dims = sub(tensorType.get(2)![0]).get(1)!.map(sub);
    expect(str(dims[0]!.get(2)![0])).toBe('batch');
    expect(int(dims[1]!.get(1)![0])).toBe(4n);
    expect(g.has(5)).toBe(false); // no unused initializers
  });

  it('writes attributes with their types (ints, float, string)', () => {
    const b = new GraphBuilder();
    const x = b.input('x', 'float32', [2, 3]);
    b.output(b.layerNormalization(b.transpose(x, [1, 0]), b.constant('float32', [2], [1, 1]), null, -1, 0.25), 'y');
    const g = sub(decode(b.toModel()).get(7)![0]);
    const nodes = g.get(1)!.map(sub);
    const tr = nodes.find((n) => str(n.get(4)![0]) === 'Transpose')!;
    const perm = sub(tr.get(5)![0]);
    expect(str(perm.get(1)![0])).toBe('perm');
    expect(perm.get(8)!.map(int)).toEqual([1n, 0n]);
    expect(int(perm.get(20)![0])).toBe(7n);
    const ln = nodes.find((n) => str(n.get(4)![0]) === 'LayerNormalization')!;
    const eps = ln
      .get(5)!
      .map(sub)
      .find((a) => str(a.get(1)![0]) === 'epsilon')!;
    expect(eps.get(2)![0]!.value).toBe(0.25);
    expect(g.get(5)!.length).toBe(1); // the scale constant
  });
});
