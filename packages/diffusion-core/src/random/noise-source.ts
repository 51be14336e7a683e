import type { Tensor } from '@tensorflow/tfjs-core';

/**
 * Anything that gives standard-normal noise tensors on demand. The schedulers' stochastic steps
 * and the samplers draw all their randomness through one, so a seed fixes every number.
 */
export interface NoiseSource {
  /** A float32 tensor of the given shape filled with independent N(0, 1) values. */
  randn(shape: readonly number[]): Tensor;
}
