import {
  type DType,
  isFloatingDType,
  type StateDict,
  type TensorData,
  toFloat32,
} from '@pgen/checkpoint-io';
import { type Tensor, tensor } from '@tensorflow/tfjs-core';

/** How a module entry is written to a state dict: float32, or int64 for counters. */
export type ExportDType = 'F32' | 'I64';

/**
 * A checkpoint tensor as a tfjs tensor: floating types become float32, integer types int32
 * (values outside int32 are refused rather than wrapped). Returns a reason string instead of
 * throwing when the tensor cannot be used, so the caller can report every problem at once.
 */
export function tensorDataToTensor(data: TensorData, as: ExportDType): Tensor | string {
  if (as === 'F32') {
    if (!isFloatingDType(data.dtype))
      return `dtype ${data.dtype} where a floating tensor is expected`;
    const values = toFloat32(data);
    for (let i = 0; i < values.length; i++) {
      if (!Number.isFinite(values[i]!)) return `non-finite value (${values[i]}) at element ${i}`;
    }
    return tensor(values, data.shape, 'float32');
  }
  if (isFloatingDType(data.dtype) || data.dtype === 'BOOL') {
    return `dtype ${data.dtype} where an integer tensor is expected`;
  }
  const out = new Int32Array(data.data.length);
  for (let i = 0; i < out.length; i++) {
    const v = Number(data.data[i] as number | bigint);
    if (!Number.isSafeInteger(v) || v < -(2 ** 31) || v >= 2 ** 31)
      return `value ${v} exceeds int32`;
    out[i] = v;
  }
  return tensor(out, data.shape, 'int32');
}

/** Reads a tfjs tensor back as checkpoint data of `as` (awaits, so it works on WebGPU). */
export async function tensorToTensorData(t: Tensor, as: ExportDType): Promise<TensorData> {
  const values = await t.data();
  if (as === 'I64') {
    return {
      dtype: 'I64',
      shape: [...t.shape],
      data: BigInt64Array.from(values as Int32Array, (v) => BigInt(v)),
    };
  }
  return { dtype: 'F32', shape: [...t.shape], data: Float32Array.from(values as Float32Array) };
}

export type { DType, StateDict, TensorData };
