import { AdamW, cosineWithWarmup, crossEntropy, Linear, Rng } from '@pgen/nn';
import * as tf from '@tensorflow/tfjs-core';
import type { DatasetEncoder } from './dataset-encoder';
import { TaskEncoderError } from './errors';
import { positiveInt } from './options';

/** Labelled examples of a multi-class task: row-major inputs and one class per row. */
export interface ClassificationData {
  /** [count, inputSize] values, row-major (MNIST pixels in [0, 1], say). */
  inputs: Float32Array;
  /** Class of each row, integers in 0…numClasses−1. */
  labels: ArrayLike<number>;
}

/** Options of {@link pretrainFeatureExtractor}. */
export interface PretrainFeatureExtractorOptions extends ClassificationData {
  /** Classes of the task, e.g. 10 for MNIST digits. */
  numClasses: number;
  /** Optimiser steps (default 1500). */
  steps?: number;
  /** Examples per step (default 128); the data is gone through in shuffled epochs. */
  batchSize?: number;
  /** Peak learning rate of a cosine decay to 0 (default 1e-3). */
  lr?: number;
  /** AdamW weight decay (default 0). */
  weightDecay?: number;
  /** Seed of the temporary head, the batch order (default 0). */
  seed?: number;
  /** Examples kept out of training, to measure how well the features generalise. */
  validation?: ClassificationData;
  /** Called after every step. */
  onProgress?: (progress: PretrainProgress) => void;
}

/** Reported after every step of {@link pretrainFeatureExtractor}. */
export interface PretrainProgress {
  /** Steps done (1-based) and in all. */
  step: number;
  steps: number;
  /** Cross-entropy and accuracy of this step's batch, before its update. */
  loss: number;
  accuracy: number;
  /** Seconds left at the mean pace so far. */
  etaSeconds: number;
}

/** How pretraining ended. */
export interface PretrainResult {
  steps: number;
  /** Mean cross-entropy and accuracy over all training examples, after the last step. */
  loss: number;
  accuracy: number;
  /** Accuracy on `validation`, when given. */
  validationAccuracy?: number;
  seconds: number;
}

/** What `pretrainFeatureExtractor` trains: a `DatasetEncoder`, an `ExampleCodeEstimator`. */
export type ExtractorOwner = Pick<DatasetEncoder, 'extractor' | 'featureDim' | 'config'>;

/** Examples per forward pass when measuring a whole set. */
const EVAL_CHUNK = 1000;

/**
 * Trains a `DatasetEncoder`'s feature extractor as a classifier of `numClasses` classes
 * (softmax cross-entropy, AdamW, cosine-decayed learning rate), in place, and returns its final
 * accuracy. A set encoder trained only through the loss of the model it conditions may never
 * learn what an example is (which digit), although that is what tells one task from another;
 * pretraining gives it that, and `frozenExtractor` keeps it.
 *
 * Head: when `featureDim === numClasses` the features themselves are the class logits. Otherwise
 * a temporary Linear(featureDim → numClasses) reads the logits off the features and is thrown
 * away after; the encoder keeps its feature width (so φ and the saved layout do not change), and
 * its features stay a `featureDim`-wide linear view of the trained hidden layer, which holds
 * more about an example than its `numClasses` logits.
 */
