import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { initBackend } from '@pgen/backends';
import { Rng } from '@pgen/nn';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  type ClassificationData,
  ExampleCodeEstimator,
  type LabelledSet,
  loadTaskEncoder,
  pretrainFeatureExtractor,
  saveTaskEncoder,
  TaskEncoderError,
} from './index';

const INPUT = 12;
const CLASSES = 4;
const centres = new Rng(5).normalArray(CLASSES * INPUT, 0, 1);

/** Noisy points around one centre per class: a classifier can tell them apart. */
function clusters(classes: readonly number[], seed: number): ClassificationData {
  const rng = new Rng(seed);
  const inputs = new Float32Array(classes.length * INPUT);
  classes.forEach((c, i) => {
    for (let j = 0; j < INPUT; j++)
      inputs[i * INPUT + j] = centres[c * INPUT + j]! + 0.3 * rng.normal();
  });
  return { inputs, labels: Int32Array.from(classes) };
}

/** A labelled set of a binary task: each example's label is its class's bit of `code`. */
function taskSet(code: string, classes: readonly number[], seed: number): LabelledSet {
  const { inputs } = clusters(classes, seed);
  return { features: inputs, labels: Int32Array.from(classes, (c) => Number(code[c])) };
}

let estimator: ExampleCodeEstimator;

beforeAll(async () => {
  await initBackend({ prefer: 'cpu' });
  estimator = new ExampleCodeEstimator({
    numClasses: CLASSES,
    featureExtractor: { kind: 'mlp', inputSize: INPUT, hidden: 16 },
    seed: 1,
  });
  const rng = new Rng(2);
  const classes = Array.from({ length: 400 }, () => rng.int(CLASSES));
  const result = await pretrainFeatureExtractor(estimator, {
    ...clusters(classes, 3),
    numClasses: CLASSES,
    steps: 150,
    batchSize: 64,
    lr: 1e-2,
  });
  expect(result.accuracy).toBeGreaterThan(0.95);
});

describe('ExampleCodeEstimator', () => {
  it('reads each class bit off the labels of its examples, in any order', async () => {
    const sets = [
      taskSet('1010', [0, 1, 2, 3, 0, 2, 1, 3], 10),
      taskSet('0111', [3, 2, 1, 0, 3, 1], 11),
    ];
    const codes = await estimator.estimate(sets);
    expect(codes.map((c) => c.map(Math.round).join(''))).toEqual(['1010', '0111']);
    for (const code of codes) for (const v of code) expect(Math.abs(v - 0.5)).toBeGreaterThan(0.4);
    const reversed = sets[0]!;
    const n = reversed.labels.length;
    const flipped: LabelledSet = {
      features: Array.from({ length: n }, (_, i) =>
        (reversed.features as Float32Array).subarray((n - 1 - i) * INPUT, (n - i) * INPUT),
      ),
      labels: Int32Array.from({ length: n }, (_, i) => reversed.labels[n - 1 - i]!),
    };
    const again = await estimator.estimate([flipped]);
    for (const [i, v] of again[0]!.entries()) expect(v).toBeCloseTo(codes[0]![i]!, 5);
  });

  it('says ½ for a class the set never shows', async () => {
    const [code] = await estimator.estimate([taskSet('1100', [0, 1, 0, 1, 3], 12)]);
    expect(code![2]).toBeGreaterThan(0.3);
    expect(code![2]).toBeLessThan(0.7);
    expect(code![0]).toBeGreaterThan(0.9);
    expect(code![3]).toBeLessThan(0.1);
  });

  it('saves and loads as a task encoder; refuses bad options and labels', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'pgen-code-estimator-'));
    try {
      await saveTaskEncoder(dir, estimator);
      const loaded = await loadTaskEncoder(dir);
      expect(loaded).toBeInstanceOf(ExampleCodeEstimator);
      const set = taskSet('0011', [0, 1, 2, 3], 13);
      expect(await (loaded as ExampleCodeEstimator).estimate([set])).toEqual(
        await estimator.estimate([set]),
      );
      loaded.dispose();
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
    expect(() => new ExampleCodeEstimator({ featureExtractor: { kind: 'identity' } })).toThrow(
      TaskEncoderError,
    );
    expect(() => new ExampleCodeEstimator({ priorStrength: 0 })).toThrow(/priorStrength/);
    const bad = { features: new Float32Array(INPUT), labels: Int32Array.from([2]) };
    await expect(estimator.estimate([bad])).rejects.toThrow(TaskEncoderError);
  });
});
