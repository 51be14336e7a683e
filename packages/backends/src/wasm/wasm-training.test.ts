import * as tf from '@tensorflow/tfjs-core';
import { afterAll, describe, expect, it } from 'vitest';
import { initBackend, releaseBackend } from '../index';
import { seededRandom, uniformArray } from '../seeded-random';

/**
 * Trains a small conv net with an embedding-conditioned bias for a few Adam steps and returns
 * the loss curve and final weights. Every gradient kernel pgen adds to wasm is on this path:
 * Conv2DBackpropFilter, UnsortedSegmentSum (gather's gradient), transposed BatchMatMul.
 */
async function trainTinyConvNet(steps: number) {
  const random = seededRandom(7);
  const images = tf.tensor4d(uniformArray(16 * 8 * 8 * 1, random), [16, 8, 8, 1]);
  const labels = tf.tensor1d(
    Array.from({ length: 16 }, (_, i) => i % 4),
    'int32',
  );
  const targets = tf.tidy(() => tf.oneHot(labels, 4).toFloat());
  const init = (shape: number[], scale: number) =>
    tf.tidy(() =>
      tf.variable(
        tf
          .tensor(
            uniformArray(
              shape.reduce((a, b) => a * b),
              random,
            ),
            shape,
          )
          .mul(scale),
      ),
    );
  const w1 = init([3, 3, 1, 6], 0.5);
  const w2 = init([3, 3, 6, 8], 0.3);
  const embedding = init([4, 8], 0.1);
  const dense = init([8, 4], 0.3);
  const optimizer = tf.train.adam(0.02);
  const losses: number[] = [];
  for (let step = 0; step < steps; step++) {
    const loss = optimizer.minimize(() => {
      const h1 = tf.relu(tf.conv2d(images, w1 as tf.Tensor4D, 1, 'same'));
      const h2 = tf.relu(tf.conv2d(h1, w2 as tf.Tensor4D, 2, 'same'));
      const pooled = tf.mean(h2, [1, 2]).add(tf.gather(embedding, labels));
      const logits = tf.matMul(pooled, dense);
      return tf.losses.softmaxCrossEntropy(targets, logits) as tf.Scalar;
    }, true);
    losses.push((await loss!.data())[0]!);
    loss!.dispose();
  }
  const weights = await Promise.all([w1, w2, embedding, dense].map((v) => v.data()));
  optimizer.dispose();
  tf.dispose([images, labels, targets, w1, w2, embedding, dense]);
  return { losses, weights };
}

afterAll(releaseBackend);

describe('conv and embedding training on wasm', () => {
  it('trains, and follows the cpu backend step for step', async () => {
    await initBackend({ prefer: 'wasm' });
    const onWasm = await trainTinyConvNet(25);
    await initBackend({ prefer: 'cpu' });
    const onCpu = await trainTinyConvNet(25);

    expect(onWasm.losses.at(-1)!).toBeLessThan(onWasm.losses[0]! * 0.5);
    onWasm.losses.forEach((loss, i) => {
      expect(loss).toBeCloseTo(onCpu.losses[i]!, 3);
    });
    onWasm.weights.forEach((w, i) => {
      const c = onCpu.weights[i]!;
      let diff = 0;
      let scale = 0;
      for (let k = 0; k < w.length; k++) {
        diff = Math.max(diff, Math.abs(w[k]! - c[k]!));
        scale = Math.max(scale, Math.abs(c[k]!));
      }
      expect(diff / scale).toBeLessThan(1e-3);
    });
  });

  it('leaks no tensors, and no wasm heap buffers inside the added kernels', async () => {
    await initBackend({ prefer: 'wasm' });
    const tensorsBefore = tf.memory().numTensors;
    const buffersBefore = tf.engine().backend.numDataIds();
    await trainTinyConvNet(3);
    expect(tf.memory().numTensors).toBe(tensorsBefore);
    expect(tf.engine().backend.numDataIds()).toBe(buffersBefore);
  });
});
