import { AdamW, cosineWithWarmup, ExponentialMovingAverage, type LrSchedule } from '@pgen/nn';
import type { Tensor } from '@tensorflow/tfjs-core';
import { asDenoiser, type DenoiserModule } from '../denoisers/denoiser-module';
import { createGenerator, type Generator } from '../random/generator';
import type { NoiseScheduler } from '../schedulers/noise-scheduler';
import { diffusionTrainingLoss } from './training-loss';

export interface DenoiserTrainerOptions {
  scheduler: NoiseScheduler;
  denoiser: DenoiserModule;
  /** Peak learning rate (default 1e-3). */
  lr?: number;
  /** Steps the schedule spans; with it the learning rate follows a cosine (default: constant). */
  totalSteps?: number;
  /** Linear warm-up steps (default 0). */
  warmupSteps?: number;
  /** AdamW weight decay (default 0: RPG and p-diff train their denoisers without it). */
  weightDecay?: number;
  /** Global gradient-norm clip (default 1). */
  clipNorm?: number;
  /** Keep an exponential moving average of the weights with this decay (default: none). */
  emaDecay?: number;
  /** Seed of the timesteps and noise (default 0). */
  seed?: number;
}

/** A batch: clean data, its condition, and which elements count (a mask, or 'nan' padding). */
export interface TrainingBatch {
  x0: Tensor;
  condition?: Tensor;
  mask?: Tensor | 'nan';
}

/**
 * One training step of a denoiser on the scheduler's ε/x₀/v target: AdamW with an optional
 * cosine schedule, gradient clipping and EMA. The pipelines drive it; it owns no data.
 */
export class DenoiserTrainer {
  readonly optimizer: AdamW;
  readonly ema: ExponentialMovingAverage | undefined;
  private readonly schedule: LrSchedule | undefined;
  private readonly rng: Generator;

  constructor(private readonly options: DenoiserTrainerOptions) {
    const lr = options.lr ?? 1e-3;
    this.optimizer = new AdamW(options.denoiser.parameters(), {
      lr,
      weightDecay: options.weightDecay ?? 0,
    });
    this.schedule = options.totalSteps
      ? cosineWithWarmup({
          baseLr: lr,
          totalSteps: options.totalSteps,
          warmupSteps: options.warmupSteps ?? 0,
        })
      : undefined;
    this.ema = options.emaDecay
      ? new ExponentialMovingAverage(options.denoiser, options.emaDecay)
      : undefined;
    this.rng = createGenerator(options.seed ?? 0);
  }

  /** Steps taken. */
  get step(): number {
    return this.optimizer.step;
  }

  /** Trains on one batch and returns its loss. */
  async trainStep(batch: TrainingBatch): Promise<number> {
    const { denoiser, scheduler } = this.options;
    if (this.schedule) this.optimizer.setLearningRate(this.schedule(this.optimizer.step));
    denoiser.train();
    const model = asDenoiser(denoiser);
    const { loss, gradNorm } = this.optimizer.minimize(
      () =>
        diffusionTrainingLoss({
          scheduler,
          model,
          x0: batch.x0,
          condition: batch.condition,
          mask: batch.mask,
          rng: this.rng,
        }),
      { clipNorm: this.options.clipNorm ?? 1 },
    );
    this.ema?.update();
    const value = (await loss.data())[0]!;
    loss.dispose();
    gradNorm?.dispose();
    if (!Number.isFinite(value))
      throw new Error(`denoiser training diverged: loss ${value} at step ${this.step}`);
    return value;
  }

  dispose(): void {
    this.optimizer.dispose();
    this.ema?.dispose();
  }
}
