import { initBackend } from '@pgen/backends';
import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { upsampleNearest2x } from './upsample';

beforeAll(async () => {
  await initBackend({ prefer: 'wasm' });
});

describe('upsampleNearest2x', () => {
  it('repeats every position of every channel twice', async () => {
    const x = tf.tensor3d([
      [
        [1, 10],
        [2, 20],
        [3, 30],
      ],
    ]);
    const y = upsampleNearest2x(x);
    expect(y.shape).toEqual([1, 6, 2]);
    expect(Array.from(await y.data())).toEqual([1, 10, 1, 10, 2, 20, 2, 20, 3, 30, 3, 30]);
    tf.dispose([x, y]);
  });

  it('sends each output gradient back to the position it copied', async () => {
    const x = tf.tensor3d([[[1], [2]]]);
    const w = tf.tensor3d([[[1], [2], [3], [4]]]);
    const g = tf.grad((t: tf.Tensor) => tf.sum(tf.mul(upsampleNearest2x(t), w)))(x);
    expect(Array.from(await g.data())).toEqual([3, 7]);
    tf.dispose([x, w, g]);
  });
});
