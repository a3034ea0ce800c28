/**
 * safetensors read/write (https://github.com/huggingface/safetensors, format spec in its README).
 *
 * Layout: 8-byte little-endian u64 header length N, N bytes of UTF-8 JSON
 * `{"__metadata__": {str: str}, name: {dtype, shape, data_offsets: [begin, end]}}`, then the
 * raw little-endian tensor bytes; offsets are relative to the start of the data section.
 *
 * Reading is strict (a file from disk or the network is untrusted): every problem becomes a
 * StudioError('PARSE') naming the tensor, and no allocation is sized from header values
 * before they have been checked against the actual buffer length.
 */
import { open, readFile } from 'node:fs/promises';
import { endianness } from 'node:os';
import { StudioError } from '../errors.js';
import { writeFileAtomic } from '../util/atomic-write.js';

export const SAFETENSORS_DTYPES = ['F64', 'F32', 'F16', 'BF16', 'I64', 'I32', 'I16', 'I8', 'U64', 'U32', 'U16', 'U8', 'BOOL'] as const;
export type SafetensorsDtype = (typeof SAFETENSORS_DTYPES)[number];

export const DTYPE_BYTES: Readonly<Record<SafetensorsDtype, number>> = {
  F64: 8,
  F32: 4,
  F16: 2,
  BF16: 2,
  I64: 8,
  I32: 4,
  I16: 2,
  I8: 1,
  U64: 8,
  U32: 4,
  U16: 2,
  U8: 1,
  BOOL: 1,
};

/** The typed array a dtype is exposed as. F16/BF16 are raw bit patterns (Node 20 has no Float16Array). */
export interface DtypeArrayMap {
  F64: Float64Array;
  F32: Float32Array;
  F16: Uint16Array;
  BF16: Uint16Array;
  I64: BigInt64Array;
  I32: Int32Array;
  I16: Int16Array;
  I8: Int8Array;
  U64: BigUint64Array;
  U32: Uint32Array;
  U16: Uint16Array;
  U8: Uint8Array;
  BOOL: Uint8Array;
}
export type TensorArray = DtypeArrayMap[SafetensorsDtype];

/** The default ceiling on the JSON header (the reference Rust implementation uses 100 MB). */
export const DEFAULT_MAX_HEADER_BYTES = 100 * 1024 * 1024;

export interface SafetensorsTensor {
  readonly name: string;
  readonly dtype: SafetensorsDtype;
  readonly shape: readonly number[];
  /** Element count (product of shape; 1 for a 0-d tensor). */
  readonly size: number;
  /** The raw little-endian bytes (a view on the file buffer, never a copy). */
  readonly bytes: Uint8Array;
  /** Typed view on the file buffer when aligned, otherwise an aligned copy. */
  data(): TensorArray;
  /** Numeric values as float32 (F16/BF16/F64/ints converted; I64/U64 must be exact in float64 first). */
  toFloat32(): Float32Array;
}

export interface SafetensorsFile {
  readonly metadata: Readonly<Record<string, string>> | null;
  /** Tensor names in header order (canonical files: sorted). */
  readonly names: readonly string[];
  readonly tensors: ReadonlyMap<string, SafetensorsTensor>;
  get(name: string): SafetensorsTensor;
}

export interface ParseOptions {
  maxHeaderBytes?: number;
  /** Used in messages, e.g. the file path. */
  source?: string;
}

if (endianness() !== 'LE') {
  // safetensors data is little-endian and we hand out typed-array views on it.
  throw new StudioError('UNSUPPORTED', 'safetensors support needs a little-endian machine.');
}

function parseError(source: string | undefined, message: string, details?: Record<string, unknown>): StudioError {
  const where = source === undefined ? 'safetensors data' : `safetensors file ${source}`;
  return new StudioError('PARSE', `Invalid ${where}: ${message}`, details);
}

function isDtype(s: unknown): s is SafetensorsDtype {
  return typeof s === 'string' && (SAFETENSORS_DTYPES as readonly string[]).includes(s);
}

/**
 * Collects the top-level keys of a JSON object text in order, so duplicate tensor names can be
 * rejected (JSON.parse silently keeps the last one). Assumes the text already parsed as JSON.
 */
