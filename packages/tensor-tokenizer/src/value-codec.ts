import {
  allocTypedArray,
  type DType,
  fromFloat32,
  type TensorData,
  toFloat32,
} from '@pgen/checkpoint-io';

/**
 * The values of a tensor as plain numbers. Arrays that already hold numbers are returned
 * as they are (no copy); 16-bit floats are decoded and 64-bit integers converted, which costs
 * one temporary array for that tensor only.
 */
export function tensorValues(tensor: TensorData): Float32Array | Float64Array | ArrayLike<number> {
  switch (tensor.dtype) {
    case 'F16':
    case 'BF16':
      return toFloat32(tensor);
    case 'I64':
    case 'U64':
      return Float64Array.from(tensor.data as BigInt64Array | BigUint64Array, Number);
    default:
      return tensor.data as ArrayLike<number>;
  }
}

/**
 * The array decoded values are written to before they become a tensor of `dtype`. Float64
 * where float32 would lose what the dtype can hold (F64, 32- and 64-bit integers).
 */
export function decodeBuffer(dtype: DType, length: number): Float32Array | Float64Array {
  switch (dtype) {
    case 'F64':
    case 'I64':
    case 'U64':
    case 'I32':
    case 'U32':
      return new Float64Array(length);
    default:
      return new Float32Array(length);
  }
}

const INTEGER_RANGE: Partial<Record<DType, [number, number]>> = {
  I32: [-(2 ** 31), 2 ** 31 - 1],
  U32: [0, 2 ** 32 - 1],
  I16: [-(2 ** 15), 2 ** 15 - 1],
  U16: [0, 2 ** 16 - 1],
  I8: [-128, 127],
  U8: [0, 255],
  BOOL: [0, 1],
  I64: [-(2 ** 63), 2 ** 63 - 1024],
  U64: [0, 2 ** 64 - 2048],
};

function roundIntoRange(value: number, [lo, hi]: [number, number]): number {
  // Generated values may fall outside the dtype; saturate rather than let typed arrays wrap.
  const rounded = Math.round(value);
  if (Number.isNaN(rounded)) return 0;
  return rounded < lo ? lo : rounded > hi ? hi : rounded;
}

/** Turns decoded values into a tensor of `dtype`: floats rounded to nearest even, integers rounded and saturated. */
export function tensorFromValues(
  values: Float32Array | Float64Array,
  shape: number[],
  dtype: DType,
): TensorData {
  switch (dtype) {
    case 'F32':
    case 'F16':
    case 'BF16':
      return fromFloat32(values as Float32Array, shape, dtype);
    case 'F64':
      return { dtype, shape: [...shape], data: values as Float64Array };
    case 'I64':
    case 'U64': {
      const range = INTEGER_RANGE[dtype]!;
      const data =
        dtype === 'I64' ? new BigInt64Array(values.length) : new BigUint64Array(values.length);
      for (let i = 0; i < values.length; i++) data[i] = BigInt(roundIntoRange(values[i]!, range));
      return { dtype, shape: [...shape], data } as TensorData;
    }
    default: {
      const range = INTEGER_RANGE[dtype]!;
      const data = allocTypedArray(dtype, values.length) as unknown as { [i: number]: number };
      for (let i = 0; i < values.length; i++) data[i] = roundIntoRange(values[i]!, range);
      return { dtype, shape: [...shape], data } as TensorData;
    }
  }
}

/**
 * The smallest positive value of a dtype: what a log-normalised tensor decodes to where the
 * inverse transform would give zero or less, so that it stays strictly positive.
 */
export function smallestPositive(dtype: DType): number {
  switch (dtype) {
    case 'F64':
      return Number.MIN_VALUE;
    case 'F32':
      return 2 ** -149;
    case 'BF16':
      return 2 ** -133;
    case 'F16':
      return 2 ** -24;
    default:
      return 1;
  }
}

/** Index of the first NaN or ±Infinity in `values`, or -1. */
export function firstNonFinite(values: ArrayLike<number>): number {
  for (let i = 0; i < values.length; i++) {
    const v = values[i]!;
    // v - v is NaN exactly for NaN and ±Infinity, and cheaper than Number.isFinite.
    if (v - v !== 0) return i;
  }
  return -1;
}
