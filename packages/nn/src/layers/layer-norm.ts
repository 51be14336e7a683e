import * as tf from '@tensorflow/tfjs-core';
import { Module } from '../module';

export interface LayerNormOptions {
  eps?: number;
  /** Learned per-feature scale and shift (default true). */
  elementwiseAffine?: boolean;
}

/** `torch.nn.LayerNorm` over the last axis (weight and bias of size `normalizedShape`). */
export class LayerNorm extends Module {
  readonly weight: tf.Variable | undefined;
  readonly bias: tf.Variable | undefined;
  readonly eps: number;

  constructor(
    readonly normalizedShape: number,
    options: LayerNormOptions = {},
  ) {
    super();
    this.eps = options.eps ?? 1e-5;
    if (options.elementwiseAffine ?? true) {
      this.weight = this.addParameter('weight', tf.ones([normalizedShape]));
      this.bias = this.addParameter('bias', tf.zeros([normalizedShape]));
    }
  }

  forward(x: tf.Tensor): tf.Tensor {
    return tf.tidy(() => {
      const { mean, variance } = tf.moments(x, -1, true);
      let y = tf.mul(tf.sub(x, mean), tf.rsqrt(tf.add(variance, this.eps)));
      if (this.weight) y = tf.add(tf.mul(y, this.weight), this.bias!);
      return y;
    });
  }
}
