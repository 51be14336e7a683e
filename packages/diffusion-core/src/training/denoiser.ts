import type { Tensor } from '@tensorflow/tfjs-core';

/**
 * A denoiser as the trainer and samplers see it: any function from the noisy batch x_t
 * [batch, …], the timesteps (int32 [batch], one per row) and an optional condition
 * [batch, …] to the prediction the scheduler's `predictionType` names, shaped like x_t. It must
 * be synchronous (tfjs ops), so it can run under `tf.tidy` and `tf.variableGrads`.
 */
export type Denoiser = (noisy: Tensor, timesteps: Tensor, condition?: Tensor) => Tensor;
