import * as tf from '@tensorflow/tfjs-core';
import { Module } from '../module';
import { getDefaultRng, type Rng } from '../random/rng';

/** `torch.nn.Dropout`: zeroes with probability p and rescales by 1/(1−p), in training only. */
export class Dropout extends Module {
  private readonly rng: Rng;

  constructor(
    readonly p = 0.5,
    options: { rng?: Rng } = {},
  ) {
    super();
    if (!(p >= 0 && p < 1)) throw new Error(`Dropout: p must be in [0, 1), got ${p}`);
    this.rng = options.rng ?? getDefaultRng();
  }

  forward(x: tf.Tensor): tf.Tensor {
    if (!this.training || this.p === 0) return tf.clone(x);
    // A fresh seed per call from the module's generator: reproducible runs, distinct masks.
    return tf.dropout(x, this.p, undefined, this.rng.int(2 ** 31));
  }
}
