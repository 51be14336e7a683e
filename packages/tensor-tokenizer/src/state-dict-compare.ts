import { type TensorData, toFloat32 } from '@pgen/checkpoint-io';

/** True when both tensors have the same dtype, shape and bytes (NaN payloads and -0 included). */
export function tensorsBitEqual(a: TensorData, b: TensorData): boolean {
  if (a.dtype !== b.dtype || a.shape.join() !== b.shape.join()) return false;
  const x = new Uint8Array(a.data.buffer, a.data.byteOffset, a.data.byteLength);
  const y = new Uint8Array(b.data.buffer, b.data.byteOffset, b.data.byteLength);
  return x.length === y.length && x.every((v, i) => v === y[i]);
}

function valuesOf(tensor: TensorData): ArrayLike<number> {
  if (tensor.dtype === 'F64') return tensor.data as Float64Array;
  return toFloat32(tensor);
}

/**
 * The largest `|a - b|` over a tensor divided by the largest `|b|` (its scale); 0 for equal
 * tensors, Infinity when dtype or shape differ.
 */
export function relativeError(a: TensorData, b: TensorData): number {
  if (a.dtype !== b.dtype || a.shape.join() !== b.shape.join()) return Number.POSITIVE_INFINITY;
  const x = valuesOf(a);
  const y = valuesOf(b);
  let worst = 0;
  let scale = 0;
  for (let i = 0; i < y.length; i++) {
    worst = Math.max(worst, Math.abs(x[i]! - y[i]!));
    scale = Math.max(scale, Math.abs(y[i]!));
  }
  return worst === 0 ? 0 : worst / scale;
}
