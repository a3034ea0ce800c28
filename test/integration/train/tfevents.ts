/**
 * A minimal reader for TensorBoard event files (scalars only), to check what the training
 * loop wrote: records are u64 length · u32 crc · Event · u32 crc; Event field 2 = step
 * (varint), 5 = Summary; Summary field 1 = Value; Value 1 = tag, 2 = simple_value (float).
 */
export interface Scalar {
  tag: string;
  step: number;
  value: number;
}

function varint(b: Uint8Array, pos: number): [number, number] {
  let v = 0;
  let mul = 1;
  for (;;) {
    const byte = b[pos++]!;
    v += (byte & 0x7f) * mul;
    if ((byte & 0x80) === 0) return [v, pos];
    mul *= 128;
  }
}

/** Calls fn(field, wireType, payloadStart, payloadEnd | varintValue) for each field of a message. */
function walk(b: Uint8Array, fn: (field: number, wire: number, a: number, z: number) => void): void {
  let p = 0;
  while (p < b.length) {
    const [key, q] = varint(b, p);
    const field = Math.floor(key / 8);
    const wire = key % 8;
    if (wire === 0) {
      const [v, r] = varint(b, q);
      fn(field, wire, v, v);
      p = r;
    } else if (wire === 1) {
      fn(field, wire, q, q + 8);
      p = q + 8;
    } else if (wire === 2) {
      const [len, r] = varint(b, q);
      fn(field, wire, r, r + len);
      p = r + len;
    } else if (wire === 5) {
      fn(field, wire, q, q + 4);
      p = q + 4;
    } else throw new Error(`unexpected wire type ${wire}`);
  }
}

export function readScalars(bytes: Uint8Array): Scalar[] {
  const out: Scalar[] = [];
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let p = 0;
  while (p + 12 <= bytes.length) {
    const len = Number(dv.getBigUint64(p, true));
    const event = bytes.subarray(p + 12, p + 12 + len);
    p += 12 + len + 4;
    let step = 0;
    const values: { tag: string; value: number }[] = [];
    walk(event, (f, w, a, z) => {
      if (f === 2 && w === 0) step = a;
      if (f === 5 && w === 2)
        walk(event.subarray(a, z), (f2, w2, a2, z2) => {
          if (f2 !== 1 || w2 !== 2) return;
          const v = event.subarray(a, z).subarray(a2, z2);
          let tag = '';
          let value = Number.NaN;
          walk(v, (f3, w3, a3, z3) => {
            if (f3 === 1 && w3 === 2) tag = new TextDecoder().decode(v.subarray(a3, z3));
            if (f3 === 2 && w3 === 5) value = new DataView(v.buffer, v.byteOffset + a3, 4).getFloat32(0, true);
          });
          values.push({ tag, value });
        });
    });
    for (const v of values) out.push({ ...v, step });
  }
  return out;
}
