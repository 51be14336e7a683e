import { BETA_SCHEDULES, type BetaScheduleName } from '../schedules/beta-schedule';
import {
  betasField,
  boolField,
  type ConfigField,
  enumField,
  type InertField,
  inertEquals,
  inertNumber,
  intField,
  numberField,
} from './config-fields';

/**
 * What the denoiser predicts: the added noise ε (`epsilon`, RPG and p-diff), the clean sample
 * x₀ (`sample`), or the velocity v = √ᾱ·ε − √(1−ᾱ)·x₀ (`v_prediction`).
 */
export type PredictionType = 'epsilon' | 'sample' | 'v_prediction';

/** Every prediction type. */
export const PREDICTION_TYPES: readonly PredictionType[] = ['epsilon', 'sample', 'v_prediction'];

/**
 * How `setTimesteps(n)` picks n of the T training timesteps (diffusers' names; see Table 2 of
 * "Common Diffusion Noise Schedules and Sample Steps are Flawed"):
 * - `leading`: 0, k, 2k, … with k = ⌊T/n⌋, plus `stepsOffset` (never reaches T − 1);
 * - `linspace`: n values evenly spaced over [0, T − 1], rounded;
 * - `trailing`: T − 1, T − 1 − T/n, … rounded (starts at the noisiest step).
 */
export type TimestepSpacing = 'leading' | 'linspace' | 'trailing';

/** Every timestep spacing. */
export const TIMESTEP_SPACINGS: readonly TimestepSpacing[] = ['leading', 'linspace', 'trailing'];

/** The options DDPM and DDIM share. Defaults are listed on {@link COMMON_FIELDS}. */
export interface CommonSchedulerConfig {
  /** Number of diffusion steps T the model was trained with (default 1000). */
  numTrainTimesteps: number;
  /** First beta of the linear schedules (default 1e-4). */
  betaStart: number;
  /** Last beta of the linear schedules (default 0.02). */
  betaEnd: number;
  /** Named beta schedule (default `linear`). */
  betaSchedule: BetaScheduleName;
  /** Betas given directly; overrides the named schedule and T (default null). */
  trainedBetas: number[] | null;
  /** What the model predicts (default `epsilon`). */
  predictionType: PredictionType;
  /**
   * Clamp the predicted x₀ to ±`clipSampleRange` (default false). diffusers defaults to true
   * because images live in [−1, 1]; weights and latents do not, so pgen defaults to false.
   */
  clipSample: boolean;
  /** Bound used by `clipSample` (default 1). */
  clipSampleRange: number;
  /** How inference timesteps are spread (default `leading`, as diffusers). */
  timestepSpacing: TimestepSpacing;
  /** Added to every `leading` timestep (default 0; Stable Diffusion uses 1). */
  stepsOffset: number;
}

/** The fields of {@link CommonSchedulerConfig} with their JSON names and defaults. */
export const COMMON_FIELDS: readonly ConfigField<keyof CommonSchedulerConfig>[] = [
  intField('numTrainTimesteps', 'num_train_timesteps', 1000, 1),
  numberField('betaStart', 'beta_start', 1e-4, 0, 1),
  numberField('betaEnd', 'beta_end', 0.02, 0, 1),
  enumField('betaSchedule', 'beta_schedule', 'linear', BETA_SCHEDULES),
  betasField('trainedBetas', 'trained_betas'),
  enumField('predictionType', 'prediction_type', 'epsilon', PREDICTION_TYPES),
  boolField('clipSample', 'clip_sample', false),
  numberField('clipSampleRange', 'clip_sample_range', 1, 0, Number.POSITIVE_INFINITY),
  enumField('timestepSpacing', 'timestep_spacing', 'leading', TIMESTEP_SPACINGS),
  intField('stepsOffset', 'steps_offset', 0, 0),
];

/**
 * diffusers options that pgen does not implement, accepted at their off value so that
 * diffusers' own `scheduler_config.json` files load.
 */
export const INERT_DIFFUSERS_FIELDS: readonly InertField[] = [
  inertEquals(
    'thresholding',
    false,
    'dynamic thresholding (Imagen) is for pixel-space images and is not implemented; use clip_sample',
  ),
  inertNumber('dynamic_thresholding_ratio'),
  inertNumber('sample_max_value'),
  inertEquals('rescale_betas_zero_snr', false, 'zero-terminal-SNR rescaling is not implemented'),
];
