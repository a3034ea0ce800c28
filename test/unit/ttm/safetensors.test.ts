import { readdirSync } from 'node:fs';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { StudioError } from '../../../src-main/engine/errors.js';
import {
  bf16ToFloat32,
  f16ToFloat32,
  float32ToBf16,
  float32ToF16,
  parseSafetensors,
  serializeSafetensors,
  type SafetensorsDtype,
  type TensorInput,
} from '../../../src-main/engine/ttm/safetensors.js';
import { FIXTURE_CASES, FIXTURE_ROOT, fixtureBytes } from './fixtures.js';

/** Builds a raw file from a header object and a data length (for malformed-file tests). */
function rawFile(header: unknown, dataBytes: number, headerText?: string): Uint8Array {
  const json = new TextEncoder().encode(headerText ?? JSON.stringify(header));
  const out = new Uint8Array(8 + json.length + dataBytes);
  new DataView(out.buffer).setBigUint64(0, BigInt(json.length), true);
  out.set(json, 8);
  return out;
}

function expectParseError(buf: Uint8Array, pattern: RegExp): void {
  let caught: unknown;
  try {
    parseSafetensors(buf);
  } catch (e) {
    caught = e;
  }
  expect(caught).toBeInstanceOf(StudioError);
  expect((caught as StudioError).code).toBe('PARSE');
  expect((caught as StudioError).message).toMatch(pattern);
}

const sum = (xs: Float32Array): number => xs.reduce((a, b) => a + b, 0);

describe('safetensors: golden fixtures', () => {
  for (const c of FIXTURE_CASES) {
    const files = readdirSync(`${FIXTURE_ROOT}${c}`).filter((f) => f.endsWith('.safetensors'));
    for (const f of files) {
      it(`${c}/${f}: parses, F32/I64 only, and re-serialises bit-identically`, () => {
        const bytes = fixtureBytes(c, f);
        const file = parseSafetensors(bytes);
        expect(file.metadata).toEqual({ format: 'pt' });
        expect(file.names).toEqual([...file.names].sort());
        for (const t of file.tensors.values()) {
          expect(t.dtype === 'F32' || (t.dtype === 'I64' && t.name === 'freq_token')).toBe(true);
          expect(t.bytes.byteLength).toBe(t.size * (t.dtype === 'F32' ? 4 : 8));
          // Canonical files are 8-byte aligned: the typed array is a view, not a copy.
          expect(t.data().buffer).toBe(bytes.buffer);
        }
        const inputs = new Map<string, TensorInput>([...file.tensors.values()].map((t) => [t.name, { dtype: t.dtype, shape: t.shape, data: t.data() }]));
        expect(Buffer.from(serializeSafetensors(inputs, file.metadata)).equals(Buffer.from(bytes))).toBe(true);
      });
    }
  }

  it('io tensors are consistent: outputs = normalised · scale + loc, and the stored loss is their MSE', () => {
    for (const c of FIXTURE_CASES) {
      const io = parseSafetensors(fixtureBytes(c, 'io.safetensors'));
      const y = io.get('head_output_normalized').toFloat32();
      const out = io.get('prediction_outputs').toFloat32();
      const loc = io.get('loc').toFloat32();
      const scale = io.get('scale').toFloat32();
      const [B, P, Cout] = io.get('prediction_outputs').shape;
      for (let b = 0; b < B; b++)
        for (let p = 0; p < P; p++)
          for (let ch = 0; ch < Cout; ch++) {
            const i = (b * P + p) * Cout + ch;
            expect(Math.fround(Math.fround(y[i] * scale[b * Cout + ch]) + loc[b * Cout + ch])).toBe(out[i]);
          }
      const fut = io.get('future_values');
      const Cin = fut.shape[2];
      const fv = fut.toFloat32();
      const pick = Cout === Cin ? (ch: number) => ch : () => 0; // mixchannel: target channel 0
      let se = 0;
      for (let b = 0; b < B; b++)
        for (let p = 0; p < P; p++) for (let ch = 0; ch < Cout; ch++) se += (out[(b * P + p) * Cout + ch] - fv[(b * P + p) * Cin + pick(ch)]) ** 2;
      const loss = io.get('loss');
      expect(loss.shape).toEqual([]);
      expect(Math.abs(se / (B * P * Cout) - loss.toFloat32()[0]) / loss.toFloat32()[0]).toBeLessThan(2e-7);
    }
  });

  it('sums that the fixture README pins down', () => {
    const losses: Record<string, number> = { tiny: 2607.95, r2_512_96: 23030.5, r2_mixchannel_exog: 5518.59, r1_1024_96: 4199.51, r2_freq_token: 3893.24 };
    for (const c of FIXTURE_CASES) {
      const io = parseSafetensors(fixtureBytes(c, 'io.safetensors'));
      expect(io.get('loss').toFloat32()[0]).toBeCloseTo(losses[c], 1);
      const model = parseSafetensors(fixtureBytes(c, 'model.safetensors'));
      // LayerNorm weights start at 1 and biases at 0 (post_init = false, no training).
      for (const t of model.tensors.values()) {
        if (/\.norm\.norm\.weight$/.test(t.name)) expect(sum(t.toFloat32())).toBe(t.size);
        if (/\.norm\.norm\.bias$/.test(t.name)) expect(sum(t.toFloat32())).toBe(0);
      }
    }
    const ft = parseSafetensors(fixtureBytes('r2_freq_token', 'io.safetensors')).get('freq_token');
    expect(ft.dtype).toBe('I64');
    expect([...(ft.data() as BigInt64Array)]).toEqual([3n, 1n]);
    const grads = parseSafetensors(fixtureBytes('r2_mixchannel_exog', 'grads.safetensors'));
    let zeros = 0;
    for (const t of grads.tensors.values()) zeros += t.toFloat32().filter((g) => g === 0).length;
    expect(zeros).toBe(27);
  });

  it('AdamW step file matches p·(1 − lr·wd) − lr·g/(|g|+eps) from the model and grads files', () => {
    const p0 = parseSafetensors(fixtureBytes('tiny', 'model.safetensors'));
    const g = parseSafetensors(fixtureBytes('tiny', 'grads.safetensors'));
    const p1 = parseSafetensors(fixtureBytes('tiny', 'adamw_step.safetensors'));
    for (const name of p0.names) {
      const a = p0.get(name).toFloat32();
      const gr = g.get(name).toFloat32();
      const b = p1.get(name).toFloat32();
      for (let i = 0; i < a.length; i++) {
        // Step 1 from fresh state: m = (1−β1)·g, v = (1−β2)·g² (README formula).
        const m = 0.1 * gr[i];
        const v = 0.001 * gr[i] * gr[i];
        const expected = a[i] * (1 - 1e-3 * 0.01) - ((1e-3 / 0.1) * m) / (Math.sqrt(v) / Math.sqrt(0.001) + 1e-8);
        expect(Math.abs(expected - b[i])).toBeLessThan(1e-6);
      }
    }
  });
});

