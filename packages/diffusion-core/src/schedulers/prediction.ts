import { add, div, mul, sub, type Tensor } from '@tensorflow/tfjs-core';
import type { PredictionType } from './scheduler-config';

/**
 * √ᾱ_t and √(1 − ᾱ_t): plain numbers for a step at one timestep, or [batch, 1, …] tensors for
 * one timestep per row.
 */
export interface SignalNoiseScales {
  signal: Tensor | number;
  noise: Tensor | number;
}

/**
 * x̂₀ from a model output, given x_t = signal·x₀ + noise·ε:
 * ε → (x_t − noise·ε)/signal; x₀ → itself; v → signal·x_t − noise·v.
 */
export function predictOriginalSample(
  type: PredictionType,
  modelOutput: Tensor,
  sample: Tensor,
  scales: SignalNoiseScales,
): Tensor {
  switch (type) {
    case 'epsilon':
      return div(sub(sample, mul(modelOutput, scales.noise)), scales.signal);
    case 'sample':
      return modelOutput;
    case 'v_prediction':
      return sub(mul(sample, scales.signal), mul(modelOutput, scales.noise));
  }
}

/**
 * ε̂ from a model output (DDIM needs both x̂₀ and ε̂): ε → itself;
 * x₀ → (x_t − signal·x₀)/noise; v → signal·v + noise·x_t.
 */
export function predictEpsilon(
  type: PredictionType,
  modelOutput: Tensor,
  sample: Tensor,
  scales: SignalNoiseScales,
): Tensor {
  switch (type) {
    case 'epsilon':
      return modelOutput;
    case 'sample':
      return div(sub(sample, mul(modelOutput, scales.signal)), scales.noise);
    case 'v_prediction':
      return add(mul(modelOutput, scales.signal), mul(sample, scales.noise));
  }
}

/**
 * What a model of this prediction type should output for x_t made from `x0` and `noise`:
 * the noise, x₀ itself, or v = signal·ε − noise·x₀.
 */
export function predictionTarget(
  type: PredictionType,
  x0: Tensor,
  noise: Tensor,
  scales: SignalNoiseScales,
): Tensor {
  switch (type) {
    case 'epsilon':
      return noise;
    case 'sample':
      return x0;
    case 'v_prediction':
      return sub(mul(noise, scales.signal), mul(x0, scales.noise));
  }
}
