import { initBackend } from '@pgen/backends';
import { Rng } from '@pgen/nn';
import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  type ClassificationData,
  DatasetEncoder,
  type PretrainProgress,
  pretrainFeatureExtractor,
} from './index';
import { maxAbsDiff, take } from './test-support';

beforeAll(async () => {
  await initBackend({ prefer: 'cpu' });
});

const INPUT = 20;
const CLASSES = 4;

/** Gaussian clusters around fixed random centres: separable, yet no single input tells. */
function clusters(count: number, seed: number): ClassificationData {
  const centres = new Rng(99).normalArray(CLASSES * INPUT, 0, 1);
  const rng = new Rng(seed);
  const inputs = new Float32Array(count * INPUT);
  const labels = new Int32Array(count);
  for (let i = 0; i < count; i++) {
    const c = rng.int(CLASSES);
    labels[i] = c;
    for (let j = 0; j < INPUT; j++) {
      inputs[i * INPUT + j] = centres[c * INPUT + j]! + 0.5 * rng.normal();
    }
  }
  return { inputs, labels };
}

function encoder(featureDim: number): DatasetEncoder {
  return new DatasetEncoder({
    featureDim,
    numClasses: 2,
    hidden: 8,
    outputDim: 4,
    featureExtractor: { kind: 'mlp', inputSize: INPUT, hidden: 16 },
    seed: 3,
  });
}

async function weights(e: DatasetEncoder, prefix: string): Promise<number[]> {
  const out: number[] = [];
  for (const [name, p] of e.namedParameters()) {
    if (name.startsWith(prefix)) out.push(...(await p.data()));
  }
  return out;
}

describe('pretrainFeatureExtractor', () => {
  it('trains the extractor, through a temporary head, to classify a separable problem', async () => {
    const tensors = tf.memory().numTensors;
    const e = encoder(8);
    const train = clusters(400, 1);
    const validation = clusters(200, 2);
    const phiBefore = await weights(e, 'phi.');
    const extractorBefore = await weights(e, 'extractor.');
    const seen: PretrainProgress[] = [];

    const result = await pretrainFeatureExtractor(e, {
      ...train,
      numClasses: CLASSES,
      steps: 150,
      batchSize: 32,
      lr: 3e-3,
      seed: 5,
      validation,
      onProgress: (p) => seen.push(p),
    });
    expect(seen.map((p) => p.step)).toEqual(Array.from({ length: 150 }, (_, i) => i + 1));
    expect(seen[0]!.accuracy).toBeLessThan(0.6);
    expect(result.steps).toBe(150);
    expect(result.accuracy).toBeGreaterThan(0.95);
    expect(result.validationAccuracy).toBeGreaterThan(0.9);
    expect(result.loss).toBeLessThan(seen[0]!.loss / 3);
    // Only the extractor trained.
    expect(maxAbsDiff(await weights(e, 'extractor.'), extractorBefore)).toBeGreaterThan(1e-3);
    expect(await weights(e, 'phi.')).toEqual(phiBefore);
    e.dispose();
    // The head and the optimiser state went with the call (the encoder's own tensors with it).
    expect(tf.memory().numTensors).toBe(tensors);
  });

  it('uses the features as logits when there are as many as classes', async () => {
    const e = encoder(CLASSES);
    const train = clusters(400, 3);
    const result = await pretrainFeatureExtractor(e, {
      ...train,
      numClasses: CLASSES,
      steps: 150,
      batchSize: 32,
      lr: 3e-3,
    });
    expect(result.accuracy).toBeGreaterThan(0.95);
    // With no head in between, the extractor's own argmax is the classifier that was measured.
    const predicted = await take(
      tf.tidy(() => tf.argMax(e.extractor.forward(tf.tensor2d(train.inputs, [400, INPUT])), 1)),
    );
    const hits = predicted.filter((c, i) => c === train.labels[i]).length;
    expect(hits / 400).toBeCloseTo(result.accuracy, 6);
    e.dispose();
  });

  it('is deterministic given its seed', async () => {
    const train = clusters(100, 4);
    const run = async () => {
      const e = encoder(8);
      await pretrainFeatureExtractor(e, { ...train, numClasses: CLASSES, steps: 20, seed: 7 });
      const w = await weights(e, 'extractor.');
      e.dispose();
      return w;
    };
    expect(await run()).toEqual(await run());
  });

  it('refuses extractors without weights and labels out of range', async () => {
    const identity = new DatasetEncoder({ featureDim: INPUT, numClasses: 2, outputDim: 4 });
    const train = clusters(10, 5);
    await expect(
      pretrainFeatureExtractor(identity, { ...train, numClasses: CLASSES, steps: 1 }),
    ).rejects.toThrow(/identity extractor has no weights/);
    identity.dispose();
    const e = encoder(8);
    await expect(
      pretrainFeatureExtractor(e, { ...train, numClasses: 2, steps: 1 }),
    ).rejects.toThrow(/training example \d+ has label [23], not a class in 0…1/);
    await expect(
      pretrainFeatureExtractor(e, {
        inputs: train.inputs.subarray(1),
        labels: train.labels,
        numClasses: CLASSES,
      }),
    ).rejects.toThrow(/199 values for 10 labels of 20/);
    e.dispose();
  });
});
