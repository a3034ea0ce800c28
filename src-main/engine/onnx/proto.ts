/**
 * Just enough protobuf to write an ONNX ModelProto (wire primitives in util/proto-writer.ts).
 * onnx.proto is proto2, so repeated scalars are written unpacked (every parser accepts that),
 * and tensor payloads go in `raw_data` as little-endian bytes. Field numbers follow
 * onnx/onnx.proto (IR version 8+).
 */
import { ProtoWriter } from '../util/proto-writer.js';
import { BYTES_PER_ELEMENT, ONNX_DTYPE, type AnyTypedArray, type DType } from './dtype.js';

const LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

// ---- ONNX message shapes (only the fields we write) ----

export type ProtoDim = number | string | null;

export interface TensorProtoInit {
  name: string;
  dtype: DType;
  dims: readonly number[];
  data: AnyTypedArray;
}

export type AttributeValue =
  | { kind: 'int'; value: number }
  | { kind: 'float'; value: number }
  | { kind: 'string'; value: string }
  | { kind: 'ints'; value: readonly number[] }
  | { kind: 'floats'; value: readonly number[] }
  | { kind: 'strings'; value: readonly string[] }
  | { kind: 'tensor'; value: TensorProtoInit };

export interface NodeProtoInit {
  name: string;
  opType: string;
  domain?: string;
  inputs: readonly string[];
  outputs: readonly string[];
  attributes: Readonly<Record<string, AttributeValue>>;
}

export interface ValueInfoInit {
  name: string;
  dtype: DType;
  shape: readonly ProtoDim[];
}

export interface GraphProtoInit {
  name: string;
  nodes: readonly NodeProtoInit[];
  initializers: readonly TensorProtoInit[];
  inputs: readonly ValueInfoInit[];
  outputs: readonly ValueInfoInit[];
  valueInfo?: readonly ValueInfoInit[];
  docString?: string;
}

export interface ModelProtoInit {
  irVersion: number;
  opsets: readonly { domain: string; version: number }[];
  producerName: string;
  producerVersion: string;
  docString?: string;
  metadata?: Readonly<Record<string, string>>;
  graph: GraphProtoInit;
}

/** Little-endian bytes of a typed array; a view (no copy) on little-endian hosts. */
export function littleEndianBytes(dtype: DType, data: AnyTypedArray): Uint8Array {
  const width = BYTES_PER_ELEMENT[dtype];
  const view = new Uint8Array(data.buffer, data.byteOffset, data.length * width);
  if (LITTLE_ENDIAN || width === 1) return view;
  const out = new Uint8Array(view.length);
  for (let i = 0; i < view.length; i += width) for (let j = 0; j < width; j++) out[i + j] = view[i + width - 1 - j]!;
  return out;
}

export function encodeTensor(t: TensorProtoInit): ProtoWriter {
  const w = new ProtoWriter();
  for (const d of t.dims) w.int(1, d);
  w.int(2, ONNX_DTYPE[t.dtype]);
  w.string(8, t.name);
  w.bytes(9, littleEndianBytes(t.dtype, t.data));
  return w;
}

const ATTR_TYPE = { float: 1, int: 2, string: 3, tensor: 4, floats: 6, ints: 7, strings: 8 } as const;

function encodeAttribute(name: string, a: AttributeValue): ProtoWriter {
  const w = new ProtoWriter();
  w.string(1, name);
  switch (a.kind) {
    case 'float':
      w.float(2, a.value);
      break;
    case 'int':
      w.int(3, a.value);
      break;
    case 'string':
      w.string(4, a.value);
      break;
    case 'tensor':
      w.message(5, encodeTensor(a.value));
      break;
    case 'floats':
      for (const f of a.value) w.float(7, f);
      break;
    case 'ints':
      for (const i of a.value) w.int(8, i);
      break;
    case 'strings':
      for (const s of a.value) w.string(9, s);
      break;
  }
  w.int(20, ATTR_TYPE[a.kind]);
  return w;
}

function encodeNode(n: NodeProtoInit): ProtoWriter {
  const w = new ProtoWriter();
  for (const i of n.inputs) w.string(1, i);
  for (const o of n.outputs) w.string(2, o);
  w.string(3, n.name);
  w.string(4, n.opType);
  for (const [k, v] of Object.entries(n.attributes)) w.message(5, encodeAttribute(k, v));
  if (n.domain) w.string(7, n.domain);
  return w;
}

function encodeValueInfo(v: ValueInfoInit): ProtoWriter {
  const shape = new ProtoWriter();
  for (const d of v.shape) {
    const dim = new ProtoWriter();
    if (typeof d === 'number') dim.int(1, d);
    else if (typeof d === 'string') dim.string(2, d);
    shape.message(1, dim);
  }
  const tensorType = new ProtoWriter();
  tensorType.int(1, ONNX_DTYPE[v.dtype]);
  tensorType.message(2, shape);
  const type = new ProtoWriter();
  type.message(1, tensorType);
  const w = new ProtoWriter();
  w.string(1, v.name);
  w.message(2, type);
  return w;
}

export function encodeGraph(g: GraphProtoInit): ProtoWriter {
  const w = new ProtoWriter();
  for (const n of g.nodes) w.message(1, encodeNode(n));
  w.string(2, g.name);
  for (const t of g.initializers) w.message(5, encodeTensor(t));
  if (g.docString) w.string(10, g.docString);
  for (const i of g.inputs) w.message(11, encodeValueInfo(i));
  for (const o of g.outputs) w.message(12, encodeValueInfo(o));
  for (const v of g.valueInfo ?? []) w.message(13, encodeValueInfo(v));
  return w;
}

export function encodeModel(m: ModelProtoInit): Uint8Array {
  const w = new ProtoWriter();
  w.int(1, m.irVersion);
  w.string(2, m.producerName);
  w.string(3, m.producerVersion);
  if (m.docString) w.string(6, m.docString);
  w.message(7, encodeGraph(m.graph));
  for (const o of m.opsets) {
    const os = new ProtoWriter();
    if (o.domain) os.string(1, o.domain);
    os.int(2, o.version);
    w.message(8, os);
  }
  for (const [k, v] of Object.entries(m.metadata ?? {})) {
    const e = new ProtoWriter();
    e.string(1, k);
    e.string(2, v);
    w.message(14, e);
  }
  // A copy so the caller owns a tight buffer (the writer over-allocates).
  return w.finish().slice();
}
