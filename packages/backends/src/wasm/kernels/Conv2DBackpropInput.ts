import {
  backend_util,
  Conv2DBackpropInput,
  type Conv2DBackpropInputAttrs,
  type KernelConfig,
  type KernelFunc,
  type TensorInfo,
} from '@tensorflow/tfjs-core';
import type { WasmBackend } from '../wasm-backend-types';
import { callWasmKernel, transposeWasm } from '../wasm-kernel-call';

/**
 * The input gradient of conv2d as a forward convolution, so that XNNPACK runs it:
 * tfjs-backend-wasm's own Conv2DBackpropInput is a plain loop about 10× slower than its Conv2D,
 * and was most of a ResNet training step.
 *
 * dx = conv2d(spread(dy), flip(W)ᵀ, stride 1, 'valid'), where spread(dy) places dy[n, i, j] at
 * (kh−1−padTop + i·sh, kw−1−padLeft + j·sw) on a zero grid of (inH+kh−1) × (inW+kw−1), and the
 * filter is mirrored in space with its in/out channels swapped.
 */
function conv2DBackpropInput(args: Parameters<KernelFunc>[0]): TensorInfo {
  const backend = args.backend as WasmBackend;
  const { dy, filter } = args.inputs as unknown as { dy: TensorInfo; filter: TensorInfo };
  const { strides, pad, dataFormat, dimRoundingMode, inputShape } =
    args.attrs as unknown as Conv2DBackpropInputAttrs;
  const $dataFormat = backend_util.convertConv2DDataFormat(dataFormat);
  const info = backend_util.computeConv2DInfo(
    inputShape,
    filter.shape as [number, number, number, number],
    strides,
    1,
    pad,
    dimRoundingMode,
    false,
    $dataFormat,
  );
  const { batchSize, inHeight, inWidth, inChannels, outHeight, outWidth, outChannels } = info;
  const { filterHeight: kh, filterWidth: kw, strideHeight: sh, strideWidth: sw } = info;
  const { top: padTop, left: padLeft } = info.padInfo;
  const owned: TensorInfo[] = [];
  try {
    let dyNhwc = dy;
    if (info.dataFormat === 'channelsFirst') {
      dyNhwc = transposeWasm(dy, [0, 2, 3, 1], backend);
      owned.push(dyNhwc);
    }
    const gridH = inHeight + kh - 1;
    const gridW = inWidth + kw - 1;
    const grid = backend.makeOutput([batchSize, gridH, gridW, outChannels], 'float32');
    owned.push(grid);
    const flipped = backend.makeOutput([kh, kw, outChannels, inChannels], 'float32');
    owned.push(flipped);
    // Views after the allocations: an allocation may grow (and move) the heap.
    const dys = backend.typedArrayFromHeap(dyNhwc) as Float32Array;
    const g = backend.typedArrayFromHeap(grid) as Float32Array;
    g.fill(0);
    for (let n = 0; n < batchSize; n++) {
      for (let i = 0; i < outHeight; i++) {
        const y = kh - 1 - padTop + i * sh;
        if (y < 0 || y >= gridH) continue;
        for (let j = 0; j < outWidth; j++) {
          const x = kw - 1 - padLeft + j * sw;
          if (x < 0 || x >= gridW) continue;
          const src = ((n * outHeight + i) * outWidth + j) * outChannels;
          g.set(dys.subarray(src, src + outChannels), ((n * gridH + y) * gridW + x) * outChannels);
        }
      }
    }
    const w = backend.typedArrayFromHeap(filter) as Float32Array;
    const f = backend.typedArrayFromHeap(flipped) as Float32Array;
    for (let a = 0; a < kh; a++) {
      for (let b = 0; b < kw; b++) {
        const from = ((kh - 1 - a) * kw + (kw - 1 - b)) * inChannels * outChannels;
        const to = (a * kw + b) * outChannels * inChannels;
        for (let ci = 0; ci < inChannels; ci++) {
          for (let co = 0; co < outChannels; co++) {
            f[to + co * inChannels + ci] = w[from + ci * outChannels + co]!;
          }
        }
      }
    }
    const dx = callWasmKernel(
      'Conv2D',
      { x: grid, filter: flipped },
      { strides: [1, 1], pad: 'valid', dataFormat: 'NHWC', dilations: [1, 1] },
      backend,
    );
    if (info.dataFormat !== 'channelsFirst') return dx;
    owned.push(dx);
    return transposeWasm(dx, [0, 3, 1, 2], backend);
  } finally {
    for (const t of owned) backend.disposeData(t.dataId);
  }
}

export const conv2DBackpropInputConfig: KernelConfig = {
  kernelName: Conv2DBackpropInput,
  backendName: 'wasm',
  kernelFunc: conv2DBackpropInput as unknown as KernelFunc,
};
