// Side-effect module: makes the wasm backend able to train. Importing tfjs-backend-wasm first
// registers its own kernels, which the overrides below wrap.
import '@tensorflow/tfjs-backend-wasm';
import { _FusedMatMul, BatchMatMul } from '@tensorflow/tfjs-core';
import { overrideKernel, registerMissingKernel, replaceKernel } from '../kernels/override-kernel';
import { withExplicitTranspose } from './kernels/BatchMatMul';
import { conv2DBackpropFilterConfig } from './kernels/Conv2DBackpropFilter';
import { conv2DBackpropInputConfig } from './kernels/Conv2DBackpropInput';
import { depthwiseConv2dNativeBackpropFilterConfig } from './kernels/DepthwiseConv2dNativeBackpropFilter';
import { depthwiseConv2dNativeBackpropInputConfig } from './kernels/DepthwiseConv2dNativeBackpropInput';
import { unsortedSegmentSumConfig } from './kernels/UnsortedSegmentSum';

const addedKernels = [
  conv2DBackpropFilterConfig,
  depthwiseConv2dNativeBackpropFilterConfig,
  depthwiseConv2dNativeBackpropInputConfig,
  unsortedSegmentSumConfig,
];

/** Kernels pgen adds to tfjs-backend-wasm, by name (for tests and `pgen backends`). */
export const ADDED_WASM_KERNELS: readonly string[] = addedKernels.map((c) => c.kernelName);
/** Kernels pgen replaces with faster ones built on XNNPACK's forward convolution. */
export const REPLACED_WASM_KERNELS: readonly string[] = [conv2DBackpropInputConfig.kernelName];
/** Kernels pgen wraps so that transposed operands take the fast path. */
export const PATCHED_WASM_KERNELS: readonly string[] = [BatchMatMul, _FusedMatMul];

for (const config of addedKernels) registerMissingKernel(config);
replaceKernel(conv2DBackpropInputConfig);
for (const name of PATCHED_WASM_KERNELS) overrideKernel(name, 'wasm', withExplicitTranspose);
