import * as tf from '@tensorflow/tfjs-core';
import { defaultBound, uniformInit } from '../init/init';
import { Module } from '../module';
import { getDefaultRng, type Rng } from '../random/rng';

export interface LinearOptions {
  /** Add a learned bias (default true). */
  bias?: boolean;
  /** Seeded source for PyTorch's default initialisation (default: the global generator). */
  rng?: Rng;
}

/** y = x·Wᵀ + b over the last axis; `weight` is [out, in] as in `torch.nn.Linear`. */
export class Linear extends Module {
  readonly weight: tf.Variable;
  readonly bias: tf.Variable | undefined;

  constructor(
    readonly inFeatures: number,
    readonly outFeatures: number,
    options: LinearOptions = {},
  ) {
    super();
    const rng = options.rng ?? getDefaultRng();
    const bound = defaultBound(inFeatures);
    this.weight = this.addParameter('weight', uniformInit([outFeatures, inFeatures], bound, rng));
    this.bias =
      options.bias === false
        ? undefined
        : this.addParameter('bias', uniformInit([outFeatures], bound, rng));
  }

  forward(x: tf.Tensor): tf.Tensor {
    return tf.tidy(() => {
      const lead = x.shape.slice(0, -1);
      const flat = x.rank === 2 ? x : tf.reshape(x, [-1, this.inFeatures]);
      let y = tf.matMul(flat, this.weight, false, true);
      if (this.bias) y = tf.add(y, this.bias);
      return x.rank === 2 ? y : tf.reshape(y, [...lead, this.outFeatures]);
    });
  }
}
