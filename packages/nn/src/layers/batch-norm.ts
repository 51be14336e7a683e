import * as tf from '@tensorflow/tfjs-core';
import { Module } from '../module';

export interface BatchNormOptions {
  eps?: number;
  /** Weight of the newest batch in the running statistics (default 0.1, as PyTorch). */
  momentum?: number;
  /** Learned scale and shift (default true). */
  affine?: boolean;
  /** Keep running statistics for eval mode (default true). */
  trackRunningStats?: boolean;
}

/**
 * Batch normalisation over the last (channel) axis, with PyTorch's semantics: training mode
 * normalises with the biased batch variance and folds the *unbiased* one into `running_var`;
 * eval mode uses the running statistics. Entries: weight, bias, running_mean, running_var,
 * num_batches_tracked (int64 in the state dict).
 */
class BatchNorm extends Module {
  readonly weight: tf.Variable | undefined;
  readonly bias: tf.Variable | undefined;
  readonly runningMean: tf.Variable | undefined;
  readonly runningVar: tf.Variable | undefined;
  readonly numBatchesTracked: tf.Variable | undefined;
  readonly eps: number;
  readonly momentum: number;

  constructor(
    readonly numFeatures: number,
    options: BatchNormOptions = {},
  ) {
    super();
    this.eps = options.eps ?? 1e-5;
    this.momentum = options.momentum ?? 0.1;
    if (options.affine ?? true) {
      this.weight = this.addParameter('weight', tf.ones([numFeatures]));
      this.bias = this.addParameter('bias', tf.zeros([numFeatures]));
    }
    if (options.trackRunningStats ?? true) {
      this.runningMean = this.addBuffer('running_mean', tf.zeros([numFeatures]));
      this.runningVar = this.addBuffer('running_var', tf.ones([numFeatures]));
      this.numBatchesTracked = this.addBuffer('num_batches_tracked', tf.scalar(0, 'int32'), {
        exportAs: 'I64',
      });
    }
  }

  forward(x: tf.Tensor): tf.Tensor {
    const c = x.shape[x.rank - 1];
    if (c !== this.numFeatures) {
      throw new Error(
        `${this.constructor.name}: expected ${this.numFeatures} channels last, got shape [${x.shape}]`,
      );
    }
    const useBatchStats = this.training || !this.runningMean;
    if (!useBatchStats) return this.normalize(x, this.runningMean!, this.runningVar!);
    const axes = [...Array(x.rank - 1).keys()];
    const { mean, variance } = tf.moments(x, axes);
    if (this.training && this.runningMean && this.runningVar && this.numBatchesTracked) {
      const n = x.size / c;
      if (n < 2) {
        tf.dispose([mean, variance]);
        throw new Error(
          `${this.constructor.name}: training needs more than one value per channel, got shape [${x.shape}]`,
        );
      }
      // Running statistics are state: assignments are not recorded on the gradient tape.
      const m = this.momentum;
      const [newMean, newVar, newCount] = tf.tidy(() => [
        tf.add(tf.mul(this.runningMean!, 1 - m), tf.mul(mean, m)),
        tf.add(tf.mul(this.runningVar!, 1 - m), tf.mul(variance, (m * n) / (n - 1))),
        tf.add(this.numBatchesTracked!, tf.scalar(1, 'int32')),
      ]);
      this.runningMean.assign(newMean);
      this.runningVar.assign(newVar);
      this.numBatchesTracked.assign(newCount);
      tf.dispose([newMean, newVar, newCount]);
    }
    const y = this.normalize(x, mean, variance);
    tf.dispose([mean, variance]);
    return y;
  }

  /**
   * (x − mean)·(γ/√(var + ε)) + β with broadcasting element-wise ops rather than
   * `tf.batchNorm`, whose gradient materialises every broadcast with Tile: on wasm that cost as
   * much as the convolutions of a ResNet training step. The element-wise form reduces instead.
   */
  private normalize(x: tf.Tensor, mean: tf.Tensor, variance: tf.Tensor): tf.Tensor {
    return tf.tidy(() => {
      let scale: tf.Tensor = tf.rsqrt(tf.add(variance, this.eps));
      if (this.weight) scale = tf.mul(scale, this.weight);
      const y = tf.mul(tf.sub(x, mean), scale);
      return this.bias ? tf.add(y, this.bias) : y;
    });
  }
}

/** `torch.nn.BatchNorm1d` on [batch, channels] or [batch, length, channels] (channels last). */
export class BatchNorm1d extends BatchNorm {}

/** `torch.nn.BatchNorm2d` on NHWC images. */
export class BatchNorm2d extends BatchNorm {}
