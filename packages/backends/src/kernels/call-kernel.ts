import {
  getKernel,
  type KernelBackend,
  type NamedAttrMap,
  type TensorInfo,
} from '@tensorflow/tfjs-core';

/**
 * Calls another kernel of the same backend from inside a kernel. Its output is not tracked by
 * the engine, so the caller disposes it with `backend.disposeData(out.dataId)`.
 */
export function callKernel(
  kernelName: string,
  backendName: string,
  inputs: Record<string, TensorInfo>,
  attrs: NamedAttrMap,
  backend: KernelBackend,
): TensorInfo {
  const kernel = getKernel(kernelName, backendName);
  if (kernel == null) throw new Error(`${backendName} backend has no ${kernelName} kernel`);
  return kernel.kernelFunc({ inputs, attrs, backend }) as TensorInfo;
}
