import { initBackend } from '@pgen/backends';
import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { gaussianKl } from './gaussian-kl';

beforeAll(async () => {
  await initBackend({ prefer: 'wasm' });
});

describe('gaussianKl', () => {
  it('is zero for the standard normal', async () => {
    const mean = tf.zeros([3, 4]);
    const logVar = tf.zeros([3, 4]);
    const kl = gaussianKl(mean, logVar);
    expect(await kl.array()).toBeCloseTo(0, 6);
    tf.dispose([mean, logVar, kl]);
  });

  it('matches the closed form summed over dimensions and averaged over the batch', async () => {
    // Row 0: μ = (1, 0), log σ² = (0, ln 2) → ½(1) + ½(2 − 1 − ln 2); row 1: all zero.
    const mean = tf.tensor2d([
      [1, 0],
      [0, 0],
    ]);
    const logVar = tf.tensor2d([
      [0, Math.log(2)],
      [0, 0],
    ]);
    const kl = gaussianKl(mean, logVar);
    const row0 = 0.5 + 0.5 * (2 - 1 - Math.log(2));
    expect(await kl.array()).toBeCloseTo(row0 / 2, 5);
    tf.dispose([mean, logVar, kl]);
  });
});
