import { type AnyTypedArray, type DType, dtypeSize, viewTypedArray } from './dtype';
import type { TensorData } from './state-dict';

/** The bytes of a typed array, without copying. */
export function bytesOf(data: AnyTypedArray): Uint8Array {
  return new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
}

/**
 * Copies `bytes` into a fresh, aligned buffer and views it as `dtype`.
 * Copying is what lets callers pass slices at any offset of a larger read.
 */
export function typedArrayFromBytes(dtype: DType, bytes: Uint8Array): TensorData['data'] {
  const size = dtypeSize(dtype);
  const copy = new Uint8Array(bytes.byteLength);
  copy.set(bytes);
  return viewTypedArray(dtype, copy.buffer, 0, bytes.byteLength / size);
}

/** Views `bytes` as `dtype` without copying when aligned, copying otherwise. */
export function viewOrCopy(dtype: DType, bytes: Uint8Array): TensorData['data'] {
  const size = dtypeSize(dtype);
  if (bytes.byteOffset % size === 0) {
    return viewTypedArray(dtype, bytes.buffer, bytes.byteOffset, bytes.byteLength / size);
  }
  return typedArrayFromBytes(dtype, bytes);
}

/** Reverses the byte order of every `elementSize`-byte element, in place. */
export function swapByteOrder(bytes: Uint8Array, elementSize: number): void {
  if (elementSize === 1) return;
  for (let i = 0; i + elementSize <= bytes.length; i += elementSize) {
    for (let a = i, b = i + elementSize - 1; a < b; a++, b--) {
      const t = bytes[a]!;
      bytes[a] = bytes[b]!;
      bytes[b] = t;
    }
  }
}

/** Every reader and writer here assumes a little-endian host, as safetensors does. */
export const HOST_IS_LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;
