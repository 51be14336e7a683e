import * as tf from '@tensorflow/tfjs-core';
import type { MnistData } from '../mnist/mnist-data';
import type { ClassifierModel } from '../models/classifier-model';
import { makeBatch } from './batches';

export interface PredictOptions {
  /** Images per forward pass (default 250). */
  batchSize?: number;
}

/**
 * The predicted class of every image, in eval mode (BatchNorm uses running statistics). The
 * model's training flag is restored afterwards.
 */
export async function predictLabels(
  model: ClassifierModel,
  data: MnistData,
  options: PredictOptions = {},
): Promise<Int32Array> {
  const batchSize = options.batchSize ?? 250;
  const wasTraining = model.training;
  model.eval();
  const out = new Int32Array(data.count);
  try {
    for (let start = 0; start < data.count; start += batchSize) {
      const end = Math.min(data.count, start + batchSize);
      const indices = Int32Array.from({ length: end - start }, (_, i) => start + i);
      const predicted = tf.tidy(() => {
        const { images } = makeBatch(data, indices);
        return tf.argMax(model.forward(images), 1);
      });
      out.set(await predicted.data(), start);
      predicted.dispose();
    }
  } finally {
    model.train(wasTraining);
  }
  return out;
}

/** Fraction of images whose predicted class equals the label, with the predictions. */
export async function evaluateAccuracy(
  model: ClassifierModel,
  data: MnistData,
  options: PredictOptions = {},
): Promise<{ accuracy: number; predictions: Int32Array }> {
  const predictions = await predictLabels(model, data, options);
  let correct = 0;
  for (let i = 0; i < data.count; i++) if (predictions[i] === data.labels[i]) correct++;
  return { accuracy: data.count > 0 ? correct / data.count : 0, predictions };
}
