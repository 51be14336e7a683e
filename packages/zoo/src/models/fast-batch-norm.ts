import { BatchNorm2d } from '@pgen/nn';
import * as tf from '@tensorflow/tfjs-core';

/**
 * `BatchNorm2d` (same names, buffers and semantics) whose training-mode normalisation is
 * written with broadcasting element-wise ops instead of `tf.batchNorm`: tfjs-core's batchNorm
 * gradient materialises every broadcast with Tile, which cost as much as the convolutions of a
 * ResNet step on wasm; the element-wise form reduces instead.
 */
export class FastBatchNorm2d extends BatchNorm2d {
  override forward(x: tf.Tensor): tf.Tensor {
    if (!this.training || !this.runningMean || !this.runningVar || !this.numBatchesTracked) {
      return super.forward(x);
    }
    const c = x.shape[x.rank - 1]!;
    const n = x.size / c;
    if (n < 2) return super.forward(x); // lets the base class raise its error
    const axes = [...Array(x.rank - 1).keys()];
    const { mean, variance } = tf.moments(x, axes);
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
    const y = tf.tidy(() => {
      let scale: tf.Tensor = tf.rsqrt(tf.add(variance, this.eps));
      if (this.weight) scale = tf.mul(scale, this.weight);
      const shifted = tf.mul(tf.sub(x, mean), scale);
      return this.bias ? tf.add(shifted, this.bias) : shifted;
    });
    tf.dispose([mean, variance]);
    return y;
  }
}
