import * as tf from '@tensorflow/tfjs-core';

/**
 * Scales gradients so their global L2 norm is at most `maxNorm` (`torch.nn.utils.
 * clip_grad_norm_`). Returns new gradient tensors and the norm before clipping, as a scalar
 * tensor so that nothing has to wait for the device. The input gradients are not disposed.
 */
export function clipGradNorm(
  grads: tf.NamedTensorMap,
  maxNorm: number,
): { grads: tf.NamedTensorMap; totalNorm: tf.Scalar } {
  return tf.tidy(() => {
    const names = Object.keys(grads);
    const squares = names.map((n) => tf.sum(tf.square(grads[n]!)));
    const totalNorm = tf.sqrt(squares.length ? tf.addN(squares) : tf.scalar(0)) as tf.Scalar;
    const scale = tf.minimum(1, tf.div(maxNorm, tf.add(totalNorm, 1e-6)));
    const clipped: tf.NamedTensorMap = {};
    for (const n of names) clipped[n] = tf.mul(grads[n]!, scale);
    return { grads: clipped, totalNorm };
  });
}
