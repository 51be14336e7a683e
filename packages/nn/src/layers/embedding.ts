import * as tf from '@tensorflow/tfjs-core';
import { normalInit } from '../init/init';
import { Module } from '../module';
import { getDefaultRng, type Rng } from '../random/rng';

/** `torch.nn.Embedding`: weight [num, dim] initialised N(0, 1); forward takes int32 indices. */
export class Embedding extends Module {
  readonly weight: tf.Variable;

  constructor(
    readonly numEmbeddings: number,
    readonly embeddingDim: number,
    options: { rng?: Rng } = {},
  ) {
    super();
    this.weight = this.addParameter(
      'weight',
      normalInit([numEmbeddings, embeddingDim], 1, options.rng ?? getDefaultRng()),
    );
  }

  forward(indices: tf.Tensor): tf.Tensor {
    return tf.tidy(() => {
      const flat = tf.reshape(indices, [-1]);
      const rows = tf.gather(this.weight, tf.cast(flat, 'int32'), 0);
      return tf.reshape(rows, [...indices.shape, this.embeddingDim]);
    });
  }
}
