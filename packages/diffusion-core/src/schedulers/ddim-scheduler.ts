import { add, clipByValue, div, mul, sub, type Tensor, tidy } from '@tensorflow/tfjs-core';
import { DiffusionInputError } from '../errors';
import type { NoiseSource } from '../random/noise-source';
import { boolField, type ConfigSource, parseConfig } from './config-fields';
import { readSchedulerConfig } from './config-file';
import { checkSameShape, NoiseScheduler, type SchedulerStepOutput } from './noise-scheduler';
import { predictEpsilon, predictOriginalSample } from './prediction';
import {
  COMMON_FIELDS,
  type CommonSchedulerConfig,
  INERT_DIFFUSERS_FIELDS,
} from './scheduler-config';
import { checkTimestep } from './timestep-coefficients';
import { spacedTimesteps } from './timestep-spacing';

/** The config of a {@link DdimScheduler}. */
export interface DdimSchedulerConfig extends CommonSchedulerConfig {
  /**
   * ᾱ used after the last step: 1 (a clean sample, the default) or, when false, ᾱ₀ as the
   * original DDIM code does.
   */
  setAlphaToOne: boolean;
}

const DDIM_FIELDS = [...COMMON_FIELDS, boolField('setAlphaToOne', 'set_alpha_to_one', true)];

/** Per-step options of {@link DdimScheduler.step}. */
export interface DdimStepOptions {
  /**
   * η ∈ [0, 1] scales the step's noise: 0 (default) is deterministic DDIM, 1 matches DDPM's
   * posterior variance on the same timesteps.
   */
  eta?: number;
  /**
   * Recompute ε̂ from the clipped x̂₀ (diffusers' `use_clipped_model_output`; default false).
   * Only matters with `clipSample`.
   */
  useClippedModelOutput?: boolean;
}

/**
 * Song et al.'s denoising diffusion implicit models (DDIM), with diffusers' `DDIMScheduler`
 * semantics: the same config keys and defaults (except `clip_sample`, off by default in pgen),
 * timesteps and step arithmetic. Call {@link DdimScheduler.setTimesteps} before stepping.
 */
export class DdimScheduler extends NoiseScheduler<DdimSchedulerConfig> {
  /** `_class_name` in `scheduler_config.json`. */
  static readonly className = 'DDIMScheduler';
  override readonly className = DdimScheduler.className;

  /** A scheduler from typed options; every option has a default. */
  constructor(options: Partial<DdimSchedulerConfig> = {}) {
    super(DdimScheduler.parse(options, { source: 'constructor options' }), DDIM_FIELDS);
  }

  /**
   * A scheduler from a config object: diffusers' JSON (snake_case, `_class_name`) or pgen's
   * camelCase `config`. Unknown keys and invalid values throw a {@link SchedulerConfigError}.
   */
  static fromConfig(json: unknown, where: ConfigSource = {}): DdimScheduler {
    return new DdimScheduler(DdimScheduler.parse(json, where));
  }

  /** Loads `<dir>/scheduler_config.json` (or a `.json` file) written by pgen or diffusers. */
  static async load(location: string): Promise<DdimScheduler> {
    const { json, file } = await readSchedulerConfig(location);
    return DdimScheduler.fromConfig(json, { source: file });
  }

  private static parse(json: unknown, where: ConfigSource): DdimSchedulerConfig {
    return parseConfig<DdimSchedulerConfig>(
      json,
      DDIM_FIELDS,
      INERT_DIFFUSERS_FIELDS,
      DdimScheduler.className,
      where,
    );
  }

  /** ᾱ after the last step (see {@link DdimSchedulerConfig.setAlphaToOne}). */
  get finalAlphaCumprod(): number {
    return this.config.setAlphaToOne ? 1 : (this.alphasCumprod[0] as number);
  }

