import { initBackend } from '@pgen/backends';
import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { BinaryCodeEncoder, binaryCodesToArray, classesToCode, TaskEncoderError } from './index';
import { take } from './test-support';

beforeAll(async () => {
  await initBackend({ prefer: 'cpu' });
});

describe('binary codes', () => {
  it('reads bit i from the i-th character counting from the left', () => {
    expect(Array.from(binaryCodesToArray(['0010000000', '1000000001'], 10))).toEqual([
      0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 1,
    ]);
    expect(classesToCode([2], 10)).toBe('0010000000');
    expect(classesToCode([0, 9], 10)).toBe('1000000001');
  });

  it('refuses codes of the wrong length or with characters other than 0 and 1', () => {
    expect(() => binaryCodesToArray(['001'], 10)).toThrow(/has 3 bits, expected 10/);
    expect(() => binaryCodesToArray(['00100000x0'], 10)).toThrow(/"x" at position 8/);
    expect(() => binaryCodesToArray([[0, 1, Number.NaN]], 3)).toThrow(/non-finite/);
    expect(() => binaryCodesToArray([], 10)).toThrow(TaskEncoderError);
    expect(() => classesToCode([10], 10)).toThrow(/class 10/);
  });
});

describe('BinaryCodeEncoder', () => {
  it('has PyTorch Sequential names and maps codes to [batch, outputDim]', async () => {
    const encoder = new BinaryCodeEncoder({ bits: 10, hidden: 16, outputDim: 8, seed: 1 });
    expect(encoder.namedParameters().map(([n, p]) => [n, p.shape])).toEqual([
      ['mlp.0.weight', [16, 10]],
      ['mlp.0.bias', [16]],
      ['mlp.2.weight', [8, 16]],
      ['mlp.2.bias', [8]],
    ]);
    const before = tf.memory().numTensors;
    const out = encoder.encode(['0010000000', '0100000000']);
    expect(out.shape).toEqual([2, 8]);
    const v = await take(out);
    expect(tf.memory().numTensors).toBe(before);
    // Different tasks get different conditions; a string and its number form the same one.
    expect(v.slice(0, 8)).not.toEqual(v.slice(8));
    const asNumbers = await take(encoder.encode([[0, 0, 1, 0, 0, 0, 0, 0, 0, 0]]));
    expect(asNumbers).toEqual(v.slice(0, 8));
    // Same seed, same weights.
    const twin = new BinaryCodeEncoder({ bits: 10, hidden: 16, outputDim: 8, seed: 1 });
    expect(await take(twin.encode(['0010000000']))).toEqual(v.slice(0, 8));
    encoder.dispose();
    twin.dispose();
  });

  it('matches the two-layer SiLU MLP computed by hand', async () => {
    const encoder = new BinaryCodeEncoder({ bits: 3, hidden: 4, outputDim: 2, seed: 3 });
    const [w1, b1, w2, b2] = await Promise.all(
      encoder.parameters().map(async (p) => Array.from(await p.data())),
    );
    const x = [1, 0, 1];
    const h = [0, 1, 2, 3].map((j) => {
      const z = b1![j]! + x.reduce((s, xi, i) => s + xi * w1![j * 3 + i]!, 0);
      return z / (1 + Math.exp(-z));
    });
    const want = [0, 1].map((k) => b2![k]! + h.reduce((s, hj, j) => s + hj * w2![k * 4 + j]!, 0));
    const got = await take(encoder.encode(['101']));
    got.forEach((g, k) => {
      expect(g).toBeCloseTo(want[k]!, 5);
    });
    encoder.dispose();
  });

  it('refuses bad options with a clear error', () => {
    expect(() => new BinaryCodeEncoder({ bits: 0, outputDim: 4 })).toThrow(
      /bits must be a positive integer/,
    );
    expect(() => new BinaryCodeEncoder({ outputDim: 2.5 })).toThrow(/outputDim/);
  });
});
