/**
 * The protobuf wire format, write side only: enough for ONNX ModelProto (onnx/proto.ts) and
 * TensorBoard Event records (jobs/tensorboard.ts) without a protobuf dependency. Nested
 * messages are encoded into their own writer first and copied in (their sizes are small).
 *
 * Repeated scalars are the caller's business (ONNX is proto2: written unpacked). int64
 * varints use the 10-byte two's-complement form for negatives, as protobuf does.
 */
const WIRE_VARINT = 0;
const WIRE_I64 = 1;
const WIRE_LEN = 2;
const WIRE_I32 = 5;

const textEncoder = new TextEncoder();

/** Growable byte sink with the protobuf field primitives. */
export class ProtoWriter {
  private buf: Uint8Array;
  private len = 0;

  constructor(initialCapacity = 256) {
    this.buf = new Uint8Array(initialCapacity);
  }

  private ensure(extra: number): void {
    if (this.len + extra <= this.buf.length) return;
    let cap = this.buf.length * 2;
    while (cap < this.len + extra) cap *= 2;
    const next = new Uint8Array(cap);
    next.set(this.buf.subarray(0, this.len));
    this.buf = next;
  }

  /** Unsigned varint; a negative value is written as its 64-bit two's complement (10 bytes). */
  varint(v: number | bigint): void {
    let x = BigInt.asUintN(64, BigInt(v));
    this.ensure(10);
    while (x >= 0x80n) {
      this.buf[this.len++] = Number(x & 0x7fn) | 0x80;
      x >>= 7n;
    }
    this.buf[this.len++] = Number(x);
  }

  private tag(field: number, wire: number): void {
    this.varint((field << 3) | wire);
  }

  /** int32/int64/enum/bool field (varint). */
  int(field: number, v: number | bigint): void {
    if (typeof v === 'number' && !Number.isInteger(v)) throw new Error(`protobuf int field ${field}: ${v} is not an integer`);
    this.tag(field, WIRE_VARINT);
    this.varint(v);
  }

  float(field: number, v: number): void {
    this.tag(field, WIRE_I32);
    this.ensure(4);
    new DataView(this.buf.buffer, this.buf.byteOffset + this.len, 4).setFloat32(0, v, true);
    this.len += 4;
  }

  double(field: number, v: number): void {
    this.tag(field, WIRE_I64);
    this.ensure(8);
    new DataView(this.buf.buffer, this.buf.byteOffset + this.len, 8).setFloat64(0, v, true);
    this.len += 8;
  }

  bytes(field: number, data: Uint8Array): void {
    this.tag(field, WIRE_LEN);
    this.varint(data.length);
    this.ensure(data.length);
    this.buf.set(data, this.len);
    this.len += data.length;
  }

  string(field: number, s: string): void {
    this.bytes(field, textEncoder.encode(s));
  }

  message(field: number, m: ProtoWriter): void {
    this.bytes(field, m.finish());
  }

  /** The bytes written so far: a view on the writer's buffer (valid until the next write). */
  finish(): Uint8Array {
    return this.buf.subarray(0, this.len);
  }
}
