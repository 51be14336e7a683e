import { initBackend } from '@pgen/backends';
import { BatchNorm2d, Conv2d, Rng } from '@pgen/nn';
import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { FastBatchNorm2d } from './fast-batch-norm';
import { FastGradConv2d } from './fast-conv2d';

beforeAll(async () => {
  await initBackend({ prefer: 'wasm' });
});

async function maxRelDiff(a: tf.Tensor, b: tf.Tensor): Promise<number> {
  const [x, y] = [await a.data(), await b.data()];
  let diff = 0;
  let scale = 0;
  for (let i = 0; i < x.length; i++) {
    diff = Math.max(diff, Math.abs(x[i]! - y[i]!));
    scale = Math.max(scale, Math.abs(y[i]!));
  }
  return diff / scale;
}

describe('FastGradConv2d', () => {
  // Odd and even sizes exercise the padding/cropping of the spread gradient.
  const cases = [
    { k: 3, s: 1, p: 1, size: 9 },
    { k: 3, s: 2, p: 1, size: 14 },
    { k: 3, s: 2, p: 1, size: 7 },
    { k: 1, s: 2, p: 0, size: 14 },
    { k: 7, s: 7, p: 0, size: 28 },
  ];
  for (const { k, s, p, size } of cases) {
    it(`matches Conv2d's value and gradients (k${k} s${s} p${p} on ${size}×${size})`, async () => {
      const fast = new FastGradConv2d(3, 5, k, { stride: s, padding: p, rng: new Rng(1) });
      const ref = new Conv2d(3, 5, k, { stride: s, padding: p, rng: new Rng(1) });
      const x = tf.randomNormal([2, size, size, 3], 0, 1, 'float32', 7);
      const probe = tf.randomNormal(fast.forward(x).shape, 0, 1, 'float32', 8);
      const lossOf = (conv: Conv2d) => (input: tf.Tensor) =>
        tf.sum(tf.mul(conv.forward(input), probe));
      const run = (conv: Conv2d) =>
        tf.variableGrads(() => lossOf(conv)(x) as tf.Scalar, [conv.weight, conv.bias!]);
      const dx = (conv: Conv2d) =>
        tf.grad((input: tf.Tensor) => lossOf(conv)(input) as tf.Scalar)(x);
      const a = run(fast);
      const b = run(ref);
      expect(await maxRelDiff(a.value, b.value)).toBeLessThan(1e-5);
      expect(await maxRelDiff(a.grads[fast.weight.name]!, b.grads[ref.weight.name]!)).toBeLessThan(
        1e-4,
      );
      expect(await maxRelDiff(dx(fast), dx(ref))).toBeLessThan(1e-4);
      fast.dispose();
      ref.dispose();
    });
  }
});

describe('FastBatchNorm2d', () => {
  it('matches BatchNorm2d in training (output, gradients, running statistics)', async () => {
    const x = tf.randomNormal([4, 5, 5, 3], 1, 2, 'float32', 9);
    const fast = new FastBatchNorm2d(3);
    const ref = new BatchNorm2d(3);
    const probe = tf.randomNormal([4, 5, 5, 3], 0, 1, 'float32', 10);
    const grads = (bn: BatchNorm2d) =>
      tf.grad((input: tf.Tensor) => tf.sum(tf.mul(bn.forward(input), probe)) as tf.Scalar)(x);
    expect(await maxRelDiff(grads(fast), grads(ref))).toBeLessThan(1e-4);
    expect(await maxRelDiff(fast.forward(x), ref.forward(x))).toBeLessThan(1e-5);
    expect(await maxRelDiff(fast.runningVar!, ref.runningVar!)).toBeLessThan(1e-6);
    expect(Array.from(await fast.numBatchesTracked!.data())).toEqual([2]); // one forward in tf.grad, one plain
  });
});
