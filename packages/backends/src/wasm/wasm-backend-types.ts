import type { DataType, KernelBackend, TensorInfo } from '@tensorflow/tfjs-core';

/**
 * The part of tfjs-backend-wasm's `BackendWasm` that pgen's kernels use. Declared here rather
 * than imported so that the kernels type-check against the public surface they rely on.
 */
export interface WasmBackend extends KernelBackend {
  makeOutput(shape: number[], dtype: DataType, memoryOffset?: number): TensorInfo;
  /** A view on the wasm heap: valid only until the next allocation may grow the heap. */
  typedArrayFromHeap(info: TensorInfo): Float32Array | Int32Array | Uint8Array;
  disposeData(dataId: object, force?: boolean): boolean;
}
