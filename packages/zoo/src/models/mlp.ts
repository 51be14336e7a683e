import { Linear, Module, type Rng } from '@pgen/nn';
import * as tf from '@tensorflow/tfjs-core';
import { MNIST_PIXELS } from '../mnist/mnist-data';
import type { ClassifierModel } from './classifier-model';
import { standardize } from './standardize';

export interface MlpOptions {
  /** Width of the hidden layer (default 256). */
  hidden?: number;
  /** Outputs (default 10). */
  numClasses?: number;
  /** Source of PyTorch's default Linear initialisation. */
  rng: Rng;
}

/**
 * 784 → hidden → ReLU → classes. The PyTorch equivalent is a module with `fc1 = nn.Linear(784,
 * hidden)` and `fc2 = nn.Linear(hidden, classes)` applied to `x.flatten(1)`: state-dict names
 * `fc1.weight` [hidden, 784], `fc1.bias`, `fc2.weight` [classes, hidden], `fc2.bias`.
 */
export class MnistMlp extends Module implements ClassifierModel {
  readonly arch = 'mlp' as const;
  readonly numClasses: number;
  readonly fc1: Linear;
  readonly fc2: Linear;

  constructor(options: MlpOptions) {
    super();
    const hidden = options.hidden ?? 256;
    this.numClasses = options.numClasses ?? 10;
    this.fc1 = this.addModule('fc1', new Linear(MNIST_PIXELS, hidden, { rng: options.rng }));
    this.fc2 = this.addModule('fc2', new Linear(hidden, this.numClasses, { rng: options.rng }));
  }

  forward(images: tf.Tensor): tf.Tensor {
    return tf.tidy(() => {
      // NHWC with one channel flattens in the same (row-major) order as PyTorch's NCHW.
      const x = tf.reshape(standardize(images), [images.shape[0]!, MNIST_PIXELS]);
      return this.fc2.forward(tf.relu(this.fc1.forward(x)));
    });
  }
}
