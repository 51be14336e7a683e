import { Conv2d, type Rng } from '@pgen/nn';
import * as tf from '@tensorflow/tfjs-core';

/**
 * Input gradient of a square NHWC convolution (stride s, symmetric padding p, kernel k) as a
 * stride-1 forward convolution: dy is spread onto the input grid (zeros between rows and
 * columns), padded by k−1−p before and whatever the input size needs after, and correlated with
 * the kernel flipped in space and with in/out swapped. tfjs-backend-wasm's own
 * Conv2DBackpropInput is a naive loop about 10× slower than its (XNNPACK) Conv2D, and it was
 * most of a ResNet training step; this keeps that work in the fast kernel.
 */
function convInputGrad(
  dy: tf.Tensor4D,
  filter: tf.Tensor4D,
  inputShape: [number, number, number, number],
  stride: number,
  pad: number,
): tf.Tensor4D {
  return tf.tidy(() => {
    const [n, outH, outW, outC] = dy.shape;
    const [, inH, inW] = inputShape;
    const k = filter.shape[0];
    let spread: tf.Tensor4D = dy;
    if (stride > 1) {
      // [n, oh, ow, c] → [n, oh, s, ow, s, c] with dy at offset 0 of each s×s cell.
      const cell = tf.pad(tf.reshape(dy, [n, outH, 1, outW, 1, outC]), [
        [0, 0],
        [0, 0],
        [0, stride - 1],
        [0, 0],
        [0, stride - 1],
        [0, 0],
      ]);
      spread = tf.reshape(cell, [n, outH * stride, outW * stride, outC]);
    }
    const before = k - 1 - pad;
    const afterH = inH - 1 + pad - (outH * stride - 1);
    const afterW = inW - 1 + pad - (outW * stride - 1);
    // Negative "after" padding (unused trailing rows) is a crop.
    if (afterH < 0 || afterW < 0) {
      spread = tf.slice(
        spread,
        [0, 0, 0, 0],
        [n, outH * stride + Math.min(0, afterH), outW * stride + Math.min(0, afterW), outC],
      );
    }
    const flipped = tf.transpose(tf.reverse(filter, [0, 1]), [0, 1, 3, 2]) as tf.Tensor4D;
    return tf.conv2d(spread, flipped, 1, [
      [0, 0],
      [before, Math.max(0, afterH)],
      [before, Math.max(0, afterW)],
      [0, 0],
    ]);
  });
}

/**
 * `Conv2d` (same names, layout and init) for square kernels with symmetric padding, whose
 * backward pass computes the input gradient with a forward convolution (see `convInputGrad`)
 * and the filter gradient with the backend's Conv2DBackpropFilter kernel.
 */
export class FastGradConv2d extends Conv2d {
  private readonly square: { kernel: number; stride: number; pad: number };

  constructor(
    inChannels: number,
    outChannels: number,
    kernel: number,
    options: { stride?: number; padding?: number; bias?: boolean; rng?: Rng } = {},
  ) {
    super(inChannels, outChannels, kernel, options);
    this.square = { kernel, stride: options.stride ?? 1, pad: options.padding ?? 0 };
  }

  override forward(x: tf.Tensor): tf.Tensor {
    const { stride, pad } = this.square;
    const padding: [[number, number], [number, number], [number, number], [number, number]] = [
      [0, 0],
      [pad, pad],
      [pad, pad],
      [0, 0],
    ];
    const conv = tf.customGrad((input, filter, save) => {
      const x4 = input as tf.Tensor4D;
      const f4 = filter as tf.Tensor4D;
      (save as tf.GradSaveFunc)([x4, f4]);
      return {
        value: tf.conv2d(x4, f4, stride, padding),
        gradFunc: (dy, saved) => {
          const [sx, sf] = saved as [tf.Tensor4D, tf.Tensor4D];
          const dy4 = dy as tf.Tensor4D;
          const dFilter = tf.engine().runKernel('Conv2DBackpropFilter', { x: sx, dy: dy4 }, {
            strides: [stride, stride],
            pad: padding,
            dataFormat: 'NHWC',
            dimRoundingMode: undefined,
            filterShape: sf.shape,
          } as never) as tf.Tensor;
          return [convInputGrad(dy4, sf, sx.shape, stride, pad), dFilter];
        },
      };
    });
    return tf.tidy(() => {
      const filter = tf.transpose(this.weight, [2, 3, 1, 0]);
      const y = conv(x, filter);
      return this.bias ? tf.add(y, this.bias) : y;
    });
  }
}
