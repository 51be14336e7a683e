import {
  backend_util,
  DepthwiseConv2dNativeBackpropInput,
  type DepthwiseConv2dNativeBackpropInputAttrs,
  type KernelConfig,
  type KernelFunc,
  type TensorInfo,
} from '@tensorflow/tfjs-core';
import type { WasmBackend } from '../wasm-backend-types';

/**
 * The input gradient of depthwise conv2d, which tfjs-backend-wasm lacks: every output gradient
 * is scattered back through the filter taps that produced it.
 */
function depthwiseConv2dNativeBackpropInput(args: Parameters<KernelFunc>[0]): TensorInfo {
  const backend = args.backend as WasmBackend;
  const { dy, filter } = args.inputs as unknown as { dy: TensorInfo; filter: TensorInfo };
  const { strides, dilations, pad, dimRoundingMode, inputShape } =
    args.attrs as unknown as DepthwiseConv2dNativeBackpropInputAttrs;
  const info = backend_util.computeConv2DInfo(
    inputShape,
    filter.shape as [number, number, number, number],
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
  const dx = backend.makeOutput([...inputShape], 'float32');
  const dys = backend.typedArrayFromHeap(dy) as Float32Array;
  const ws = backend.typedArrayFromHeap(filter) as Float32Array;
  const out = backend.typedArrayFromHeap(dx) as Float32Array;
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
              let acc = 0;
              for (let m = 0; m < multiplier; m++) {
                const oc = c * multiplier + m;
                acc += dys[dyBase + oc]! * ws[wBase + oc]!;
              }
              out[xBase + c]! += acc;
            }
          }
        }
      }
    }
  }
  return dx;
}

export const depthwiseConv2dNativeBackpropInputConfig: KernelConfig = {
  kernelName: DepthwiseConv2dNativeBackpropInput,
  backendName: 'wasm',
  kernelFunc: depthwiseConv2dNativeBackpropInput as unknown as KernelFunc,
};
