import type { NamedAttrMap, TensorInfo } from '@tensorflow/tfjs-core';
import { callKernel } from '../kernels/call-kernel';
import type { WasmBackend } from './wasm-backend-types';

/** Calls another wasm kernel; the caller disposes the result with `backend.disposeData`. */
export function callWasmKernel(
  kernelName: string,
  inputs: Record<string, TensorInfo>,
  attrs: NamedAttrMap,
  backend: WasmBackend,
): TensorInfo {
  return callKernel(kernelName, 'wasm', inputs, attrs, backend);
}

/** Swaps the last two axes of `x` with the wasm Transpose kernel (a fresh, owned tensor). */
export function transposeLastTwoAxes(x: TensorInfo, backend: WasmBackend): TensorInfo {
  const rank = x.shape.length;
  const perm = [...Array(rank).keys()];
  perm[rank - 2] = rank - 1;
  perm[rank - 1] = rank - 2;
  return transposeWasm(x, perm, backend);
}

/** Permutes `x` with the wasm Transpose kernel (a fresh, owned tensor). */
export function transposeWasm(x: TensorInfo, perm: number[], backend: WasmBackend): TensorInfo {
  return callWasmKernel('Transpose', { x }, { perm }, backend);
}