describe('safetensors: dtypes and layout', () => {
  const samples: Record<SafetensorsDtype, ArrayBufferView> = {
    F64: new Float64Array([1.5, -2, Math.PI]),
    F32: new Float32Array([1.5, -2, 3.25]),
    F16: float32ToF16(new Float32Array([1.5, -2, 65504])),
    BF16: float32ToBf16(new Float32Array([1.5, -2, 3.25])),
    I64: new BigInt64Array([1n, -2n, 9007199254740993n]),
    I32: new Int32Array([1, -2, 2147483647]),
    I16: new Int16Array([1, -2, 3]),
    I8: new Int8Array([1, -2, 3]),
    U64: new BigUint64Array([1n, 2n, 3n]),
    U32: new Uint32Array([1, 2, 4294967295]),
    U16: new Uint16Array([1, 2, 3]),
    U8: new Uint8Array([1, 2, 255]),
    BOOL: new Uint8Array([1, 0, 1]),
  };

  it('writes the canonical layout and reads every dtype back', () => {
    const tensors = new Map<string, TensorInput>(Object.entries(samples).map(([k, v]) => [`t_${k}`, { dtype: k as SafetensorsDtype, shape: [3], data: v }]));
    tensors.set('scalar', { dtype: 'F32', shape: [], data: new Float32Array([7]) });
    tensors.set('empty', { dtype: 'F32', shape: [0, 4], data: new Float32Array(0) });
    const buf = serializeSafetensors(tensors, { format: 'pt', note: 'x' });
    const n = Number(new DataView(buf.buffer).getBigUint64(0, true));
    expect(n % 8).toBe(0);
    const headerText = new TextDecoder().decode(buf.subarray(8, 8 + n));
    expect(headerText.startsWith('{"__metadata__":{"format":"pt","note":"x"}')).toBe(true);
    expect(headerText.endsWith(' ') || headerText.endsWith('}')).toBe(true);
    const file = parseSafetensors(buf);
    expect(file.names).toEqual([...tensors.keys()].sort());
    for (const [k, v] of Object.entries(samples)) {
      const t = file.get(`t_${k}`);
      expect(t.dtype).toBe(k);
      expect(Buffer.from(t.bytes).equals(Buffer.from(v.buffer, v.byteOffset, v.byteLength))).toBe(true);
    }
    expect([...file.get('t_F16').toFloat32()]).toEqual([1.5, -2, 65504]);
    expect([...file.get('t_BF16').toFloat32()]).toEqual([1.5, -2, 3.25]);
    expect(file.get('scalar').toFloat32()[0]).toBe(7);
    expect(file.get('empty').size).toBe(0);
    // Offsets are contiguous in name order.
    const header = JSON.parse(headerText) as Record<string, { data_offsets?: [number, number] }>;
    let pos = 0;
    for (const name of file.names) {
      expect(header[name].data_offsets?.[0]).toBe(pos);
      pos = header[name].data_offsets?.[1] ?? -1;
    }
  });

  it('copies instead of viewing when a tensor is not aligned to its element size', () => {
    const buf = serializeSafetensors({
      a: { dtype: 'U8', shape: [1], data: new Uint8Array([9]) },
      b: { dtype: 'F32', shape: [2], data: new Float32Array([1, 2]) },
    });
    const file = parseSafetensors(buf);
    const b = file.get('b');
    expect(b.bytes.byteOffset % 4).toBe(1);
    expect(b.data().buffer).not.toBe(buf.buffer);
    expect([...(b.data() as Float32Array)]).toEqual([1, 2]);
  });

  it('half-precision conversions round to nearest even and keep specials', () => {
    const xs = new Float32Array([0, -0, 1, 1 + 2 ** -11, 1 + 3 * 2 ** -11, 2 ** -24, 2 ** -25, 65520, Infinity, -Infinity, NaN, 6.1e-5]);
    const back = f16ToFloat32(float32ToF16(xs));
    expect([...back.slice(0, 8)]).toEqual([0, -0, 1, 1, 1 + 2 * 2 ** -10, 2 ** -24, 0, Infinity]);
    expect(back[8]).toBe(Infinity);
    expect(back[9]).toBe(-Infinity);
    expect(Number.isNaN(back[10])).toBe(true);
    expect(Math.abs(back[11] - 6.1e-5)).toBeLessThan(2 ** -24);
    const bf = bf16ToFloat32(float32ToBf16(new Float32Array([1 + 2 ** -8, 1 + 3 * 2 ** -8, NaN, -Infinity])));
    expect(bf[0]).toBe(1);
    expect(bf[1]).toBe(1 + 2 ** -6);
    expect(Number.isNaN(bf[2])).toBe(true);
    expect(bf[3]).toBe(-Infinity);
  });

  it('refuses to write data whose length does not match the shape', () => {
    expect(() => serializeSafetensors({ a: { dtype: 'F32', shape: [3], data: new Float32Array(2) } })).toThrow(/needs 12/);
  });
});