  /** Uses `n` timesteps spread by `timestepSpacing`. */
  override setTimesteps(numInferenceSteps: number): void {
    this.timesteps = spacedTimesteps(
      this.numTrainTimesteps,
      numInferenceSteps,
      this.config.timestepSpacing,
      this.config.stepsOffset,
    );
    this.numInferenceSteps = numInferenceSteps;
  }

  /**
   * The timestep the step from `t` lands on: t − ⌊T/n⌋, as diffusers computes it for every
   * spacing (for `linspace` this is not always the next entry of `timesteps`).
   */
  previousTimestep(t: number): number {
    if (this.numInferenceSteps === undefined) {
      throw new DiffusionInputError('call setTimesteps(n) on the DDIM scheduler before step()');
    }
    return t - Math.floor(this.numTrainTimesteps / this.numInferenceSteps);
  }

  /**
   * σ²_t(η = 1) for the jump from `t` to `prevT` (Song et al., eq. 16):
   * (1−ᾱ_prev)/(1−ᾱ_t) · (1 − ᾱ_t/ᾱ_prev), a float64 number.
   */
  getVariance(t: number, prevT: number): number {
    checkTimestep(t, this.numTrainTimesteps);
    const alphaProdT = this.alphasCumprod[t] as number;
    const alphaProdPrev = this.alphaProdAt(prevT);
    return ((1 - alphaProdPrev) / (1 - alphaProdT)) * (1 - alphaProdT / alphaProdPrev);
  }

  /**
   * One DDIM step from x_t to the previous inference timestep:
   * x_prev = √ᾱ_prev·x̂₀ + √(1−ᾱ_prev−σ²)·ε̂ + σ·noise with σ = η·√variance. With η > 0 the
   * noise comes from `rng`, which is then required.
   */
  override step(
    modelOutput: Tensor,
    t: number,
    sample: Tensor,
    rng?: NoiseSource,
    options: DdimStepOptions = {},
  ): SchedulerStepOutput {
    const eta = options.eta ?? 0;
    if (!Number.isFinite(eta) || eta < 0 || eta > 1) {
      throw new DiffusionInputError(`eta must be in [0, 1], got ${eta}`);
    }
    if (eta > 0 && rng === undefined) {
      throw new DiffusionInputError(`DDIM step with eta = ${eta} adds noise and needs an rng`);
    }
    checkTimestep(t, this.numTrainTimesteps);
    checkSameShape(modelOutput, sample, 'model output', 'sample');
    const prevT = this.previousTimestep(t);
    const alphaProdT = this.alphasCumprod[t] as number;
    const alphaProdPrev = this.alphaProdAt(prevT);
    const scales = { signal: Math.sqrt(alphaProdT), noise: Math.sqrt(1 - alphaProdT) };
    const std = eta * Math.sqrt(this.getVariance(t, prevT));
    // Guard the square root against rounding when η = 1 makes the argument ~0.
    const directionScale = Math.sqrt(Math.max(1 - alphaProdPrev - std * std, 0));
    return tidy(() => {
      let x0 = predictOriginalSample(this.config.predictionType, modelOutput, sample, scales);
      let epsilon = predictEpsilon(this.config.predictionType, modelOutput, sample, scales);
      if (this.config.clipSample) {
        const range = this.config.clipSampleRange;
        x0 = clipByValue(x0, -range, range);
      }
      if (options.useClippedModelOutput) {
        epsilon = div(sub(sample, mul(x0, scales.signal)), scales.noise);
      }
      let prev = add(mul(x0, Math.sqrt(alphaProdPrev)), mul(epsilon, directionScale));
      if (eta > 0 && rng !== undefined) prev = add(prev, mul(rng.randn(sample.shape), std));
      return { prevSample: prev, predOriginalSample: x0 === modelOutput ? x0.clone() : x0 };
    });
  }

  private alphaProdAt(t: number): number {
    return t >= 0 ? (this.alphasCumprod[t] as number) : this.finalAlphaCumprod;
  }
}