function topLevelKeys(text: string): string[] {
  const keys: string[] = [];
  let depth = 0;
  let i = 0;
  let expectKey = false;
  while (i < text.length) {
    const c = text[i];
    if (c === '"') {
      const start = i;
      i++;
      while (i < text.length && text[i] !== '"') i += text[i] === '\\' ? 2 : 1;
      if (depth === 1 && expectKey) {
        keys.push(JSON.parse(text.slice(start, i + 1)) as string);
        expectKey = false;
      }
      i++;
      continue;
    }
    if (c === '{' || c === '[') {
      depth++;
      if (c === '{' && depth === 1) expectKey = true;
    } else if (c === '}' || c === ']') {
      depth--;
    } else if (c === ',' && depth === 1) {
      expectKey = true;
    }
    i++;
  }
  return keys;
}

const TYPED_CTORS = {
  F64: Float64Array,
  F32: Float32Array,
  F16: Uint16Array,
  BF16: Uint16Array,
  I64: BigInt64Array,
  I32: Int32Array,
  I16: Int16Array,
  I8: Int8Array,
  U64: BigUint64Array,
  U32: Uint32Array,
  U16: Uint16Array,
  U8: Uint8Array,
  BOOL: Uint8Array,
} as const;

function typedView(dtype: SafetensorsDtype, bytes: Uint8Array): TensorArray {
  const ctor = TYPED_CTORS[dtype];
  const el = DTYPE_BYTES[dtype];
  const n = bytes.byteLength / el;
  // Typed arrays need the byte offset to be a multiple of the element size; copy when not.
  const src = (bytes.byteOffset % el === 0 ? bytes : bytes.slice()) as Uint8Array;
  return new ctor(src.buffer as ArrayBuffer, src.byteOffset, n);
}

/** IEEE half → float32 (exact). */
export function f16ToFloat32(bits: Uint16Array): Float32Array {
  const out = new Float32Array(bits.length);
  for (let i = 0; i < bits.length; i++) {
    const h = bits[i];
    const sign = h & 0x8000 ? -1 : 1;
    const exp = (h >> 10) & 0x1f;
    const frac = h & 0x3ff;
    if (exp === 0) out[i] = sign * frac * 2 ** -24;
    else if (exp === 31) out[i] = frac === 0 ? sign * Infinity : NaN;
    else out[i] = sign * (1 + frac / 1024) * 2 ** (exp - 15);
  }
  return out;
}

/** bfloat16 → float32 (exact: bf16 is the top half of a float32). */
export function bf16ToFloat32(bits: Uint16Array): Float32Array {
  const u32 = new Uint32Array(bits.length);
  for (let i = 0; i < bits.length; i++) u32[i] = bits[i] << 16;
  return new Float32Array(u32.buffer);
}

/** float32 → bfloat16 bits, round to nearest even; NaN stays NaN. */
export function float32ToBf16(values: Float32Array): Uint16Array {
  const u32 = new Uint32Array(values.buffer, values.byteOffset, values.length);
  const out = new Uint16Array(values.length);
  for (let i = 0; i < values.length; i++) {
    const x = u32[i];
    if ((x & 0x7f800000) === 0x7f800000 && (x & 0x7fffff) !== 0) {
      out[i] = (x >>> 16) | 0x40; // quiet NaN, keep sign
    } else {
      out[i] = ((x + 0x7fff + ((x >>> 16) & 1)) >>> 16) & 0xffff;
    }
  }
  return out;
}

/** float32 → IEEE half bits, round to nearest even, overflow to ±Infinity, subnormals kept. */
export function float32ToF16(values: Float32Array): Uint16Array {
  const u32 = new Uint32Array(values.buffer, values.byteOffset, values.length);
  const out = new Uint16Array(values.length);
  for (let i = 0; i < values.length; i++) {
    const x = u32[i];
    const sign = (x >>> 16) & 0x8000;
    const exp = (x >>> 23) & 0xff;
    const mant = x & 0x7fffff;
    if (exp === 0xff) {
      out[i] = sign | 0x7c00 | (mant !== 0 ? 0x200 : 0);
      continue;
    }
    const e = exp - 127 + 15;
    if (e >= 31) {
      out[i] = sign | 0x7c00;
    } else if (e <= 0) {
      if (e < -10) {
        out[i] = sign;
        continue;
      }
      const m = mant | 0x800000;
      const shift = 14 - e;
      const half = 1 << (shift - 1);
      const rem = m & ((1 << shift) - 1);
      let h = m >>> shift;
      if (rem > half || (rem === half && (h & 1) === 1)) h++;
      out[i] = sign | h;
    } else {
      let h = (e << 10) | (mant >>> 13);
      const rem = mant & 0x1fff;
      if (rem > 0x1000 || (rem === 0x1000 && (h & 1) === 1)) h++; // may carry into the exponent: correct
      out[i] = sign | h;
    }
  }
  return out;
}

