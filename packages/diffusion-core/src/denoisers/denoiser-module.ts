import type { Module } from '@pgen/nn';
import type { Tensor } from '@tensorflow/tfjs-core';
import type { Denoiser } from '../training/denoiser';

/**
 * A trainable denoiser network: a @pgen/nn module mapping (x_t [batch, dim], t [batch],
 * condition [batch, conditionDim]?) to a prediction [batch, dim]. It knows nothing about
 * schedulers; `asDenoiser()` gives the function the trainer and samplers call.
 */
export interface DenoiserModule extends Module {
  /** The class name and constructor options: enough to rebuild the network. */
  readonly config: DenoiserConfig;
  forward(noisy: Tensor, timesteps: Tensor, condition?: Tensor): Tensor;
}

/** A denoiser's saved configuration (`denoiser_config.json`). */
export interface DenoiserConfig {
  _class_name: 'ConditionalUnet1d' | 'OneDimCnn' | 'MlpDenoiser';
  [option: string]: unknown;
}

/** The function view of a denoiser module, for `diffusionTrainingLoss` and `sample`. */
export function asDenoiser(module: DenoiserModule): Denoiser {
  return (noisy, timesteps, condition) => module.forward(noisy, timesteps, condition);
}

/** Checks the inputs every denoiser shares and returns the batch size. */
export function checkDenoiserInputs(
  name: string,
  noisy: Tensor,
  timesteps: Tensor,
  condition: Tensor | undefined,
  dim: number,
  conditionDim: number,
): number {
  const [batch, width] = noisy.shape;
  if (noisy.rank !== 2 || width !== dim) {
    throw new Error(`${name}: expected x_t of shape [batch, ${dim}], got [${noisy.shape}]`);
  }
  if (timesteps.size !== batch) {
    throw new Error(`${name}: expected ${batch} timesteps, got shape [${timesteps.shape}]`);
  }
  if (conditionDim > 0) {
    if (
      condition?.rank !== 2 ||
      condition.shape[0] !== batch ||
      condition.shape[1] !== conditionDim
    ) {
      throw new Error(
        `${name}: expected a condition of shape [${batch}, ${conditionDim}], got ${condition ? `[${condition.shape}]` : 'none'}`,
      );
    }
  } else if (condition) {
    throw new Error(`${name}: built without a condition (conditionDim 0) but given one`);
  }
  return batch!;
}
