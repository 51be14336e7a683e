import * as tf from '@tensorflow/tfjs-core';

/**
 * Mean softmax cross-entropy of `logits` [n, classes] against int labels [n], with optional
 * label smoothing (PyTorch's `label_smoothing`: the target puts 1 − ε on the label and ε/classes
 * on every class).
 */
export function crossEntropy(logits: tf.Tensor, labels: tf.Tensor, labelSmoothing = 0): tf.Scalar {
  return tf.tidy(() => {
    const classes = logits.shape[1]!;
    let target: tf.Tensor = tf.oneHot(labels, classes);
    if (labelSmoothing > 0)
      target = tf.add(tf.mul(target, 1 - labelSmoothing), labelSmoothing / classes);
    const perImage = tf.neg(tf.sum(tf.mul(target, tf.logSoftmax(logits)), 1));
    return tf.mean(perImage) as tf.Scalar;
  });
}