function toFloat32(dtype: SafetensorsDtype, data: TensorArray): Float32Array {
  switch (dtype) {
    case 'F32':
      return data as Float32Array;
    case 'F16':
      return f16ToFloat32(data as Uint16Array);
    case 'BF16':
      return bf16ToFloat32(data as Uint16Array);
    case 'I64':
    case 'U64': {
      const src = data as BigInt64Array | BigUint64Array;
      const out = new Float32Array(src.length);
      for (let i = 0; i < src.length; i++) out[i] = Number(src[i]);
      return out;
    }
    default:
      return Float32Array.from(data as ArrayLike<number>);
  }
}

function makeTensor(name: string, dtype: SafetensorsDtype, shape: number[], size: number, bytes: Uint8Array): SafetensorsTensor {
  let cached: TensorArray | undefined;
  const data = (): TensorArray => (cached ??= typedView(dtype, bytes));
  return {
    name,
    dtype,
    shape,
    size,
    bytes,
    data,
    toFloat32: () => toFloat32(dtype, data()),
  };
}

/** Parses a whole safetensors buffer. Tensor data stays a view on `buf` (no copy). */
export function parseSafetensors(buf: Uint8Array, options: ParseOptions = {}): SafetensorsFile {
  const source = options.source;
  const maxHeader = options.maxHeaderBytes ?? DEFAULT_MAX_HEADER_BYTES;
  if (buf.byteLength < 8) throw parseError(source, `it is ${buf.byteLength} bytes long, shorter than the 8-byte header length.`);
  const dv = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  const headerLen64 = dv.getBigUint64(0, true);
  if (headerLen64 > BigInt(maxHeader)) {
    throw parseError(source, `the header length ${headerLen64} exceeds the limit of ${maxHeader} bytes.`);
  }
  const headerLen = Number(headerLen64);
  if (8 + headerLen > buf.byteLength) {
    throw parseError(source, `the header length ${headerLen} runs past the end of the file (${buf.byteLength} bytes).`);
  }
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(buf.subarray(8, 8 + headerLen));
  } catch {
    throw parseError(source, 'the header is not valid UTF-8.');
  }
  let header: unknown;
  try {
    header = JSON.parse(text);
  } catch (e) {
    throw parseError(source, `the header is not valid JSON (${(e as Error).message}).`);
  }
  if (header === null || typeof header !== 'object' || Array.isArray(header)) {
    throw parseError(source, 'the header is not a JSON object.');
  }
  const keys = topLevelKeys(text);
  const seen = new Set<string>();
  for (const k of keys) {
    if (seen.has(k)) throw parseError(source, `tensor "${k}" appears more than once in the header.`, { tensor: k });
    seen.add(k);
  }

  const dataStart = 8 + headerLen;
  const dataLen = buf.byteLength - dataStart;
  const entries = header as Record<string, unknown>;
  let metadata: Record<string, string> | null = null;
  const infos: { name: string; dtype: SafetensorsDtype; shape: number[]; size: number; begin: number; end: number }[] = [];
  for (const name of Object.keys(entries)) {
    const v = entries[name];
    if (name === '__metadata__') {
      if (v === null || typeof v !== 'object' || Array.isArray(v)) throw parseError(source, '__metadata__ is not an object.');
      const md: Record<string, string> = {};
      for (const [mk, mv] of Object.entries(v as Record<string, unknown>)) {
        if (typeof mv !== 'string') throw parseError(source, `__metadata__ value "${mk}" is not a string.`);
        md[mk] = mv;
      }
      metadata = md;
      continue;
    }
    const t = `tensor "${name}"`;
    if (v === null || typeof v !== 'object' || Array.isArray(v)) throw parseError(source, `${t} has no {dtype, shape, data_offsets} entry.`, { tensor: name });
    const info = v as Record<string, unknown>;
    if (!isDtype(info.dtype)) throw parseError(source, `${t} has unknown dtype ${JSON.stringify(info.dtype)}.`, { tensor: name });
    const dtype = info.dtype;
    if (!Array.isArray(info.shape)) throw parseError(source, `${t} has no shape array.`, { tensor: name });
    const shape: number[] = [];
    let size = 1;
    for (const d of info.shape as unknown[]) {
      if (typeof d !== 'number' || !Number.isSafeInteger(d) || d < 0) {
        throw parseError(source, `${t} has an invalid dimension ${JSON.stringify(d)} in its shape (dimensions are non-negative integers).`, { tensor: name });
      }
      shape.push(d);
      // Stop multiplying once it can't fit the buffer: avoids overflow past 2^53.
      size = size > dataLen ? size : size * d;
    }
    const off = info.data_offsets;
    if (!Array.isArray(off) || off.length !== 2 || !off.every((x) => typeof x === 'number' && Number.isSafeInteger(x) && x >= 0)) {
      throw parseError(source, `${t} has invalid data_offsets ${JSON.stringify(off)} (expected [begin, end] byte offsets).`, { tensor: name });
    }
    const [begin, end] = off as [number, number];
    if (begin > end) throw parseError(source, `${t} has data_offsets [${begin}, ${end}] with begin after end.`, { tensor: name });
    if (end > dataLen) throw parseError(source, `${t} ends at byte ${end}, past the end of the data section (${dataLen} bytes).`, { tensor: name });
    const expected = size * DTYPE_BYTES[dtype];
    if (end - begin !== expected) {
      throw parseError(source, `${t} has ${end - begin} bytes but shape [${shape.join(', ')}] of ${dtype} needs ${expected}.`, { tensor: name });
    }
    infos.push({ name, dtype, shape, size, begin, end });
  }
  // The data section must be covered exactly once: no overlaps, no gaps, nothing trailing.
  const byOffset = [...infos].sort((a, b) => a.begin - b.begin || a.end - b.end);
  let pos = 0;
  for (const info of byOffset) {
    if (info.begin < pos)
      throw parseError(source, `tensor "${info.name}" overlaps the previous tensor (starts at ${info.begin}, previous ends at ${pos}).`, { tensor: info.name });
    if (info.begin > pos) throw parseError(source, `there is a gap of ${info.begin - pos} bytes before tensor "${info.name}".`, { tensor: info.name });
    pos = info.end;
  }
  if (pos !== dataLen) throw parseError(source, `${dataLen - pos} bytes after the last tensor are not described by the header.`);

  const tensors = new Map<string, SafetensorsTensor>();
  for (const info of infos) {
    tensors.set(info.name, makeTensor(info.name, info.dtype, info.shape, info.size, buf.subarray(dataStart + info.begin, dataStart + info.end)));
  }
  return {
    metadata,
    names: infos.map((i) => i.name),
    tensors,
    get(name: string): SafetensorsTensor {
      const t = tensors.get(name);
      if (t === undefined) throw new StudioError('NOT_FOUND', `Tensor "${name}" is not in ${source ?? 'the safetensors data'}.`, { tensor: name });
      return t;
    },
  };
}

