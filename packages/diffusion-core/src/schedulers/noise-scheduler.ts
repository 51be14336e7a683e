import { add, mul, type Tensor, tidy } from '@tensorflow/tfjs-core';
import { DiffusionInputError, SchedulerConfigError } from '../errors';
import type { NoiseSource } from '../random/noise-source';
import { alphasCumprod, betaSchedule, validateBetas } from '../schedules/beta-schedule';
import { type ConfigField, configToJson } from './config-fields';
import { writeSchedulerConfig } from './config-file';
import { predictionTarget } from './prediction';
import type { CommonSchedulerConfig } from './scheduler-config';
import { rowCoefficients, type Timesteps } from './timestep-coefficients';

/** What a scheduler's `step` returns; both tensors belong to the caller. */
export interface SchedulerStepOutput {
  /** x_{t−1}: the next, less noisy sample. */
  prevSample: Tensor;
  /** x̂₀, the clean sample the model output implies (after clipping, if enabled). */
  predOriginalSample: Tensor;
}

/**
 * What DDPM and DDIM share: the noise schedule (float64 tables), the forward process
 * (`addNoise`), training targets, inference timesteps and config serialisation. Schedulers
 * know nothing about models; tensors have shape [batch, …].
 */
export abstract class NoiseScheduler<C extends CommonSchedulerConfig = CommonSchedulerConfig> {
  /** The full, validated config (camelCase). */
  readonly config: Readonly<C>;
  /** β_t for t = 0 … T − 1. */
  readonly betas: Float64Array;
  /** α_t = 1 − β_t. */
  readonly alphas: Float64Array;
  /** ᾱ_t = ∏_{s≤t} α_s. */
  readonly alphasCumprod: Float64Array;
  /** √ᾱ_t, the scale of x₀ in x_t. */
  readonly sqrtAlphasCumprod: Float64Array;
  /** √(1 − ᾱ_t), the scale of the noise in x_t. */
  readonly sqrtOneMinusAlphasCumprod: Float64Array;
  /** Standard deviation of the initial noise x_T (1 for DDPM and DDIM). */
  readonly initNoiseSigma = 1;
  /** The class name written to `_class_name`, as diffusers spells it. */
  abstract readonly className: string;
  /** Inference timesteps, noisiest first; all T of them until `setTimesteps` is called. */
  timesteps: Int32Array;
  /** The n of the last `setTimesteps(n)`, or undefined before it. */
  numInferenceSteps: number | undefined;

  protected constructor(
    config: C,
    private readonly fields: readonly ConfigField[],
  ) {
    this.config = Object.freeze({ ...config });
    const T = config.numTrainTimesteps;
    if (config.trainedBetas !== null) {
      if (config.trainedBetas.length !== T) {
        throw new SchedulerConfigError(
          `trained_betas has ${config.trainedBetas.length} values but num_train_timesteps is ${T}`,
        );
      }
      this.betas = validateBetas(config.trainedBetas);
    } else {
      this.betas = betaSchedule(config.betaSchedule, {
        numTrainTimesteps: T,
        betaStart: config.betaStart,
        betaEnd: config.betaEnd,
      });
    }
    this.alphas = this.betas.map((beta) => 1 - beta);
    this.alphasCumprod = alphasCumprod(this.betas);
    this.sqrtAlphasCumprod = this.alphasCumprod.map(Math.sqrt);
    this.sqrtOneMinusAlphasCumprod = this.alphasCumprod.map((a) => Math.sqrt(1 - a));
    this.timesteps = Int32Array.from({ length: T }, (_, i) => T - 1 - i);
    this.numInferenceSteps = undefined;
  }

  /** T, the number of training timesteps. */
  get numTrainTimesteps(): number {
    return this.config.numTrainTimesteps;
  }

  /**
   * Chooses `numInferenceSteps` timesteps for sampling; they appear in `timesteps`, noisiest
   * first.
   */
  abstract setTimesteps(numInferenceSteps: number): void;

  /**
   * One reverse step: from the model output at timestep `t` and the sample x_t, computes
   * x_{t−1} (or the sample at the previous inference timestep). Stochastic steps draw their
   * noise from `rng`.
   */
  abstract step(
    modelOutput: Tensor,
    t: number,
    sample: Tensor,
    rng?: NoiseSource,
  ): SchedulerStepOutput;

  /**
   * The forward process q(x_t | x₀): √ᾱ_t·x₀ + √(1−ᾱ_t)·noise, with one timestep per batch row
   * (an int32 tensor [batch], a number array, or one number for all rows).
   */
  addNoise(x0: Tensor, noise: Tensor, t: Timesteps): Tensor {
    checkSameShape(x0, noise, 'x0', 'noise');
    return tidy(() => {
      const { signal, noise: noiseScale } = this.rowScales(t, x0);
      return add(mul(x0, signal), mul(noise, noiseScale));
    });
  }

  /** The velocity v = √ᾱ_t·noise − √(1−ᾱ_t)·x₀ that a `v_prediction` model is trained on. */
  getVelocity(x0: Tensor, noise: Tensor, t: Timesteps): Tensor {
    checkSameShape(x0, noise, 'x0', 'noise');
    return tidy(() => predictionTarget('v_prediction', x0, noise, this.rowScales(t, x0)));
  }

  /**
   * The training target for this scheduler's prediction type: the noise (`epsilon`), x₀
   * (`sample`) or the velocity (`v_prediction`).
   */
  trainingTarget(x0: Tensor, noise: Tensor, t: Timesteps): Tensor {
    checkSameShape(x0, noise, 'x0', 'noise');
    return tidy(() => {
      const target = predictionTarget(this.config.predictionType, x0, noise, this.rowScales(t, x0));
      // `epsilon` and `sample` return an input as is; hand the caller a tensor it may dispose.
      return target === noise || target === x0 ? target.clone() : target;
    });
  }

  /**
   * The model input at timestep t. DDPM and DDIM feed x_t unchanged (it is here so that code
   * written against diffusers' interface runs as is); a new tensor is returned.
   */
  scaleModelInput(sample: Tensor, _t?: number): Tensor {
    return sample.clone();
  }

  /** The config as diffusers writes it: snake_case keys and `_class_name`. */
  toJSON(): Record<string, unknown> {
    return configToJson(this.config, this.fields, this.className);
  }

  /**
   * Writes `<dir>/scheduler_config.json` (diffusers' layout), creating `dir` if needed, and
   * returns the file's path.
   */
  save(dir: string): Promise<string> {
    return writeSchedulerConfig(dir, this.toJSON());
  }

  /** [batch, 1, …] tensors of √ᾱ_t and √(1−ᾱ_t) for per-row timesteps, shaped like `like`. */
  protected rowScales(t: Timesteps, like: Tensor): { signal: Tensor; noise: Tensor } {
    const batch = like.shape[0];
    if (batch === undefined) throw new DiffusionInputError('tensors must have a batch dimension');
    return {
      signal: rowCoefficients(this.sqrtAlphasCumprod, t, batch, like.rank),
      noise: rowCoefficients(this.sqrtOneMinusAlphasCumprod, t, batch, like.rank),
    };
  }
}

/** Throws unless `a` and `b` have the same shape. */
export function checkSameShape(a: Tensor, b: Tensor, nameA: string, nameB: string): void {
  if (a.shape.length !== b.shape.length || a.shape.some((dim, i) => dim !== b.shape[i])) {
    throw new DiffusionInputError(
      `${nameA} has shape [${a.shape.join(', ')}] but ${nameB} has [${b.shape.join(', ')}]`,
    );
  }
}
