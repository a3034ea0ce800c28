/**
 * Flat parameter layout. All trainable parameters live in ONE flat buffer (and one per
 * optimizer moment) because onnxruntime charges ~1–1.7 µs per input/output tensor per
 * run: the graph slices and reshapes each parameter out of the buffer instead.
 */
import { StudioError } from '../errors.js';
import type { FloatDType } from './dtype.js';
import type { GraphBuilder, Value } from './builder.js';

export interface ParamSpec {
  /** Unique name, e.g. the HF state_dict key. */
  name: string;
  shape: readonly number[];
  /** Overrides the optimizer's weight decay for this parameter (e.g. 0 for biases). */
  weightDecay?: number;
}

export interface ParamEntry extends ParamSpec {
  offset: number;
  size: number;
}

export class ParameterLayout {
  readonly entries: readonly ParamEntry[];
  readonly total: number;
  private readonly byName = new Map<string, ParamEntry>();

  constructor(specs: readonly ParamSpec[]) {
    let offset = 0;
    const entries: ParamEntry[] = [];
    for (const s of specs) {
      if (this.byName.has(s.name)) throw new StudioError('GRAPH', `Parameter '${s.name}' is declared twice.`);
      if (s.shape.some((d) => !Number.isInteger(d) || d <= 0))
        throw new StudioError('GRAPH', `Parameter '${s.name}' has invalid shape [${s.shape.join(', ')}]: dims must be positive integers.`);
      const size = s.shape.reduce((a, b) => a * b, 1);
      const e: ParamEntry = { ...s, shape: [...s.shape], offset, size };
      entries.push(e);
      this.byName.set(s.name, e);
      offset += size;
    }
    if (entries.length === 0) throw new StudioError('GRAPH', 'A training graph needs at least one trainable parameter.');
    this.entries = entries;
    this.total = offset;
  }

  get(name: string): ParamEntry {
    const e = this.byName.get(name);
    if (!e) throw new StudioError('NOT_FOUND', `No trainable parameter named '${name}'.`);
    return e;
  }

  has(name: string): boolean {
    return this.byName.has(name);
  }

  /** A view (no copy) of one parameter inside a flat buffer. */
  view<T extends Float32Array | Float64Array>(flat: T, name: string): T {
    const e = this.get(name);
    return flat.subarray(e.offset, e.offset + e.size) as T;
  }

  /** Packs named arrays into a new flat buffer (missing names fail). */
  pack(values: Readonly<Record<string, ArrayLike<number>>>, dtype: FloatDType = 'float32'): Float32Array | Float64Array {
    const out = dtype === 'float32' ? new Float32Array(this.total) : new Float64Array(this.total);
    for (const e of this.entries) {
      const v = values[e.name];
      if (!v) throw new StudioError('INVALID_INPUT', `No value given for parameter '${e.name}'.`);
      if (v.length !== e.size) throw new StudioError('INVALID_INPUT', `Parameter '${e.name}' needs ${e.size} values, got ${v.length}.`);
      out.set(v, e.offset);
    }
    return out;
  }

  /** Slices and reshapes every parameter out of the flat graph tensor. */
  unpackInGraph(b: GraphBuilder, flat: Value): Record<string, Value> {
    const out: Record<string, Value> = {};
    for (const e of this.entries) {
      const s = b.slice(flat, [e.offset], [e.offset + e.size], [0]);
      out[e.name] = e.shape.length === 1 ? s : b.reshape(s, e.shape);
    }
    return out;
  }

  /** Every parameter as a graph constant (views into `flat`), for inference/export graphs. */
  asConstants(b: GraphBuilder, flat: Float32Array | Float64Array): Record<string, Value> {
    if (flat.length !== this.total) throw new StudioError('INVALID_INPUT', `Flat parameters have ${flat.length} values, the layout needs ${this.total}.`);
    const dtype: FloatDType = flat instanceof Float32Array ? 'float32' : 'float64';
    const out: Record<string, Value> = {};
    for (const e of this.entries) out[e.name] = b.constant(dtype, e.shape, flat.subarray(e.offset, e.offset + e.size), e.name);
    return out;
  }
}
