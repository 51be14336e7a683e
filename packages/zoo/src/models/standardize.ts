import * as tf from '@tensorflow/tfjs-core';

/** MNIST's pixel mean and standard deviation, as torchvision's MNIST examples normalise with. */
export const MNIST_MEAN = 0.1307;
export const MNIST_STD = 0.3081;

/**
 * (x − 0.1307) / 0.3081: every zoo model standardises its [0, 1] input first, so a PyTorch
 * counterpart applies `transforms.Normalize((0.1307,), (0.3081,))` before the network.
 * Zero-centred inputs make the first layers train markedly faster on 8,000 images.
 */
export function standardize(images: tf.Tensor): tf.Tensor {
  return tf.tidy(() => tf.div(tf.sub(images, MNIST_MEAN), MNIST_STD));
}
