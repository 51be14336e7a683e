import { Module, Rng, type Sequential } from '@pgen/nn';
import * as tf from '@tensorflow/tfjs-core';
import { TaskEncoderError } from './errors';
import {
  buildFeatureExtractor,
  type FeatureExtractor,
  type FeatureExtractorConfig,
} from './feature-extractor';
import { type LabelledSet, packLabelledSets } from './labelled-set';
import { finiteNumber, positiveInt } from './options';
import type { TaskEncoder, TaskEncoderConfig } from './task-encoder';
import { twoLayerMlp } from './two-layer-mlp';

export interface DatasetEncoderOptions {
  /** Features per example after the extractor (and per raw example for 'identity'). */
  featureDim: number;
  /** Number of classes; labels are one-hot encoded beside the features. */
  numClasses: number;
  /** Hidden width of φ and ρ (default 128). */
  hidden?: number;
  /** Width of the condition vector. */
  outputDim: number;
  /**
   * How raw examples become features (default `{ kind: 'identity' }`); for MNIST digits pass
   * `{ kind: 'conv' }` (28 × 28 × 1) or `{ kind: 'mlp', inputSize: 784 }`.
   */
  featureExtractor?: FeatureExtractorConfig;
  /** Seed of the initial weights (default 0). */
  seed?: number;
  /**
   * The extractor is trained beforehand (see `pretrainFeatureExtractor`) and kept as it is: the
   * model this encoder conditions trains only the other weights ({@link
   * DatasetEncoder.trainableParameters}). Saved in the config, so a reloaded encoder says so too
   * (default false: everything trains jointly).
   */
  frozenExtractor?: boolean;
}

/**
 * Conditions on a task by showing it: a few labelled examples become one vector, a Deep Sets
 * encoder ρ(mean_i φ([f(x_i), onehot(y_i)])). The mean pools each set separately (sets may
 * differ in size), so the output does not depend on the order of the examples, and a task never
 * seen in training is described by examples of it alone. Weights: `extractor.*` (if any),
 * `phi.0`, `phi.2`, `rho.0`, `rho.2`.
 */
export class DatasetEncoder extends Module implements TaskEncoder<readonly LabelledSet[]> {
  readonly config: TaskEncoderConfig;
  readonly featureDim: number;
  readonly numClasses: number;
  readonly outputDim: number;
  readonly extractor: FeatureExtractor;
  readonly frozenExtractor: boolean;
  readonly phi: Sequential;
  readonly rho: Sequential;

  constructor(options: DatasetEncoderOptions) {
    super();
    const owner = 'DatasetEncoder';
    const featureDim = positiveInt(owner, 'featureDim', options.featureDim);
    const numClasses = positiveInt(owner, 'numClasses', options.numClasses);
    const hidden = positiveInt(owner, 'hidden', options.hidden ?? 128);
    const outputDim = positiveInt(owner, 'outputDim', options.outputDim);
    const featureExtractor = options.featureExtractor ?? { kind: 'identity' };
    const seed = finiteNumber(owner, 'seed', options.seed ?? 0);
    const frozenExtractor = options.frozenExtractor ?? false;
    if (typeof frozenExtractor !== 'boolean') {
      throw new TaskEncoderError(
        `${owner}: frozenExtractor must be true or false, got ${String(frozenExtractor)}`,
      );
    }
    this.config = {
      _class_name: 'DatasetEncoder',
      featureDim,
      numClasses,
      hidden,
      outputDim,
      featureExtractor: { ...featureExtractor },
      seed,
      frozenExtractor,
    };
    this.featureDim = featureDim;
    this.frozenExtractor = frozenExtractor;
    this.numClasses = numClasses;
    this.outputDim = outputDim;
    const rng = new Rng(seed);
    this.extractor = this.addModule(
      'extractor',
      buildFeatureExtractor(featureExtractor, featureDim, rng.fork(), owner),
    );
    this.phi = this.addModule('phi', twoLayerMlp(featureDim + numClasses, hidden, hidden, rng));
    this.rho = this.addModule('rho', twoLayerMlp(hidden, hidden, outputDim, rng));
  }

  /** Values per raw example the encoder expects (`featureExtractor`'s input size). */
  get inputSize(): number {
    return this.extractor.inputSize;
  }

  /**
   * The weights a fit of the conditioned model may update: every parameter, less `extractor.*`
   * when the extractor is frozen. (Module has no per-parameter trainable flag; the optimiser's
   * parameter list is where freezing belongs, so gradients are not even computed for them.)
   */
  trainableParameters(): tf.Variable[] {
    if (!this.frozenExtractor) return this.parameters();
    const frozen = new Set(this.extractor.parameters());
    return this.parameters().filter((p) => !frozen.has(p));
  }

  /** One condition vector per set, [sets.length, outputDim]. */
  encode(sets: readonly LabelledSet[]): tf.Tensor {
    const packed = packLabelledSets(sets, this.inputSize, this.numClasses);
    const n = packed.total;
    return tf.tidy(() => {
      const features = this.extractor.forward(tf.tensor2d(packed.inputs, [n, this.inputSize]));
      const labels = tf.tensor2d(packed.oneHot, [n, this.numClasses]);
      const perExample = this.phi.forward(tf.concat([features, labels], 1));
      const pooled = tf.matMul(tf.tensor2d(packed.pool, [sets.length, n]), perExample);
      return this.rho.forward(pooled);
    });
  }
}
