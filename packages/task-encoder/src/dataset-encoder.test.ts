import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { initBackend } from '@pgen/backends';
import { AdamW, Linear, Rng } from '@pgen/nn';
import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { DatasetEncoder, type LabelledSet, loadTaskEncoder, saveTaskEncoder } from './index';
import { maxAbsDiff, perturbParameters, take } from './test-support';

beforeAll(async () => {
  await initBackend({ prefer: 'cpu' });
});

/** A set of `count` points in [−1, 1)², labelled 1 right of the hidden threshold `a`. */
function thresholdSet(a: number, count: number, rng: Rng): LabelledSet {
  const features = rng.uniformArray(2 * count, -1, 1);
  const labels = Array.from({ length: count }, (_, i) => (features[2 * i]! > a ? 1 : 0));
  return { features, labels };
}

function shuffled(set: LabelledSet, rng: Rng): LabelledSet {
  const rows = rng.shuffle(Array.from({ length: set.labels.length }, (_, i) => i));
  const flat = set.features as Float32Array;
  return {
    features: rows.map((r) => flat.slice(2 * r, 2 * r + 2)),
    labels: rows.map((r) => set.labels[r]!),
  };
}

describe('DatasetEncoder', () => {
  it('gives the same vector for any order of the examples', async () => {
    const encoder = new DatasetEncoder({ featureDim: 2, numClasses: 2, hidden: 16, outputDim: 6 });
    const rng = new Rng(5);
    const set = thresholdSet(0.2, 32, rng);
    const before = tf.memory().numTensors;
    const base = await take(encoder.encode([set]));
    expect(tf.memory().numTensors).toBe(before);
    for (let k = 0; k < 3; k++) {
      const perm = await take(encoder.encode([shuffled(set, rng)]));
      expect(maxAbsDiff(perm, base)).toBeLessThan(1e-5);
    }
    // A different task (threshold) gives a different vector.
    const other = await take(encoder.encode([thresholdSet(-0.6, 32, rng)]));
    expect(maxAbsDiff(other, base)).toBeGreaterThan(1e-3);
    encoder.dispose();
  });

  it('pools each set of a batch on its own, whatever the sizes', async () => {
    const encoder = new DatasetEncoder({ featureDim: 2, numClasses: 2, hidden: 16, outputDim: 6 });
    const rng = new Rng(6);
    const small = thresholdSet(0, 3, rng);
    const large = thresholdSet(0.5, 20, rng);
    const together = await take(encoder.encode([small, large]));
    const alone = [
      ...(await take(encoder.encode([small]))),
      ...(await take(encoder.encode([large]))),
    ];
    expect(maxAbsDiff(together, alone)).toBeLessThan(1e-5);
    encoder.dispose();
  });

  it('refuses empty sets, unknown labels and features of the wrong size', () => {
    const encoder = new DatasetEncoder({ featureDim: 2, numClasses: 3, hidden: 8, outputDim: 4 });
    const ok = { features: [0, 1, 2, 3], labels: [0, 2] };
    expect(() => encoder.encode([ok, { features: [], labels: [] }])).toThrow(
      /set 1 has no examples/,
    );
    expect(() => encoder.encode([])).toThrow(/no sets/);
    expect(() => encoder.encode([{ features: [0, 1, 2, 3], labels: [0, 3] }])).toThrow(
      /example 1 has label 3, not a class in 0…2/,
    );
    expect(() => encoder.encode([{ features: [0, 1, 2], labels: [0, 1] }])).toThrow(
      /3 feature values for 2 examples of 2/,
    );
    expect(() => encoder.encode([{ features: [[0, 1], [2]], labels: [0, 1] }])).toThrow(
      /example 1 has 1 feature values, expected 2/,
    );
    expect(() => encoder.encode([{ features: [0, Number.NaN], labels: [0] }])).toThrow(
      /non-finite/,
    );
    expect(
      () =>
        new DatasetEncoder({
          featureDim: 2,
          numClasses: 2,
          outputDim: 4,
          featureExtractor: { kind: 'resnet' } as never,
        }),
    ).toThrow(/featureExtractor.kind/);
    encoder.dispose();
  });

  it('runs a small CNN over 28×28 images, and gradients reach it', () => {
    const encoder = new DatasetEncoder({
      featureDim: 8,
      numClasses: 10,
      hidden: 16,
      outputDim: 4,
      featureExtractor: { kind: 'conv', filters: 4 },
    });
    expect(encoder.inputSize).toBe(784);
    expect(
      encoder
        .namedParameters()
        .map(([n]) => n)
        .slice(0, 6),
    ).toEqual([
      'extractor.conv1.weight',
      'extractor.conv1.bias',
      'extractor.conv2.weight',
      'extractor.conv2.bias',
      'extractor.fc.weight',
      'extractor.fc.bias',
    ]);
    const rng = new Rng(7);
    const sets: LabelledSet[] = [3, 5].map((n) => ({
      features: rng.uniformArray(n * 784),
      labels: Array.from({ length: n }, (_, i) => i),
    }));
    const conv1 = encoder.extractor.namedParameters()[0]![1];
    const before = tf.memory().numTensors;
    const { value, grads } = tf.variableGrads(
      () => tf.sum(tf.square(encoder.encode(sets))),
      [conv1],
    );
    expect(value.shape).toEqual([]);
    const g = grads[conv1.name]!;
    const largest = tf.tidy(() => tf.max(tf.abs(g)));
    expect(largest.dataSync()[0]).toBeGreaterThan(0);
    tf.dispose([value, g, largest]);
    expect(tf.memory().numTensors).toBe(before);
    encoder.dispose();
  });

  it('uses an MLP over flattened inputs when asked', async () => {
    const encoder = new DatasetEncoder({
      featureDim: 4,
      numClasses: 10,
      hidden: 8,
      outputDim: 3,
      featureExtractor: { kind: 'mlp', inputSize: 784, hidden: 16 },
    });
    expect(
      encoder
        .namedParameters()
        .map(([n, p]) => [n, p.shape])
        .slice(0, 3),
    ).toEqual([
      ['extractor.0.weight', [16, 784]],
      ['extractor.0.bias', [16]],
      ['extractor.2.weight', [4, 16]],
    ]);
    const out = encoder.encode([{ features: new Float32Array(2 * 784).fill(0.5), labels: [1, 7] }]);
    expect(out.shape).toEqual([1, 3]);
    out.dispose();
    encoder.dispose();
  });

  it('learns to recover a hidden task parameter from labelled examples', () => {
    // Sets whose labels depend on a hidden threshold a; encoder + linear head regress a.
    const encoder = new DatasetEncoder({
      featureDim: 2,
      numClasses: 2,
      hidden: 32,
      outputDim: 8,
      seed: 1,
    });
    const head = new Linear(8, 1, { rng: new Rng(2) });
    const params = [...encoder.parameters(), ...head.parameters()];
    const optimizer = new AdamW(params, { lr: 3e-3, weightDecay: 0 });
    const rng = new Rng(3);
    const batch = (n: number) => {
      const targets = Array.from({ length: n }, () => -0.8 + 1.6 * rng.next());
      return { sets: targets.map((a) => thresholdSet(a, 16, rng)), targets };
    };
    const lossOf = (b: ReturnType<typeof batch>) =>
      tf.tidy(() => {
        const predicted = tf.reshape(head.forward(encoder.encode(b.sets)), [-1]);
        return tf.mean(tf.square(tf.sub(predicted, tf.tensor1d(b.targets))));
      }) as tf.Scalar;
    const heldOut = batch(64);
    const measure = () => {
      const loss = lossOf(heldOut);
      const v = loss.dataSync()[0]!;
      loss.dispose();
      return v;
    };
    const initial = measure();
    const before = tf.memory().numTensors;
    for (let step = 0; step < 250; step++) {
      const b = batch(16);
      const { value, grads } = tf.variableGrads(() => lossOf(b), params);
      optimizer.applyGradients(grads);
      tf.dispose([value, ...Object.values(grads)]);
    }
    expect(tf.memory().numTensors).toBe(before);
    const final = measure();
    // Predicting the mean threshold leaves a loss of about 0.21 (the variance of a).
    expect(initial).toBeGreaterThan(0.1);
    expect(final).toBeLessThan(0.2 * initial);
    optimizer.dispose();
    encoder.dispose();
    head.dispose();
  });
});

