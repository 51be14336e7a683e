import {
  type ClassificationData,
  ExampleCodeEstimator,
  type PretrainProgress,
  type PretrainResult,
  pretrainFeatureExtractor,
} from '@pgen/task-encoder';
import type { MnistData } from '@pgen/zoo';

/**
 * MNIST as a 10-class digit task, the supervised data of RPG's example encoders: the training
 * split to learn from, the test split only measured (`validation`).
 */
export function mnistDigitClassification(splits: {
  train: MnistData;
  test: MnistData;
}): ClassificationData & { numClasses: number; validation: ClassificationData } {
  return {
    inputs: splits.train.images,
    labels: splits.train.labels,
    numClasses: 10,
    validation: { inputs: splits.test.images, labels: splits.test.labels },
  };
}

/**
 * A new `ExampleCodeEstimator` (seeded by `seed`) whose digit classifier is trained for `steps`
 * steps on the MNIST training split and measured on the test split.
 */
export async function trainMnistCodeEstimator(
  splits: { train: MnistData; test: MnistData },
  options: { steps: number; seed: number; onProgress?: (progress: PretrainProgress) => void },
): Promise<{ estimator: ExampleCodeEstimator; result: PretrainResult }> {
  const estimator = new ExampleCodeEstimator({ seed: options.seed });
  try {
    const result = await pretrainFeatureExtractor(estimator, {
      ...mnistDigitClassification(splits),
      ...options,
    });
    return { estimator, result };
  } catch (error) {
    estimator.dispose();
    throw error;
  }
}
