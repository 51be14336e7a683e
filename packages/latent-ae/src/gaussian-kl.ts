import * as tf from '@tensorflow/tfjs-core';

/**
 * KL(N(μ, diag σ²) ‖ N(0, I)) = −½ Σ (1 + log σ² − μ² − σ²), summed over the latent axis and
 * averaged over the batch, as in the usual VAE objective. `mean` and `logVar` are [batch, d].
 */
export function gaussianKl(mean: tf.Tensor, logVar: tf.Tensor): tf.Scalar {
  return tf.tidy(() => {
    const terms = tf.sub(tf.add(logVar, 1), tf.add(tf.square(mean), tf.exp(logVar)));
    return tf.mul(tf.mean(tf.sum(terms, -1)), -0.5) as tf.Scalar;
  });
}