describe('safetensors: malformed files are PARSE errors', () => {
  const ok = { a: { dtype: 'F32', shape: [2], data_offsets: [0, 8] } };
  it('rejects each kind of corruption with a message naming it', () => {
    expectParseError(new Uint8Array(5), /shorter than the 8-byte header length/);
    const huge = new Uint8Array(16);
    new DataView(huge.buffer).setBigUint64(0, 2n ** 60n, true);
    expectParseError(huge, /exceeds the limit/);
    const past = new Uint8Array(16);
    new DataView(past.buffer).setBigUint64(0, 100n, true);
    expectParseError(past, /runs past the end/);
    expectParseError(rawFile(null, 0, '{"a": '), /not valid JSON/);
    expectParseError(rawFile([1, 2], 0), /not a JSON object/);
    expectParseError(rawFile({ a: { dtype: 'F99', shape: [1], data_offsets: [0, 4] } }, 4), /tensor "a" has unknown dtype "F99"/);
    expectParseError(rawFile({ a: { dtype: 'F32', shape: [1.5], data_offsets: [0, 4] } }, 4), /tensor "a" has an invalid dimension 1.5/);
    expectParseError(rawFile({ a: { dtype: 'F32', shape: [-1], data_offsets: [0, 4] } }, 4), /invalid dimension -1/);
    expectParseError(rawFile({ a: { dtype: 'F32', shape: [3], data_offsets: [0, 8] } }, 8), /tensor "a" has 8 bytes but shape \[3\] of F32 needs 12/);
    expectParseError(rawFile({ a: { dtype: 'F32', shape: [2], data_offsets: [0, 8] } }, 4), /tensor "a" ends at byte 8, past the end/);
    expectParseError(rawFile({ a: { dtype: 'F32', shape: [2], data_offsets: [8, 0] } }, 8), /begin after end/);
    expectParseError(
      rawFile({ a: { dtype: 'F32', shape: [2], data_offsets: [0, 8] }, b: { dtype: 'F32', shape: [2], data_offsets: [4, 12] } }, 12),
      /overlaps/,
    );
    expectParseError(rawFile({ a: { dtype: 'F32', shape: [2], data_offsets: [4, 12] } }, 12), /gap of 4 bytes before tensor "a"/);
    expectParseError(rawFile(ok, 12), /4 bytes after the last tensor/);
    expectParseError(
      rawFile(null, 8, '{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}}'),
      /tensor "a" appears more than once/,
    );
    expectParseError(rawFile({ __metadata__: { format: 1 } }, 0), /__metadata__ value "format" is not a string/);
    expectParseError(rawFile({ a: { dtype: 'F32', shape: [2], data_offsets: [0] } }, 8), /invalid data_offsets/);
    expectParseError(rawFile({ a: { dtype: 'F32', shape: [2 ** 40, 2 ** 40], data_offsets: [0, 8] } }, 8), /needs/);
    // And the well-formed one parses.
    expect(parseSafetensors(rawFile(ok, 8)).get('a').size).toBe(2);
  });

  it('fuzz: random byte flips and truncations of valid files parse or throw StudioError', () => {
    const base = serializeSafetensors({
      'w.weight': { dtype: 'F32', shape: [3, 2], data: new Float32Array([1, 2, 3, 4, 5, 6]) },
      'w.bias': { dtype: 'BF16', shape: [3], data: new Uint16Array([1, 2, 3]) },
      step: { dtype: 'I64', shape: [], data: new BigInt64Array([5n]) },
    });
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.nat(base.length - 1), fc.integer({ min: 0, max: 255 })), { maxLength: 6 }),
        fc.option(fc.nat(base.length), { nil: undefined }),
        (flips, cut) => {
          const buf = base.slice(0, cut ?? base.length);
          for (const [i, v] of flips) if (i < buf.length) buf[i] = v;
          try {
            const f = parseSafetensors(buf);
            for (const t of f.tensors.values()) t.toFloat32();
          } catch (e) {
            if (!(e instanceof StudioError) || e.code !== 'PARSE') throw e;
          }
        },
      ),
      { numRuns: 2000 },
    );
  });

  it('fuzz: random headers parse or throw StudioError', () => {
    const dim = fc.oneof(fc.nat(6), fc.integer(), fc.double(), fc.constant(2 ** 53), fc.string());
    const entry = fc.record({
      dtype: fc.oneof(fc.constantFrom('F32', 'F16', 'BF16', 'I64', 'U8', 'BOOL', 'F64', 'I32'), fc.string()),
      shape: fc.oneof(fc.array(dim, { maxLength: 3 }), fc.anything()),
      data_offsets: fc.oneof(fc.tuple(fc.nat(64), fc.nat(64)), fc.anything()),
    });
    fc.assert(
      fc.property(fc.dictionary(fc.string({ maxLength: 4 }), fc.oneof(entry, fc.anything())), fc.nat(64), (header, dataBytes) => {
        try {
          const f = parseSafetensors(rawFile(header, dataBytes));
          for (const t of f.tensors.values()) t.data();
        } catch (e) {
          if (!(e instanceof StudioError) || e.code !== 'PARSE') throw e;
        }
      }),
      { numRuns: 2000 },
    );
  });
});