/** Reads and parses a file. The whole file is read once; tensors are views on that buffer. */
export async function readSafetensorsFile(path: string, options: Omit<ParseOptions, 'source'> = {}): Promise<SafetensorsFile> {
  let buf: Buffer;
  try {
    buf = await readFile(path);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new StudioError(code === 'ENOENT' ? 'NOT_FOUND' : 'IO', `Cannot read safetensors file ${path}: ${(e as Error).message}`, { path }, { cause: e });
  }
  return parseSafetensors(new Uint8Array(buf.buffer, buf.byteOffset, buf.byteLength), { ...options, source: path });
}

/** Reads only the header (for listing a large file without loading it). */
export async function readSafetensorsHeader(path: string, maxHeaderBytes = DEFAULT_MAX_HEADER_BYTES): Promise<Record<string, unknown>> {
  const fh = await open(path, 'r').catch((e: unknown) => {
    throw new StudioError('IO', `Cannot open ${path}: ${(e as Error).message}`, { path }, { cause: e });
  });
  try {
    const { size } = await fh.stat();
    const lenBuf = Buffer.alloc(8);
    if (size < 8 || (await fh.read(lenBuf, 0, 8, 0)).bytesRead !== 8) throw parseError(path, 'shorter than the 8-byte header length.');
    const n = lenBuf.readBigUInt64LE(0);
    if (n > BigInt(maxHeaderBytes) || Number(n) + 8 > size) throw parseError(path, `header length ${n} is too large for a ${size}-byte file.`);
    const hb = Buffer.alloc(Number(n));
    await fh.read(hb, 0, hb.length, 8);
    try {
      const parsed: unknown = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(hb));
      if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) throw new Error('not an object');
      return parsed as Record<string, unknown>;
    } catch (e) {
      throw parseError(path, `the header is not a JSON object (${(e as Error).message}).`);
    }
  } finally {
    await fh.close();
  }
}

