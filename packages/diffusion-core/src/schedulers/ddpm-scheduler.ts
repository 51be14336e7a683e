import { add, clipByValue, mul, type Tensor, tidy } from '@tensorflow/tfjs-core';
import { DiffusionInputError, SchedulerConfigError } from '../errors';
import type { NoiseSource } from '../random/noise-source';
import { type ConfigSource, enumField, parseConfig } from './config-fields';
import { readSchedulerConfig } from './config-file';
import { checkSameShape, NoiseScheduler, type SchedulerStepOutput } from './noise-scheduler';
import { predictOriginalSample } from './prediction';
import {
  COMMON_FIELDS,
  type CommonSchedulerConfig,
  INERT_DIFFUSERS_FIELDS,
} from './scheduler-config';
import { checkTimestep } from './timestep-coefficients';
import { spacedTimesteps } from './timestep-spacing';

/**
 * The variance of DDPM's reverse step p(x_{t−1} | x_t):
 * - `fixed_small`: the posterior variance β̃_t = (1−ᾱ_{t−1})/(1−ᾱ_t)·β_t (the default; exact
 *   when the data is a point mass);
 * - `fixed_small_log`: the same variance computed through its logarithm, as rl-diffuser does;
 * - `fixed_large`: β_t (exact when the data is N(0, I)).
 */
export type DdpmVarianceType = 'fixed_small' | 'fixed_small_log' | 'fixed_large';

/** Every DDPM variance type pgen implements. */
export const DDPM_VARIANCE_TYPES: readonly DdpmVarianceType[] = [
  'fixed_small',
  'fixed_small_log',
  'fixed_large',
];

/** The config of a {@link DdpmScheduler}. */
export interface DdpmSchedulerConfig extends CommonSchedulerConfig {
  /** Variance of the reverse step (default `fixed_small`). */
  varianceType: DdpmVarianceType;
}

const DDPM_FIELDS = [
  ...COMMON_FIELDS,
  enumField('varianceType', 'variance_type', 'fixed_small', DDPM_VARIANCE_TYPES, {
    fixed_large_log: 'it yields the square root of a logarithm in diffusers; use fixed_large',
    learned: 'learned variances need a model with twice the output channels',
    learned_range: 'learned variances need a model with twice the output channels',
  }),
];

/** Options for {@link DdpmScheduler.setTimesteps}: a count, or explicit timesteps. */
export type DdpmTimesteps = number | { timesteps: readonly number[] };

/**
 * The ancestral sampler of Ho et al. (DDPM), with diffusers' `DDPMScheduler` semantics: the
 * same config keys and defaults (except `clip_sample`, off by default in pgen), timesteps,
 * variances and step arithmetic, so that numbers match diffusers' tests.
 */
export class DdpmScheduler extends NoiseScheduler<DdpmSchedulerConfig> {
  /** `_class_name` in `scheduler_config.json`. */
  static readonly className = 'DDPMScheduler';
  override readonly className = DdpmScheduler.className;
  private customTimesteps: boolean;

  /** A scheduler from typed options; every option has a default (RPG's: linear 1e-4 → 0.02, T = 1000). */
  constructor(options: Partial<DdpmSchedulerConfig> = {}) {
    super(DdpmScheduler.parse(options, { source: 'constructor options' }), DDPM_FIELDS);
    this.customTimesteps = false;
  }

  /**
   * A scheduler from a config object: diffusers' JSON (snake_case, `_class_name`) or pgen's
   * camelCase `config`. Unknown keys and invalid values throw a {@link SchedulerConfigError}.
   */
  static fromConfig(json: unknown, where: ConfigSource = {}): DdpmScheduler {
    return new DdpmScheduler(DdpmScheduler.parse(json, where));
  }

  /** Loads `<dir>/scheduler_config.json` (or a `.json` file) written by pgen or diffusers. */
  static async load(location: string): Promise<DdpmScheduler> {
    const { json, file } = await readSchedulerConfig(location);
    return DdpmScheduler.fromConfig(json, { source: file });
  }

  private static parse(json: unknown, where: ConfigSource): DdpmSchedulerConfig {
    return parseConfig<DdpmSchedulerConfig>(
      json,
      DDPM_FIELDS,
      INERT_DIFFUSERS_FIELDS,
      DdpmScheduler.className,
      where,
    );
  }

