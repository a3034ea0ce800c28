/**
 * Element types the graph engine handles, their ONNX TensorProto codes and the typed
 * arrays onnxruntime-node expects for each (int64 is BigInt64Array, bool is Uint8Array).
 */
export type DType = 'float32' | 'float64' | 'int64' | 'int32' | 'bool' | 'uint8';

export type FloatDType = 'float32' | 'float64';

export const ONNX_DTYPE: Readonly<Record<DType, number>> = {
  float32: 1,
  uint8: 2,
  int32: 6,
  int64: 7,
  bool: 9,
  float64: 11,
};

export interface TypedArrayFor {
  float32: Float32Array;
  float64: Float64Array;
  int64: BigInt64Array;
  int32: Int32Array;
  bool: Uint8Array;
  uint8: Uint8Array;
}

export type AnyTypedArray = TypedArrayFor[DType];

export const BYTES_PER_ELEMENT: Readonly<Record<DType, number>> = {
  float32: 4,
  float64: 8,
  int64: 8,
  int32: 4,
  bool: 1,
  uint8: 1,
};

export function isFloat(d: DType): d is FloatDType {
  return d === 'float32' || d === 'float64';
}

/** Builds a typed array of `dtype` from plain numbers (bigint accepted for int64). */
export function typedArrayOf<D extends DType>(dtype: D, values: ArrayLike<number | bigint> | number): TypedArrayFor[D] {
  const n = typeof values === 'number' ? values : values.length;
  const src = typeof values === 'number' ? undefined : values;
  let out: AnyTypedArray;
  switch (dtype) {
    case 'float32':
      out = new Float32Array(n);
      break;
    case 'float64':
      out = new Float64Array(n);
      break;
    case 'int32':
      out = new Int32Array(n);
      break;
    case 'bool':
    case 'uint8':
      out = new Uint8Array(n);
      break;
    case 'int64': {
      const a = new BigInt64Array(n);
      if (src) for (let i = 0; i < n; i++) a[i] = BigInt(src[i]!);
      return a as TypedArrayFor[D];
    }
    default:
      throw new Error(`unknown dtype ${String(dtype)}`);
  }
  if (src) {
    const o = out as Float32Array;
    for (let i = 0; i < n; i++) o[i] = Number(src[i]!);
  }
  return out as TypedArrayFor[D];
}
