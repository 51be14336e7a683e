import { Module, Rng } from '@pgen/nn';
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

export interface ExampleCodeEstimatorOptions {
  /** Classes of the underlying data, one code bit each (default 10, MNIST's digits). */
  numClasses?: number;
  /**
   * The class classifier: raw example → `numClasses` logits (default an `mlp` over 784 pixels,
   * hidden 128). Train it with `pretrainFeatureExtractor` before use.
   */
  featureExtractor?: FeatureExtractorConfig;
  /**
   * Pseudo-examples of label ½ added to every class (default 0.1): a class the set never shows
   * reads ½ (unknown) instead of 0/0, and one confident example reads ~0.95, not 1.
   */
  priorStrength?: number;
  /** Seed of the classifier's initial weights (default 0). */
  seed?: number;
}

/**
 * Reads a binary task's class code off a handful of its labelled examples: a classifier of the
 * underlying classes (digits) gives each example class probabilities p, and bit c is the
 * p_c-weighted share of positive labels, (Σ p_c·y + s/2) / (Σ p_c + s). The result is a soft
 * code (one value in [0, 1] per class) that a task-code model takes in place of the exact code,
 * so a model fitted on codes generates for a task shown only by examples. A set encoder learned
 * through a generator's loss had to discover this pooling and did not (RPG's examples arm stayed
 * at chance); written out, it is permutation-invariant and exact when the classifier is.
 * `encode` gives [sets, numClasses]; weights `extractor.*`. Binary labels: 1 positive, 0 not.
 */
export class ExampleCodeEstimator extends Module implements TaskEncoder<readonly LabelledSet[]> {
  readonly config: TaskEncoderConfig;
  readonly numClasses: number;
  readonly outputDim: number;
  readonly extractor: FeatureExtractor;
  private readonly priorStrength: number;

  constructor(options: ExampleCodeEstimatorOptions = {}) {
    super();
    const owner = 'ExampleCodeEstimator';
    const numClasses = positiveInt(owner, 'numClasses', options.numClasses ?? 10);
    const featureExtractor = options.featureExtractor ?? {
      kind: 'mlp',
      inputSize: 784,
      hidden: 128,
    };
    if (featureExtractor.kind === 'identity') {
      throw new TaskEncoderError(`${owner}: the class classifier needs weights, not 'identity'`);
    }
    const priorStrength = finiteNumber(owner, 'priorStrength', options.priorStrength ?? 0.1);
    if (!(priorStrength > 0)) {
      throw new TaskEncoderError(`${owner}: priorStrength must be positive, got ${priorStrength}`);
    }
    const seed = finiteNumber(owner, 'seed', options.seed ?? 0);
    this.config = {
      _class_name: 'ExampleCodeEstimator',
      numClasses,
      featureExtractor: { ...featureExtractor },
      priorStrength,
      seed,
    };
    this.numClasses = numClasses;
    this.outputDim = numClasses;
    this.priorStrength = priorStrength;
    this.extractor = this.addModule(
      'extractor',
      buildFeatureExtractor(featureExtractor, numClasses, new Rng(seed), owner),
    );
  }

  /** The classifier's output width, as `pretrainFeatureExtractor` reads it: the class logits. */
  get featureDim(): number {
    return this.numClasses;
  }

  /** Values per raw example. */
  get inputSize(): number {
    return this.extractor.inputSize;
  }

  /** Soft codes [sets.length, numClasses], each value in (0, 1). */
  encode(sets: readonly LabelledSet[]): tf.Tensor {
    const packed = packLabelledSets(sets, this.inputSize, 2, 'ExampleCodeEstimator');
    const n = packed.total;
    const s = this.priorStrength;
    return tf.tidy(() => {
      const probs = tf.softmax(
        this.extractor.forward(tf.tensor2d(packed.inputs, [n, this.inputSize])),
      );
      // oneHot column 1 is the positive label; the pooling matrix keeps each set to its rows.
      const positive = tf.slice(tf.tensor2d(packed.oneHot, [n, 2]), [0, 1], [n, 1]);
      const membership = tf.cast(
        tf.greater(tf.tensor2d(packed.pool, [sets.length, n]), 0),
        'float32',
      );
      const mass = tf.matMul(membership, probs);
      const positiveMass = tf.matMul(membership, tf.mul(probs, positive));
      return tf.div(tf.add(positiveMass, s / 2), tf.add(mass, s));
    });
  }

  /** {@link encode} as plain arrays, one soft code per set. */
  async estimate(sets: readonly LabelledSet[]): Promise<number[][]> {
    const codes = this.encode(sets);
    try {
      const values = await codes.data();
      return sets.map((_, i) =>
        Array.from(values.subarray(i * this.numClasses, (i + 1) * this.numClasses)),
      );
    } finally {
      codes.dispose();
    }
  }
}