  /**
   * Uses `n` timesteps spread by `timestepSpacing`, or the given descending timesteps (each in
   * [0, T)); the step from one to the next uses the exact variance for that jump.
   */
  override setTimesteps(steps: DdpmTimesteps): void {
    const T = this.numTrainTimesteps;
    if (typeof steps === 'number') {
      this.timesteps = spacedTimesteps(
        T,
        steps,
        this.config.timestepSpacing,
        this.config.stepsOffset,
      );
      this.numInferenceSteps = steps;
      this.customTimesteps = false;
      return;
    }
    const list = steps.timesteps;
    if (list.length === 0) throw new DiffusionInputError('custom timesteps are empty');
    list.forEach((t, i) => {
      checkTimestep(t, T);
      if (i > 0 && t >= (list[i - 1] as number)) {
        throw new DiffusionInputError(
          `custom timesteps must be strictly descending, got ${list[i - 1]} then ${t}`,
        );
      }
    });
    this.timesteps = Int32Array.from(list);
    this.numInferenceSteps = list.length;
    this.customTimesteps = true;
  }

  /** The timestep the step from `t` lands on (−1 after the last). */
  previousTimestep(t: number): number {
    if (this.customTimesteps) {
      const index = this.timesteps.indexOf(t);
      if (index < 0)
        throw new DiffusionInputError(`timestep ${t} is not one of the custom timesteps`);
      return index === this.timesteps.length - 1 ? -1 : (this.timesteps[index + 1] as number);
    }
    if (this.numInferenceSteps === undefined) return t - 1;
    return t - Math.floor(this.numTrainTimesteps / this.numInferenceSteps);
  }

  /**
   * The variance of the reverse step from `t` (for the configured variance type, or `type`),
   * a float64 number. Zero-variance steps are floored at 1e-20 as diffusers does.
   */
  getVariance(t: number, type: DdpmVarianceType = this.config.varianceType): number {
    checkTimestep(t, this.numTrainTimesteps);
    const { alphaProdT, alphaProdPrev } = this.alphaProducts(t);
    const currentBeta = 1 - alphaProdT / alphaProdPrev;
    const posterior = Math.max(((1 - alphaProdPrev) / (1 - alphaProdT)) * currentBeta, 1e-20);
    switch (type) {
      case 'fixed_small':
        return posterior;
      case 'fixed_small_log':
        return Math.exp(Math.log(posterior));
      case 'fixed_large':
        return currentBeta;
      default:
        throw new SchedulerConfigError(`unknown variance type ${JSON.stringify(type)}`);
    }
  }

  /**
   * One ancestral step from x_t to the previous timestep. For t > 0 it adds
   * √variance · noise with noise from `rng`, which is then required.
   */
  override step(
    modelOutput: Tensor,
    t: number,
    sample: Tensor,
    rng?: NoiseSource,
  ): SchedulerStepOutput {
    checkTimestep(t, this.numTrainTimesteps);
    checkSameShape(modelOutput, sample, 'model output', 'sample');
    if (t > 0 && rng === undefined) {
      throw new DiffusionInputError(`DDPM step at timestep ${t} adds noise and needs an rng`);
    }
    const { alphaProdT, alphaProdPrev } = this.alphaProducts(t);
    const betaProdT = 1 - alphaProdT;
    const betaProdPrev = 1 - alphaProdPrev;
    const currentAlpha = alphaProdT / alphaProdPrev;
    const currentBeta = 1 - currentAlpha;
    // Posterior mean μ̃(x_t, x̂₀) (Ho et al., eq. 7) with the step's own α and β, which is what
    // makes steps that skip timesteps exact.
    const x0Coefficient = (Math.sqrt(alphaProdPrev) * currentBeta) / betaProdT;
    const sampleCoefficient = (Math.sqrt(currentAlpha) * betaProdPrev) / betaProdT;
    const std = t > 0 ? Math.sqrt(this.getVariance(t)) : 0;
    return tidy(() => {
      let x0 = predictOriginalSample(this.config.predictionType, modelOutput, sample, {
        signal: Math.sqrt(alphaProdT),
        noise: Math.sqrt(betaProdT),
      });
      if (this.config.clipSample) {
        const range = this.config.clipSampleRange;
        x0 = clipByValue(x0, -range, range);
      }
      let prev = add(mul(x0, x0Coefficient), mul(sample, sampleCoefficient));
      if (t > 0 && rng !== undefined) prev = add(prev, mul(rng.randn(sample.shape), std));
      return { prevSample: prev, predOriginalSample: x0 === modelOutput ? x0.clone() : x0 };
    });
  }

  private alphaProducts(t: number): { alphaProdT: number; alphaProdPrev: number } {
    const prev = this.previousTimestep(t);
    return {
      alphaProdT: this.alphasCumprod[t] as number,
      alphaProdPrev: prev >= 0 ? (this.alphasCumprod[prev] as number) : 1,
    };
  }
}
