import type { DType } from './dtype';
import type { TensorData } from './state-dict';

const f32 = new Float32Array(1);
const u32 = new Uint32Array(f32.buffer);

/** IEEE 754 binary16 bits → number. */
export function f16BitsToNumber(bits: number): number {
  const sign = bits & 0x8000 ? -1 : 1;
  const exp = (bits >> 10) & 0x1f;
  const frac = bits & 0x3ff;
  if (exp === 0) return sign * frac * 2 ** -24;
  if (exp === 0x1f) return frac ? Number.NaN : sign * Number.POSITIVE_INFINITY;
  return sign * (1 + frac / 1024) * 2 ** (exp - 15);
}

/** number → IEEE 754 binary16 bits, rounding to nearest even (as PyTorch's `.half()` does). */
export function numberToF16Bits(value: number): number {
  f32[0] = value;
  const x = u32[0]!;
  const sign = (x >>> 16) & 0x8000;
  const exp = (x >>> 23) & 0xff;
  let mant = x & 0x7fffff;
  if (exp === 0xff) return sign | 0x7c00 | (mant ? 0x200 : 0);
  const e = exp - 127 + 15;
  if (e >= 0x1f) return sign | 0x7c00;
  if (e <= 0) {
    if (e < -10) return sign;
    mant |= 0x800000;
    const shift = 14 - e;
    let half = mant >>> shift;
    const rem = mant & ((1 << shift) - 1);
    const mid = 1 << (shift - 1);
    if (rem > mid || (rem === mid && half & 1)) half++;
    return sign | half;
  }
  let half = (e << 10) | (mant >>> 13);
  const rem = mant & 0x1fff;
  if (rem > 0x1000 || (rem === 0x1000 && half & 1)) half++;
  // A carry out of the mantissa correctly bumps the exponent (and overflows to Inf).
  return sign | half;
}

/** bfloat16 bits → number (bf16 is the top half of a float32). */
export function bf16BitsToNumber(bits: number): number {
  u32[0] = bits << 16;
  return f32[0]!;
}

/** number → bfloat16 bits, rounding to nearest even; NaN stays NaN. */
export function numberToBf16Bits(value: number): number {
  f32[0] = value;
  const x = u32[0]!;
  if ((x & 0x7f800000) === 0x7f800000 && x & 0x7fffff) return ((x >>> 16) | 0x40) & 0xffff;
  const rounded = x + 0x7fff + ((x >>> 16) & 1);
  return (rounded >>> 16) & 0xffff;
}

/** Values of any tensor as float32 (F16/BF16 decoded, integers and 64-bit floats cast). */
export function toFloat32(tensor: TensorData): Float32Array {
  const { dtype, data } = tensor;
  const out = new Float32Array(data.length);
  if (dtype === 'F16') {
    const bits = data as Uint16Array;
    for (let i = 0; i < bits.length; i++) out[i] = f16BitsToNumber(bits[i]!);
  } else if (dtype === 'BF16') {
    const bits = data as Uint16Array;
    for (let i = 0; i < bits.length; i++) out[i] = bf16BitsToNumber(bits[i]!);
  } else if (dtype === 'I64' || dtype === 'U64') {
    const big = data as BigInt64Array | BigUint64Array;
    for (let i = 0; i < big.length; i++) out[i] = Number(big[i]!);
  } else {
    out.set(data as ArrayLike<number>);
  }
  return out;
}

/** Encodes float32 values as a tensor of `dtype` (F16/BF16 as raw bits, rounding to nearest even). */
export function fromFloat32(values: Float32Array, shape: number[], dtype: DType): TensorData {
  switch (dtype) {
    case 'F32':
      return { dtype, shape: [...shape], data: values };
    case 'F16':
    case 'BF16': {
      const encode = dtype === 'F16' ? numberToF16Bits : numberToBf16Bits;
      const bits = new Uint16Array(values.length);
      for (let i = 0; i < values.length; i++) bits[i] = encode(values[i]!);
      return { dtype, shape: [...shape], data: bits };
    }
    case 'F64':
      return { dtype, shape: [...shape], data: Float64Array.from(values) };
    default:
      throw new TypeError(`fromFloat32: cannot encode float values as ${dtype}`);
  }
}
