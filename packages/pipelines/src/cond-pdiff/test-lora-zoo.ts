import { collectLoraZoo, loadMnist, type MnistData, splitMnist } from '@pgen/zoo';

/** Small MNIST splits (600 train, 200 test images) for quick LoRA zoos. */
export async function smallMnist(): Promise<{ train: MnistData; test: MnistData }> {
  const { train, test } = splitMnist(await loadMnist(), { trainCount: 9_000 });
  return {
    train: splitMnist(train, { trainCount: 600 }).train,
    test: splitMnist(test, { trainCount: 200 }).train,
  };
}

/**
 * A LoRA zoo small enough for a test: a one-block ViT of width 16 (384 LoRA parameters per
 * adapter), rotations 0, 90, 180 and 270°, the last 3 of 6 steps kept per task.
 */
export async function tinyLoraZoo(out: string, data: { train: MnistData; test: MnistData }) {
  return collectLoraZoo({
    out,
    vit: { dim: 16, depth: 1, heads: 2 },
    baseEpochs: 1,
    angles: [0, 90, 180, 270],
    steps: 6,
    keep: 3,
    batchSize: 32,
    data,
  });
}

/** A config that fits in a second on such a zoo. */
export const TINY_COND_PDIFF_CONFIG = {
  aeChannels: [4, 8],
  latentDim: 8,
  aeSteps: 20,
  aeBatchSize: 8,
  conditionDim: 8,
  denoiserHidden: 32,
  denoiserDepth: 1,
  diffusionSteps: 10,
  diffusionBatchSize: 8,
  examplesPerTask: 4,
  samplingSteps: 4,
};
