import * as tf from '@tensorflow/tfjs-core';
import { type AttentionOptions, scaledDotProductAttention } from '../functional';
import { uniformInit } from '../init/init';
import { Module } from '../module';
import { getDefaultRng, type Rng } from '../random/rng';
import { Linear } from './linear';

export interface MultiheadAttentionOptions {
  bias?: boolean;
  rng?: Rng;
}

/**
 * `torch.nn.MultiheadAttention` with `batch_first=True`: in_proj_weight [3E, E],
 * in_proj_bias [3E], out_proj.{weight,bias}. Inputs and output are [batch, length, E].
 */
export class MultiheadAttention extends Module {
  readonly inProjWeight: tf.Variable;
  readonly inProjBias: tf.Variable | undefined;
  readonly outProj: Linear;
  readonly headDim: number;

  constructor(
    readonly embedDim: number,
    readonly numHeads: number,
    options: MultiheadAttentionOptions = {},
  ) {
    super();
    if (embedDim % numHeads !== 0) {
      throw new Error(
        `MultiheadAttention: embedDim ${embedDim} is not divisible by ${numHeads} heads`,
      );
    }
    this.headDim = embedDim / numHeads;
    const rng = options.rng ?? getDefaultRng();
    // PyTorch: xavier_uniform_ for in_proj_weight, zeros for both biases.
    const xavier = Math.sqrt(6 / (embedDim + 3 * embedDim));
    this.inProjWeight = this.addParameter(
      'in_proj_weight',
      uniformInit([3 * embedDim, embedDim], xavier, rng),
    );
    const bias = options.bias ?? true;
    this.inProjBias = bias
      ? this.addParameter('in_proj_bias', tf.zeros([3 * embedDim]))
      : undefined;
    this.outProj = this.addModule('out_proj', new Linear(embedDim, embedDim, { bias, rng }));
    if (this.outProj.bias) {
      const zeros = tf.zeros([embedDim]);
      this.outProj.bias.assign(zeros);
      zeros.dispose();
    }
  }

  /** Self- or cross-attention; returns [batch, queryLength, E]. */
  forward(query: tf.Tensor, key = query, value = key, options: AttentionOptions = {}): tf.Tensor {
    return tf.tidy(() => {
      const e = this.embedDim;
      const [wq, wk, wv] = tf.split(this.inProjWeight, 3, 0);
      const [bq, bk, bv] = this.inProjBias ? tf.split(this.inProjBias, 3, 0) : [];
      const project = (x: tf.Tensor, w: tf.Tensor, b: tf.Tensor | undefined) => {
        const [batch, length] = x.shape as [number, number, number];
        let y = tf.matMul(tf.reshape(x, [-1, e]), w, false, true);
        if (b) y = tf.add(y, b);
        return tf.transpose(
          tf.reshape(y, [batch, length, this.numHeads, this.headDim]),
          [0, 2, 1, 3],
        );
      };
      const attended = scaledDotProductAttention(
        project(query, wq!, bq),
        project(key, wk!, bk),
        project(value, wv!, bv),
        options,
      );
      const [batch, , length] = attended.shape as [number, number, number, number];
      const merged = tf.reshape(tf.transpose(attended, [0, 2, 1, 3]), [batch, length, e]);
      return this.outProj.forward(merged);
    });
  }
}
