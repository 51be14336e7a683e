import {
  backend_util,
  Conv2DBackpropFilter,
  type Conv2DBackpropFilterAttrs,
  type KernelConfig,
  type KernelFunc,
  type TensorInfo,
} from '@tensorflow/tfjs-core';
import type { WasmBackend } from '../wasm-backend-types';
import { callWasmKernel, transposeWasm } from '../wasm-kernel-call';

/**
 * The filter gradient of conv2d, which tfjs-backend-wasm lacks (so conv training threw).
 *
 * dW[i, j] = X(i, j)ᵀ · dY for every filter tap (i, j), where X(i, j) is the [N·Ho·Wo, Cin]
 * matrix of inputs that tap sees. Each product runs on the wasm BatchMatMul kernel (XNNPACK);
 * building one tap's matrix at a time keeps the scratch memory at N·Ho·Wo·Cin floats instead of
 * the kh·kw times larger im2col matrix.
 */
function conv2DBackpropFilter(args: Parameters<KernelFunc>[0]): TensorInfo {
  const backend = args.backend as WasmBackend;
  const { x, dy } = args.inputs as unknown as { x: TensorInfo; dy: TensorInfo };
  const { strides, pad, dataFormat, dimRoundingMode, filterShape } =
    args.attrs as unknown as Conv2DBackpropFilterAttrs;
  const $dataFormat = backend_util.convertConv2DDataFormat(dataFormat);
  const info = backend_util.computeConv2DInfo(
    x.shape as [number, number, number, number],
    filterShape,
    strides,
    1,
    pad,
    dimRoundingMode,
    false,
    $dataFormat,
  );
  const owned: TensorInfo[] = [];
  let xNhwc = x;
  let dyNhwc = dy;
  if (info.dataFormat === 'channelsFirst') {
    xNhwc = transposeWasm(x, [0, 2, 3, 1], backend);
    dyNhwc = transposeWasm(dy, [0, 2, 3, 1], backend);
    owned.push(xNhwc, dyNhwc);
  }
  const { batchSize, inHeight, inWidth, inChannels, outHeight, outWidth, outChannels } = info;
  const { filterHeight, filterWidth, strideHeight, strideWidth } = info;
  const { top: padTop, left: padLeft } = info.padInfo;
  const rows = batchSize * outHeight * outWidth;
  const dyMatrix: TensorInfo = {
    dataId: dyNhwc.dataId,
    shape: [rows, outChannels],
    dtype: 'float32',
  };
  const tapSize = inChannels * outChannels;
  const dW = backend.makeOutput([filterHeight, filterWidth, inChannels, outChannels], 'float32');
  try {
    for (let fi = 0; fi < filterHeight; fi++) {
      for (let fj = 0; fj < filterWidth; fj++) {
        const tapT = backend.makeOutput([inChannels, rows], 'float32');
        owned.push(tapT);
        // Views are taken after every allocation: an allocation may grow (and move) the heap.
        const xs = backend.typedArrayFromHeap(xNhwc) as Float32Array;
        const tap = backend.typedArrayFromHeap(tapT) as Float32Array;
        let row = 0;
        for (let n = 0; n < batchSize; n++) {
          for (let oh = 0; oh < outHeight; oh++) {
            const ih = oh * strideHeight + fi - padTop;
            for (let ow = 0; ow < outWidth; ow++, row++) {
              const iw = ow * strideWidth + fj - padLeft;
              if (ih < 0 || ih >= inHeight || iw < 0 || iw >= inWidth) {
                for (let c = 0; c < inChannels; c++) tap[c * rows + row] = 0;
                continue;
              }
              const base = ((n * inHeight + ih) * inWidth + iw) * inChannels;
              for (let c = 0; c < inChannels; c++) tap[c * rows + row] = xs[base + c]!;
            }
          }
        }
        const product = callWasmKernel(
          'BatchMatMul',
          { a: tapT, b: dyMatrix },
          { transposeA: false, transposeB: false },
          backend,
        );
        const out = backend.typedArrayFromHeap(dW) as Float32Array;
        out.set(
          backend.typedArrayFromHeap(product) as Float32Array,
          (fi * filterWidth + fj) * tapSize,
        );
        backend.disposeData(product.dataId);
        backend.disposeData(tapT.dataId);
        owned.pop();
      }
    }
  } catch (error) {
    backend.disposeData(dW.dataId);
    throw error;
  } finally {
    for (const t of owned) backend.disposeData(t.dataId);
  }
  return dW;
}

export const conv2DBackpropFilterConfig: KernelConfig = {
  kernelName: Conv2DBackpropFilter,
  backendName: 'wasm',
  kernelFunc: conv2DBackpropFilter as unknown as KernelFunc,
};
