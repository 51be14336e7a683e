import type { KernelBackend, KernelFunc, TensorInfo } from '@tensorflow/tfjs-core';

/** WebGPU's guaranteed minimum of storage buffers per shader stage. */
const DEFAULT_STORAGE_BUFFERS = 8;

/**
 * tfjs-backend-webgpu 4.22 compiles AddN into one shader with a storage buffer per input, so
 * more than (maxStorageBuffersPerShaderStage − 1) inputs — 7 on adapters at WebGPU's minimum,
 * lavapipe among them — make an invalid pipeline and the sum silently comes out wrong. Summing a
 * gradient norm over a model's parameters does exactly that. Add in groups that fit, then add
 * the partial sums.
 */
export function withBoundedAddN(original: KernelFunc): KernelFunc {
  return (args) => {
    const inputs = args.inputs as unknown as TensorInfo[];
    const backend = args.backend as KernelBackend & {
      device?: { limits?: { maxStorageBuffersPerShaderStage?: number } };
    };
    const limit =
      backend.device?.limits?.maxStorageBuffersPerShaderStage ?? DEFAULT_STORAGE_BUFFERS;
    const group = Math.max(2, limit - 1);
    if (inputs.length <= group) return original(args);
    // A lone last input joins the partial sums as it is (and is not ours to dispose).
    const partials: TensorInfo[] = [];
    const owned: TensorInfo[] = [];
    try {
      for (let i = 0; i < inputs.length; i += group) {
        const chunk = inputs.slice(i, i + group);
        if (chunk.length === 1) {
          partials.push(chunk[0]!);
          continue;
        }
        const sum = original({ ...args, inputs: chunk as never }) as TensorInfo;
        partials.push(sum);
        owned.push(sum);
      }
      return withBoundedAddN(original)({ ...args, inputs: partials as never }) as TensorInfo;
    } finally {
      for (const t of owned) backend.disposeData(t.dataId);
    }
  };
}
