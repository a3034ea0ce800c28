/** A tiny protobuf reader for tests: decodes a message into field number → raw values. */
export type Field = { wire: 0; value: bigint } | { wire: 2; value: Uint8Array } | { wire: 5; value: number } | { wire: 1; value: number };

export function decode(buf: Uint8Array): Map<number, Field[]> {
  const out = new Map<number, Field[]>();
  let pos = 0;
  const varint = (): bigint => {
    let r = 0n;
    let shift = 0n;
    for (;;) {
      const b = buf[pos++]!;
      r |= BigInt(b & 0x7f) << shift;
      if (b < 0x80) return r;
      shift += 7n;
    }
  };
  while (pos < buf.length) {
    const tag = Number(varint());
    const field = tag >> 3;
    const wire = tag & 7;
    let f: Field;
    if (wire === 0) f = { wire, value: varint() };
    else if (wire === 2) {
      const len = Number(varint());
      f = { wire, value: buf.subarray(pos, pos + len) };
      pos += len;
    } else if (wire === 5) {
      f = { wire, value: new DataView(buf.buffer, buf.byteOffset + pos, 4).getFloat32(0, true) };
      pos += 4;
    } else if (wire === 1) {
      f = { wire, value: new DataView(buf.buffer, buf.byteOffset + pos, 8).getFloat64(0, true) };
      pos += 8;
    } else throw new Error(`wire type ${wire}`);
    const list = out.get(field) ?? [];
    list.push(f);
    out.set(field, list);
  }
  return out;
}

export const str = (f: Field | undefined): string => (f && f.wire === 2 ? new TextDecoder().decode(f.value) : '');
export const int = (f: Field | undefined): bigint => (f && f.wire === 0 ? BigInt.asIntN(64, f.value) : -999n);
export const sub = (f: Field | undefined): Map<number, Field[]> => (f && f.wire === 2 ? decode(f.value) : new Map());
