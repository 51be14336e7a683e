import { type Tensor, tensor1d } from '@tensorflow/tfjs-core';
import { DiffusionInputError } from '../errors';
import type { NoiseScheduler } from '../schedulers/noise-scheduler';
import { checkTimestep } from '../schedulers/timestep-coefficients';

/** SNR(t) = ᾱ_t / (1 − ᾱ_t), the signal-to-noise ratio of x_t, for each timestep. */
export function signalToNoiseRatio(
  scheduler: NoiseScheduler,
  timesteps: ArrayLike<number>,
): Float64Array {
  const out = new Float64Array(timesteps.length);
  for (let i = 0; i < timesteps.length; i++) {
    const t = checkTimestep(timesteps[i] as number, scheduler.numTrainTimesteps);
    const a = scheduler.alphasCumprod[t] as number;
    out[i] = a / (1 - a);
  }
  return out;
}

/**
 * Min-SNR-γ loss weights (Hang et al., 2023), one per row, for {@link maskedMseLoss}'s
 * `weights`: they cap the weight of easy, low-noise timesteps so training does not spend itself
 * on them. For the scheduler's prediction type the weight is min(SNR, γ)/SNR (`epsilon`),
 * min(SNR, γ)/(SNR + 1) (`v_prediction`) or min(SNR, γ) (`sample`). γ defaults to 5, the
 * paper's choice. Returns a float32 tensor [batch].
 */
export function minSnrWeights(
  scheduler: NoiseScheduler,
  timesteps: ArrayLike<number>,
  gamma = 5,
): Tensor {
  if (!Number.isFinite(gamma) || gamma <= 0) {
    throw new DiffusionInputError(`min-SNR gamma must be a positive number, got ${gamma}`);
  }
  const snr = signalToNoiseRatio(scheduler, timesteps);
  const weights = new Float32Array(snr.length);
  snr.forEach((s, i) => {
    const capped = Math.min(s, gamma);
    switch (scheduler.config.predictionType) {
      case 'epsilon':
        weights[i] = capped / s;
        break;
      case 'v_prediction':
        weights[i] = capped / (s + 1);
        break;
      case 'sample':
        weights[i] = capped;
        break;
    }
  });
  return tensor1d(weights);
}
