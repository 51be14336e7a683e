import { Module, Rng, type Sequential } from '@pgen/nn';
import * as tf from '@tensorflow/tfjs-core';
import { TaskEncoderError } from './errors';
import { type AngleUnit, FourierFeatures } from './fourier-features';
import { finiteNumber, positiveInt } from './options';
import type { TaskEncoder, TaskEncoderConfig } from './task-encoder';
import { twoLayerMlp } from './two-layer-mlp';

export interface ContinuousDescriptorEncoderOptions {
  /** Descriptor values per task, e.g. 1 for a rotation angle (default 1). */
  inputDim?: number;
  /** Fourier frequencies per value (default 8); see `FourierFeaturesOptions`. */
  fourierFeatures?: number;
  /** Width of the condition vector. */
  outputDim: number;
  /** Hidden width of the MLP (default 64). */
  hidden?: number;
  /** Which values are angles, one flag for all or one per value (default false). */
  periodic?: boolean | boolean[];
  /** Unit of the angles (default 'degrees'). Non-periodic values are used as given. */
  angleUnit?: AngleUnit;
  /** Standard deviation of the random frequencies of non-periodic values (default 1). */
  fourierScale?: number;
  /** Seed of the frequencies and the initial weights (default 0). */
  seed?: number;
}

/**
 * Continuous task descriptors (a rotation angle, a noise level, a mixing weight) as condition
 * vectors: fixed Fourier features (`FourierFeatures`: an angle θ gives sin kθ, cos kθ, whole
 * harmonics, so θ and θ + 360° encode identically) → Linear → SiLU → Linear (`mlp.0`, `mlp.2`).
 * The frequencies are not weights: they are redrawn from `seed`, so the state dict holds the
 * MLP only.
 */
export class ContinuousDescriptorEncoder
  extends Module
  implements TaskEncoder<readonly (readonly number[])[] | readonly number[]>
{
  readonly config: TaskEncoderConfig;
  readonly inputDim: number;
  readonly outputDim: number;
  readonly features: FourierFeatures;
  readonly mlp: Sequential;

  constructor(options: ContinuousDescriptorEncoderOptions) {
    super();
    const owner = 'ContinuousDescriptorEncoder';
    const inputDim = positiveInt(owner, 'inputDim', options.inputDim ?? 1);
    const fourierFeatures = positiveInt(owner, 'fourierFeatures', options.fourierFeatures ?? 8);
    const outputDim = positiveInt(owner, 'outputDim', options.outputDim);
    const hidden = positiveInt(owner, 'hidden', options.hidden ?? 64);
    const periodic = options.periodic ?? false;
    const angleUnit = options.angleUnit ?? 'degrees';
    const fourierScale = finiteNumber(owner, 'fourierScale', options.fourierScale ?? 1);
    const seed = finiteNumber(owner, 'seed', options.seed ?? 0);
    this.config = {
      _class_name: 'ContinuousDescriptorEncoder',
      inputDim,
      fourierFeatures,
      outputDim,
      hidden,
      periodic: Array.isArray(periodic) ? [...periodic] : periodic,
      angleUnit,
      fourierScale,
      seed,
    };
    this.inputDim = inputDim;
    this.outputDim = outputDim;
    const rng = new Rng(seed);
    this.features = new FourierFeatures(
      { inputDim, fourierFeatures, periodic, angleUnit, fourierScale, rng: rng.fork() },
      owner,
    );
    this.mlp = this.addModule('mlp', twoLayerMlp(this.features.width, hidden, outputDim, rng));
  }

  /**
   * Condition vectors [batch, outputDim]: `descriptors` is one row of `inputDim` values per
   * task, or, when inputDim is 1, a plain array with one value per task (`[0, 30, 390]`).
   */
  encode(descriptors: readonly (readonly number[])[] | readonly number[]): tf.Tensor {
    const rows = toRows(descriptors, this.inputDim);
    const features = this.features.compute(rows, 'ContinuousDescriptorEncoder');
    return tf.tidy(() =>
      this.mlp.forward(tf.tensor2d(features, [rows.length, this.features.width])),
    );
  }
}

function toRows(
  descriptors: readonly (readonly number[])[] | readonly number[],
  inputDim: number,
): readonly (readonly number[])[] {
  if (descriptors.length === 0) {
    throw new TaskEncoderError('ContinuousDescriptorEncoder: no descriptors to encode');
  }
  if (descriptors.every((d) => Array.isArray(d))) return descriptors as readonly number[][];
  if (inputDim !== 1 || descriptors.some((d) => Array.isArray(d))) {
    throw new TaskEncoderError(
      `ContinuousDescriptorEncoder: give one array of ${inputDim} values per task (a plain list of numbers is taken only when inputDim is 1)`,
    );
  }
  return (descriptors as readonly number[]).map((x) => [x]);
}
