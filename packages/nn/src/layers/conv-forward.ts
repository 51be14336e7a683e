import * as tf from '@tensorflow/tfjs-core';
import type { toTfjsPadding } from './conv-padding';

export interface ConvGeometry {
  inChannels: number;
  stride: [number, number];
  dilation: [number, number];
  groups: number;
  pad: ReturnType<typeof toTfjsPadding>;
}

/**
 * NHWC convolution with a PyTorch-layout weight [out, in/groups, kh, kw], shared by Conv2d and
 * Conv1d. The weight is rearranged to tfjs's filter layout on every call, so gradients reach
 * the PyTorch-layout parameter directly.
 */
export function convolveNhwc(
  x: tf.Tensor,
  weight: tf.Tensor,
  bias: tf.Tensor | undefined,
  g: ConvGeometry,
): tf.Tensor4D {
  return tf.tidy(() => {
    const x4 = x as tf.Tensor4D;
    let y: tf.Tensor4D;
    if (g.groups === 1) {
      const filter = tf.transpose(weight, [2, 3, 1, 0]) as tf.Tensor4D;
      y = tf.conv2d(x4, filter, g.stride, g.pad as never, 'NHWC', g.dilation);
    } else {
      // Depthwise: PyTorch groups output channels c·m … c·m+m−1 under input channel c, the
      // same order as tfjs's [kh, kw, in, multiplier] filter.
      const [out, , kh, kw] = weight.shape as [number, number, number, number];
      const multiplier = out / g.inChannels;
      const filter = tf.transpose(
        tf.reshape(weight, [g.inChannels, multiplier, kh, kw]),
        [2, 3, 0, 1],
      ) as tf.Tensor4D;
      y = tf.depthwiseConv2d(x4, filter, g.stride, g.pad as never, 'NHWC', g.dilation);
    }
    return bias ? tf.add(y, bias) : y;
  });
}

/** Refuses group counts tfjs cannot run (anything but 1 and depthwise). */
export function assertSupportedGroups(
  layer: string,
  groups: number,
  inChannels: number,
  outChannels: number,
): void {
  if (groups !== 1 && !(groups === inChannels && outChannels % inChannels === 0)) {
    throw new Error(
      `${layer}: groups=${groups} is not supported (only 1, or inChannels for depthwise)`,
    );
  }
}