export async function pretrainFeatureExtractor(
  encoder: ExtractorOwner,
  options: PretrainFeatureExtractorOptions,
): Promise<PretrainResult> {
  const owner = 'pretrainFeatureExtractor';
  const extractor = encoder.extractor;
  const inputSize = extractor.inputSize;
  const numClasses = positiveInt(owner, 'numClasses', options.numClasses);
  const steps = positiveInt(owner, 'steps', options.steps ?? 1500);
  const batchSize = positiveInt(owner, 'batchSize', options.batchSize ?? 128);
  const lr = options.lr ?? 1e-3;
  if (!(lr > 0)) throw new TaskEncoderError(`${owner}: lr must be positive, got ${lr}`);
  const seed = options.seed ?? 0;
  const count = checkData(options, inputSize, numClasses, owner, 'training');
  if (options.validation) {
    checkData(options.validation, inputSize, numClasses, owner, 'validation');
  }
  if (extractor.parameters().length === 0) {
    throw new TaskEncoderError(
      `${owner}: the ${String((encoder.config.featureExtractor as { kind: string }).kind)} extractor has no weights to train`,
    );
  }
  const rng = new Rng(seed);
  const head =
    encoder.featureDim === numClasses
      ? undefined
      : new Linear(encoder.featureDim, numClasses, { rng: rng.fork() });
  const logitsOf = (x: tf.Tensor) => {
    const features = extractor.forward(x);
    return head ? head.forward(features) : features;
  };
  const params = [...extractor.parameters(), ...(head?.parameters() ?? [])];
  const optimizer = new AdamW(params, { lr, weightDecay: options.weightDecay ?? 0 });
  const schedule = cosineWithWarmup({ baseLr: lr, totalSteps: steps });
  const batch = Math.min(batchSize, count);
  const order = Int32Array.from({ length: count }, (_, i) => i);
  let cursor = count;
  const xData = new Float32Array(batch * inputSize);
  const yData = new Int32Array(batch);
  const wasTraining = extractor.training;
  extractor.train();
  const started = Date.now();
  try {
    for (let step = 0; step < steps; step++) {
      for (let r = 0; r < batch; r++) {
        // Shuffled epochs: every example once per pass, in a new order each pass.
        if (cursor === count) {
          rng.shuffle(order);
          cursor = 0;
        }
        const i = order[cursor++]!;
        xData.set(options.inputs.subarray(i * inputSize, (i + 1) * inputSize), r * inputSize);
        yData[r] = options.labels[i]!;
      }
      optimizer.setLearningRate(schedule(step));
      const x = tf.tensor2d(xData, [batch, inputSize]);
      const y = tf.tensor1d(yData, 'int32');
      let correct = undefined as tf.Tensor | undefined;
      const { loss } = optimizer.minimize(() =>
        tf.tidy(() => {
          const logits = logitsOf(x);
          // Kept out of the tidy: the batch's accuracy comes free with the forward pass.
          correct = tf.keep(tf.sum(tf.cast(tf.equal(tf.argMax(logits, 1), y), 'float32')));
          return crossEntropy(logits, y);
        }),
      );
      const [lossValue, correctValue] = await Promise.all([loss.data(), correct!.data()]);
      tf.dispose([x, y, loss, correct!]);
      const elapsed = (Date.now() - started) / 1000;
      options.onProgress?.({
        step: step + 1,
        steps,
        loss: lossValue[0]!,
        accuracy: correctValue[0]! / batch,
        etaSeconds: (elapsed / (step + 1)) * (steps - step - 1),
      });
    }
    extractor.eval();
    const final = await measure(logitsOf, options, inputSize);
    const validation = options.validation
      ? await measure(logitsOf, options.validation, inputSize)
      : undefined;
    return {
      steps,
      loss: final.loss,
      accuracy: final.accuracy,
      ...(validation ? { validationAccuracy: validation.accuracy } : {}),
      seconds: (Date.now() - started) / 1000,
    };
  } finally {
    extractor.train(wasTraining);
    optimizer.dispose();
    head?.dispose();
  }
}

/** Mean cross-entropy and accuracy over a whole set, a chunk at a time. */
async function measure(
  logitsOf: (x: tf.Tensor) => tf.Tensor,
  data: ClassificationData,
  inputSize: number,
): Promise<{ loss: number; accuracy: number }> {
  const count = data.labels.length;
  let lossSum = 0;
  let correct = 0;
  for (let from = 0; from < count; from += EVAL_CHUNK) {
    const n = Math.min(EVAL_CHUNK, count - from);
    const labels = Int32Array.from({ length: n }, (_, k) => data.labels[from + k]!);
    const [l, c] = tf.tidy(() => {
      const x = tf.tensor2d(data.inputs.subarray(from * inputSize, (from + n) * inputSize), [
        n,
        inputSize,
      ]);
      const y = tf.tensor1d(labels, 'int32');
      const logits = logitsOf(x);
      return [
        tf.mul(crossEntropy(logits, y), n),
        tf.sum(tf.cast(tf.equal(tf.argMax(logits, 1), y), 'float32')),
      ];
    });
    const [lv, cv] = await Promise.all([l.data(), c.data()]);
    tf.dispose([l, c]);
    lossSum += lv[0]!;
    correct += cv[0]!;
  }
  return { loss: lossSum / count, accuracy: correct / count };
}

/** Checks a data set's sizes and labels; returns its example count. */
function checkData(
  data: ClassificationData,
  inputSize: number,
  numClasses: number,
  owner: string,
  which: string,
): number {
  const count = data.labels?.length ?? 0;
  if (count === 0) throw new TaskEncoderError(`${owner}: no ${which} examples`);
  if (data.inputs?.length !== count * inputSize) {
    throw new TaskEncoderError(
      `${owner}: ${which} inputs hold ${data.inputs?.length} values for ${count} labels of ${inputSize} values each`,
    );
  }
  for (let i = 0; i < count; i++) {
    const label = data.labels[i]!;
    if (!Number.isInteger(label) || label < 0 || label >= numClasses) {
      throw new TaskEncoderError(
        `${owner}: ${which} example ${i} has label ${String(label)}, not a class in 0…${numClasses - 1}`,
      );
    }
  }
  return count;
}
