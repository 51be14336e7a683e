import * as tf from '@tensorflow/tfjs-core';
import { Module } from '../module';

export interface GroupNormOptions {
  eps?: number;
  /** Learned per-channel scale and shift (default true). */
  affine?: boolean;
}

/** `torch.nn.GroupNorm` on channels-last input [batch, ..., channels]. */
export class GroupNorm extends Module {
  readonly weight: tf.Variable | undefined;
  readonly bias: tf.Variable | undefined;
  readonly eps: number;

  constructor(
    readonly numGroups: number,
    readonly numChannels: number,
    options: GroupNormOptions = {},
  ) {
    super();
    if (numChannels % numGroups !== 0) {
      throw new Error(`GroupNorm: ${numChannels} channels do not split into ${numGroups} groups`);
    }
    this.eps = options.eps ?? 1e-5;
    if (options.affine ?? true) {
      this.weight = this.addParameter('weight', tf.ones([numChannels]));
      this.bias = this.addParameter('bias', tf.zeros([numChannels]));
    }
  }

  forward(x: tf.Tensor): tf.Tensor {
    return tf.tidy(() => {
      const grouped = tf.reshape(x, [
        x.shape[0]!,
        -1,
        this.numGroups,
        this.numChannels / this.numGroups,
      ]);
      const { mean, variance } = tf.moments(grouped, [1, 3], true);
      const normalized = tf.mul(tf.sub(grouped, mean), tf.rsqrt(tf.add(variance, this.eps)));
      let y = tf.reshape(normalized, x.shape);
      if (this.weight) y = tf.add(tf.mul(y, this.weight), this.bias!);
      return y;
    });
  }
}