export interface TensorInput {
  dtype: SafetensorsDtype;
  shape: readonly number[];
  /** Little-endian element data; any typed array whose byte length matches shape × dtype size. */
  data: ArrayBufferView;
}

/**
 * Serialises tensors in the canonical layout: names sorted, contiguous offsets, header JSON
 * padded with spaces to a multiple of 8 so every tensor starts 8-byte aligned in the file.
 * `metadata` defaults to {format: "pt"}, which transformers expects when loading.
 */
export function serializeSafetensors(
  tensors: ReadonlyMap<string, TensorInput> | Readonly<Record<string, TensorInput>>,
  metadata: Readonly<Record<string, string>> | null = { format: 'pt' },
): Uint8Array {
  const map = tensors instanceof Map ? (tensors as ReadonlyMap<string, TensorInput>) : new Map(Object.entries(tensors as Record<string, TensorInput>));
  const names = [...map.keys()].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  const header: Record<string, unknown> = {};
  if (metadata !== null) header.__metadata__ = { ...metadata };
  let offset = 0;
  const parts: Uint8Array[] = [];
  for (const name of names) {
    if (name === '__metadata__') throw new StudioError('INVALID_INPUT', 'A tensor cannot be named "__metadata__".');
    const t = map.get(name) as TensorInput;
    if (!isDtype(t.dtype)) throw new StudioError('INVALID_INPUT', `Tensor "${name}" has unknown dtype ${String(t.dtype)}.`);
    let size = 1;
    for (const d of t.shape) {
      if (!Number.isSafeInteger(d) || d < 0) throw new StudioError('INVALID_INPUT', `Tensor "${name}" has an invalid dimension ${d}.`);
      size *= d;
    }
    const bytes = size * DTYPE_BYTES[t.dtype];
    if (t.data.byteLength !== bytes) {
      throw new StudioError(
        'INVALID_INPUT',
        `Tensor "${name}" has ${t.data.byteLength} bytes of data but shape [${t.shape.join(', ')}] of ${t.dtype} needs ${bytes}.`,
      );
    }
    header[name] = { dtype: t.dtype, shape: [...t.shape], data_offsets: [offset, offset + bytes] };
    parts.push(new Uint8Array(t.data.buffer, t.data.byteOffset, t.data.byteLength));
    offset += bytes;
  }
  const json = new TextEncoder().encode(JSON.stringify(header));
  const padded = Math.ceil(json.length / 8) * 8;
  const out = new Uint8Array(8 + padded + offset);
  new DataView(out.buffer).setBigUint64(0, BigInt(padded), true);
  out.set(json, 8);
  out.fill(0x20, 8 + json.length, 8 + padded);
  let pos = 8 + padded;
  for (const p of parts) {
    out.set(p, pos);
    pos += p.byteLength;
  }
  return out;
}

/** Writes a safetensors file atomically (temp file + rename). */
export async function writeSafetensorsFile(
  path: string,
  tensors: ReadonlyMap<string, TensorInput> | Readonly<Record<string, TensorInput>>,
  metadata: Readonly<Record<string, string>> | null = { format: 'pt' },
): Promise<void> {
  await writeFileAtomic(path, serializeSafetensors(tensors, metadata));
}