describe('DatasetEncoder with a frozen extractor', () => {
  const options = {
    featureDim: 4,
    numClasses: 2,
    hidden: 8,
    outputDim: 3,
    featureExtractor: { kind: 'mlp', inputSize: 6, hidden: 5 } as const,
    seed: 2,
  };

  it('leaves extractor.* out of its trainable parameters, and an optimiser step leaves them alone', async () => {
    const joint = new DatasetEncoder(options);
    expect(joint.trainableParameters()).toEqual(joint.parameters());
    joint.dispose();
    const encoder = new DatasetEncoder({ ...options, frozenExtractor: true });
    const names = new Map(encoder.namedParameters().map(([n, p]) => [p, n]));
    expect(encoder.trainableParameters().map((p) => names.get(p))).toEqual([
      'phi.0.weight',
      'phi.0.bias',
      'phi.2.weight',
      'phi.2.bias',
      'rho.0.weight',
      'rho.0.bias',
      'rho.2.weight',
      'rho.2.bias',
    ]);
    const snapshot = async (prefix: string) => {
      const out: number[] = [];
      for (const [n, p] of encoder.namedParameters()) {
        if (n.startsWith(prefix)) out.push(...(await p.data()));
      }
      return out;
    };
    const extractorBefore = await snapshot('extractor.');
    const phiBefore = await snapshot('phi.');
    const optimizer = new AdamW(encoder.trainableParameters(), { lr: 1e-2 });
    const rng = new Rng(4);
    const set = { features: rng.uniformArray(5 * 6), labels: [0, 1, 1, 0, 1] };
    for (let step = 0; step < 3; step++) {
      const { loss } = optimizer.minimize(() => tf.sum(tf.square(encoder.encode([set]))));
      loss.dispose();
    }
    expect(await snapshot('extractor.')).toEqual(extractorBefore);
    expect(maxAbsDiff(await snapshot('phi.'), phiBefore)).toBeGreaterThan(1e-3);
    optimizer.dispose();
    encoder.dispose();
  });

  it('saves the flag in its config, so it survives save and load', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'pgen-frozen-extractor-'));
    try {
      const encoder = new DatasetEncoder({ ...options, frozenExtractor: true });
      perturbParameters(encoder, 8);
      await saveTaskEncoder(dir, encoder);
      const loaded = await loadTaskEncoder(dir);
      expect(loaded).toBeInstanceOf(DatasetEncoder);
      const reloaded = loaded as DatasetEncoder;
      expect(reloaded.config).toEqual(encoder.config);
      expect(reloaded.config.frozenExtractor).toBe(true);
      expect(reloaded.frozenExtractor).toBe(true);
      expect(reloaded.trainableParameters()).toHaveLength(8);
      const set = { features: new Rng(1).uniformArray(2 * 6), labels: [1, 0] };
      expect(await take(reloaded.encode([set]))).toEqual(await take(encoder.encode([set])));
      encoder.dispose();
      reloaded.dispose();
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
    expect(() => new DatasetEncoder({ ...options, frozenExtractor: 'yes' as never })).toThrow(
      /frozenExtractor must be true or false/,
    );
  });
});
