import type { CumsumAttrs, KernelBackend, KernelFunc, TensorInfo } from '@tensorflow/tfjs-core';
import { callKernel } from '../../kernels/call-kernel';

/**
 * tfjs-backend-webgpu 4.22 bakes the scanned axis length into its reverse cumsum shader but
 * leaves it out of the shader's cache key, so a reverse cumsum reuses a shader compiled for
 * another length and returns wrong sums. The forward shader has no such constant: run reverse
 * sums as reverse → forward cumsum → reverse.
 */
export function withForwardOnlyCumsum(original: KernelFunc): KernelFunc {
  return (args) => {
    const { axis, exclusive, reverse } = args.attrs as unknown as CumsumAttrs;
    if (!reverse) return original(args);
    const backend = args.backend as KernelBackend;
    const { x } = args.inputs as unknown as { x: TensorInfo };
    const rank = x.shape.length;
    const dims = [axis < 0 ? axis + rank : axis];
    const flipped = callKernel('Reverse', 'webgpu', { x }, { dims }, backend);
    try {
      const summed = original({
        inputs: { x: flipped },
        backend,
        attrs: { axis, exclusive, reverse: false },
      }) as TensorInfo;
      try {
        return callKernel('Reverse', 'webgpu', { x: summed }, { dims }, backend);
      } finally {
        backend.disposeData(summed.dataId);
      }
    } finally {
      backend.disposeData(flipped.dataId);
    }
  };
}
