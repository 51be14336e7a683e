import { type Scalar, type Tensor, tensor1d, tidy } from '@tensorflow/tfjs-core';
import { DiffusionInputError } from '../errors';
import { type MaskedMseOptions, maskedMseLoss, nanPaddingMask } from '../losses/masked-mse';
import { minSnrWeights } from '../losses/snr-weighting';
import type { Generator } from '../random/generator';
import type { NoiseScheduler } from '../schedulers/noise-scheduler';
import { checkTimestep } from '../schedulers/timestep-coefficients';
import type { Denoiser } from './denoiser';

/** Options of {@link diffusionTrainingLoss}. */
export interface DiffusionTrainingLossOptions {
  /** Supplies the noise schedule and the prediction type (the training target). */
  scheduler: NoiseScheduler;
  /** The denoiser being trained. */
  model: Denoiser;
  /** Clean data, [batch, …]. */
  x0: Tensor;
  /** Condition passed to the model as is, e.g. RPG's prototypes or a task embedding. */
  condition?: Tensor;
  /**
   * Which elements count in the loss (see {@link maskedMseLoss}): a mask tensor, or `'nan'` to
   * treat NaN entries of `x0` as padding (RPG's convention; they are zeroed before noising).
   * Default: every element counts.
   */
  mask?: Tensor | 'nan';
  /** Draws the timesteps and the noise; the same generator state gives the same loss. */
  rng: Generator;
  /** Fixed timesteps, one per row, instead of drawing them uniformly from [0, T). */
  timesteps?: readonly number[];
  /** Fixed noise shaped like `x0`, instead of drawing it from `rng`. */
  noise?: Tensor;
  /** Loss weighting per row: `none` (default) or Min-SNR-γ (see {@link minSnrWeights}). */
  weighting?: 'none' | { minSnrGamma: number };
  /** How the masked squared errors are averaged (see {@link MaskedMseOptions}); default `elements`. */
  reduction?: MaskedMseOptions['reduction'];
}

/**
 * One training loss of a diffusion model, needing no network class: draws t uniformly from
 * [0, T) per row and noise ε ~ N(0, I), forms x_t = √ᾱ_t·x₀ + √(1−ᾱ_t)·ε, runs the model on
 * (x_t, t, condition) and returns the masked MSE against the target of the scheduler's
 * prediction type (ε, x₀ or v). Synchronous, so it can be the function of
 * `optimizer.minimize` or `tf.variableGrads`; intermediates are disposed.
 */
export function diffusionTrainingLoss(options: DiffusionTrainingLossOptions): Scalar {
  const { scheduler, model, x0, rng } = options;
  const batch = x0.shape[0];
  if (batch === undefined || batch < 1) {
    throw new DiffusionInputError('x0 must have a batch dimension with at least one row');
  }
  const T = scheduler.numTrainTimesteps;
  const timesteps = options.timesteps
    ? Int32Array.from(options.timesteps, (t) => checkTimestep(t, T))
    : rng.randint(batch, 0, T);
  if (timesteps.length !== batch) {
    throw new DiffusionInputError(`${timesteps.length} timesteps for a batch of ${batch} rows`);
  }
  if (options.condition !== undefined && options.condition.shape[0] !== batch) {
    throw new DiffusionInputError(
      `condition has ${options.condition.shape[0]} rows but x0 has ${batch}`,
    );
  }
  return tidy(() => {
    let clean = x0;
    let mask = options.mask === 'nan' ? undefined : options.mask;
    if (options.mask === 'nan') {
      const split = nanPaddingMask(x0);
      clean = split.values;
      mask = split.mask;
    }
    const noise = options.noise ?? rng.randn(x0.shape);
    const t = Array.from(timesteps);
    const noisy = scheduler.addNoise(clean, noise, t);
    const prediction = model(noisy, tensor1d(timesteps, 'int32'), options.condition);
    const target = scheduler.trainingTarget(clean, noise, t);
    const weighting = options.weighting ?? 'none';
    const weights =
      weighting === 'none' ? undefined : minSnrWeights(scheduler, timesteps, weighting.minSnrGamma);
    const reduction = options.reduction ?? 'elements';
    return maskedMseLoss(
      prediction,
      target,
      mask,
      weights ? { weights, reduction } : { reduction },
    );
  });
}
