import type { StateDict } from '@pgen/checkpoint-io';
import { AdamW, crossEntropy, type LrSchedule, Rng } from '@pgen/nn';
import * as tf from '@tensorflow/tfjs-core';
import { ZooError } from '../errors';
import type { MnistData } from '../mnist/mnist-data';
import type { ClassifierModel } from '../models/classifier-model';
import { epochOrder, makeBatch, mixSeed } from './batches';

export interface ClassifierTrainerOptions {
  /** Images per step (default 128); the last partial batch of an epoch is dropped. */
  batchSize?: number;
  /** Learning rate per global step (default a constant 1e-3). */
  schedule?: LrSchedule;
  /** AdamW's decoupled weight decay on matrices and kernels (default 0.05). */
  weightDecay?: number;
  /** Random translation of ±maxShift pixels (default 2; 0 turns augmentation off). */
  maxShift?: number;
  /** Seed of batch order and augmentation (default 0). */
  seed?: number;
  /** Clip the global gradient norm to this (default: no clipping). */
  clipNorm?: number;
  /** Label smoothing of the loss (default 0). */
  labelSmoothing?: number;
  /**
   * Which parameters train, by state-dict name (default all). The others stay fixed, as
   * p-diff's collection trains only a few layers.
   */
  trainable?: (name: string) => boolean;
}

/** What one step did. */
export interface StepResult {
  /** Mean loss of the batch. */
  loss: number;
  /** Fraction of the batch classified correctly (before the update). */
  accuracy: number;
}

/**
 * Steps AdamW over seeded, augmented mini-batches of a dataset, one global step at a time, so
 * callers can checkpoint at any step. Step `s` always sees the same batch (epoch ⌊s/E⌋'s seeded
 * order) and augmentation, and optimiser state can be saved and restored, so a resumed run
 * continues exactly.
 */
export class ClassifierTrainer {
  readonly batchSize: number;
  readonly stepsPerEpoch: number;
  readonly optimizer: AdamW;
  private readonly schedule: LrSchedule;
  private readonly maxShift: number;
  private readonly seed: number;
  private readonly clipNorm: number | undefined;
  private readonly labelSmoothing: number;
  private order: { epoch: number; indices: Int32Array } | undefined;
  /** Global steps taken (also the index of the next step). */
  step = 0;

  constructor(
    readonly model: ClassifierModel,
    readonly data: MnistData,
    options: ClassifierTrainerOptions = {},
  ) {
    this.batchSize = options.batchSize ?? 128;
    this.stepsPerEpoch = Math.floor(data.count / this.batchSize);
    if (this.stepsPerEpoch < 1) {
      throw new ZooError(
        `${data.count} training images are fewer than one batch of ${this.batchSize}`,
      );
    }
    this.schedule = options.schedule ?? (() => 1e-3);
    this.maxShift = options.maxShift ?? 2;
    this.seed = options.seed ?? 0;
    this.clipNorm = options.clipNorm;
    this.labelSmoothing = options.labelSmoothing ?? 0;
    const selected = model.namedParameters().filter(([name]) => options.trainable?.(name) ?? true);
    if (selected.length === 0) throw new ZooError('no parameter of the model is selected to train');
    // Biases, norm scales and ViT tokens get no weight decay, as in timm and most recipes.
    const noDecay = new Set(
      selected
        .filter(([name, v]) => v.rank < 2 || name === 'cls_token' || name === 'pos_embed')
        .map(([, v]) => v),
    );
    this.optimizer = new AdamW(
      selected.map(([, v]) => v),
      { weightDecay: options.weightDecay ?? 0.05, noDecay: (v) => noDecay.has(v) },
    );
  }

  /** Epoch of the next step. */
  get epoch(): number {
    return Math.floor(this.step / this.stepsPerEpoch);
  }

  /** Learning rate of the next step. */
  get learningRate(): number {
    return this.schedule(this.step);
  }

  /**
   * One AdamW step on the next batch, in training mode. Async because the loss is read with
   * `data()`: `dataSync()` does not work on the WebGPU backend.
   */
  async trainStep(): Promise<StepResult> {
    const epoch = this.epoch;
    if (this.order?.epoch !== epoch) {
      this.order = { epoch, indices: epochOrder(this.data.count, this.seed, epoch) };
    }
    const first = (this.step % this.stepsPerEpoch) * this.batchSize;
    const indices = this.order.indices.subarray(first, first + this.batchSize);
    const rng = new Rng(mixSeed(this.seed, epoch, this.step + 1));
    const { images, labels } = makeBatch(this.data, indices, { maxShift: this.maxShift, rng });
    this.optimizer.setLearningRate(this.schedule(this.step));
    this.model.train();
    let correct: tf.Scalar | undefined;
    const { loss, gradNorm } = this.optimizer.minimize(
      () => {
        const logits = this.model.forward(images);
        correct = tf.keep(
          tf.sum(tf.cast(tf.equal(tf.argMax(logits, 1), labels), 'float32')) as tf.Scalar,
        );
        return crossEntropy(logits, labels, this.labelSmoothing);
      },
      this.clipNorm === undefined ? {} : { clipNorm: this.clipNorm },
    );
    const lossValue = (await loss.data())[0]!;
    const accuracy = (await correct!.data())[0]! / indices.length;
    tf.dispose([images, labels, loss, correct!, ...(gradNorm ? [gradNorm] : [])]);
    this.step++;
    if (!Number.isFinite(lossValue)) {
      throw new Error(`training diverged: loss is ${lossValue} at step ${this.step}`);
    }
    return { loss: lossValue, accuracy };
  }

  /** Optimiser moments and the global step, for resuming. */
  async stateDict(): Promise<StateDict> {
    return this.optimizer.stateDict();
  }

  /** Restores what `stateDict` saved (same model, same trainable selection). */
  loadStateDict(state: StateDict): void {
    this.optimizer.loadStateDict(state);
    this.step = this.optimizer.step;
  }

  /** Frees the optimiser's moments (the model stays). */
  dispose(): void {
    this.optimizer.dispose();
  }
}
