import type { KernelFunc, TensorInfo } from '@tensorflow/tfjs-core';
import type { WasmBackend } from '../wasm-backend-types';
import { transposeLastTwoAxes } from '../wasm-kernel-call';

/**
 * Wraps the wasm BatchMatMul or _FusedMatMul kernel (both take inputs `a`, `b` and attrs
 * `transposeA`, `transposeB`).
 *
 * tfjs-backend-wasm hands transposed operands to XNNPACK's slow strided path (a 256×256 by
 * 256×1024 product: 5 ms plain, 170 ms with transposeA, 40 ms with transposeB). Every backward
 * pass of a dense layer uses both flags, so transpose the operand explicitly (a memory-bound
 * copy, far cheaper than the product) and run the fast untransposed product.
 */
export function withExplicitTranspose(original: KernelFunc): KernelFunc {
  return (args) => {
    const inputs = args.inputs as unknown as Record<string, TensorInfo>;
    const { transposeA, transposeB } = args.attrs as { transposeA?: boolean; transposeB?: boolean };
    if (!transposeA && !transposeB) return original(args);
    const backend = args.backend as WasmBackend;
    const owned: TensorInfo[] = [];
    const a = transposeA ? transposeLastTwoAxes(inputs.a!, backend) : inputs.a!;
    if (transposeA) owned.push(a);
    const b = transposeB ? transposeLastTwoAxes(inputs.b!, backend) : inputs.b!;
    if (transposeB) owned.push(b);
    try {
      return original({
        inputs: { ...inputs, a, b },
        backend,
        attrs: { ...args.attrs, transposeA: false, transposeB: false },
      });
    } finally {
      for (const t of owned) backend.disposeData(t.dataId);
    }
  };
}
