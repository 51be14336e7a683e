import {
  backend_util,
  DepthwiseConv2dNativeBackpropFilter,
  type DepthwiseConv2dNativeBackpropFilterAttrs,
  type KernelConfig,
  type KernelFunc,
  type TensorInfo,
} from '@tensorflow/tfjs-core';
import type { WasmBackend } from '../wasm-backend-types';

/**
 * The filter gradient of depthwise conv2d (and so of causal depthwise conv1d, as in Mamba),
 * which tfjs-backend-wasm lacks. Each output element is a dot product over batch and output
 * positions; depthwise filters are small, so a direct loop over the heap is enough.
 */
function depthwiseConv2dNativeBackpropFilter(args: Parameters<KernelFunc>[0]): TensorInfo {
  const backend = args.backend as WasmBackend;
  const { x, dy } = args.inputs as unknown as { x: TensorInfo; dy: TensorInfo };
  const { strides, dilations, pad, dimRoundingMode, filterShape } =
    args.attrs as unknown as DepthwiseConv2dNativeBackpropFilterAttrs;
  const info = backend_util.computeConv2DInfo(
    x.shape as [number, number, number, number],
    filterShape,
    strides,
    dilations,
    pad,
    dimRoundingMode,
    true,
  );
  const { batchSize, inHeight, inWidth, inChannels, outHeight, outWidth, outChannels } = info;
  const { filterHeight, filterWidth, strideHeight, strideWidth } = info;
  const { dilationHeight, dilationWidth } = info;
  const { top: padTop, left: padLeft } = info.padInfo;
  const multiplier = outChannels / inChannels;
  const dW = backend.makeOutput([filterHeight, filterWidth, inChannels, multiplier], 'float32');
  const xs = backend.typedArrayFromHeap(x) as Float32Array;
  const dys = backend.typedArrayFromHeap(dy) as Float32Array;
  const out = backend.typedArrayFromHeap(dW) as Float32Array;
  out.fill(0);
  for (let n = 0; n < batchSize; n++) {
    for (let oh = 0; oh < outHeight; oh++) {
      for (let ow = 0; ow < outWidth; ow++) {
        const dyBase = ((n * outHeight + oh) * outWidth + ow) * outChannels;
        for (let fi = 0; fi < filterHeight; fi++) {
          const ih = oh * strideHeight + fi * dilationHeight - padTop;
          if (ih < 0 || ih >= inHeight) continue;
          for (let fj = 0; fj < filterWidth; fj++) {
            const iw = ow * strideWidth + fj * dilationWidth - padLeft;
            if (iw < 0 || iw >= inWidth) continue;
            const xBase = ((n * inHeight + ih) * inWidth + iw) * inChannels;
            const wBase = (fi * filterWidth + fj) * outChannels;
            for (let c = 0; c < inChannels; c++) {
              const xv = xs[xBase + c]!;
              for (let m = 0; m < multiplier; m++) {
                const oc = c * multiplier + m;
                out[wBase + oc]! += xv * dys[dyBase + oc]!;
              }
            }
          }
        }
      }
    }
  }
  return dW;
}

export const depthwiseConv2dNativeBackpropFilterConfig: KernelConfig = {
  kernelName: DepthwiseConv2dNativeBackpropFilter,
  backendName: 'wasm',
  kernelFunc: depthwiseConv2dNativeBackpropFilter as unknown as KernelFunc,
};
