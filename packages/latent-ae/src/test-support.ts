import { Rng } from '@pgen/nn';
import * as tf from '@tensorflow/tfjs-core';

/**
 * `count` vectors of length `dim` near a `rank`-dimensional subspace (random basis, random
 * coefficients, small isotropic noise), standardised to zero mean and unit variance as
 * per-tensor-normalised parameters are: structure an autoencoder can learn.
 */
export function lowRankVectors(
  count: number,
  dim: number,
  rank: number,
  seed: number,
): tf.Tensor2D {
  const rng = new Rng(seed);
  const basis = rng.normalArray(rank * dim);
  const out = new Float32Array(count * dim);
  for (let i = 0; i < count; i++) {
    const coeffs = rng.normalArray(rank);
    for (let j = 0; j < dim; j++) {
      let v = 0.01 * rng.normal();
      for (let r = 0; r < rank; r++) v += coeffs[r]! * basis[r * dim + j]!;
      out[i * dim + j] = v;
    }
  }
  let mean = 0;
  for (const v of out) mean += v;
  mean /= out.length;
  let variance = 0;
  for (const v of out) variance += (v - mean) ** 2;
  const std = Math.sqrt(variance / out.length);
  for (let i = 0; i < out.length; i++) out[i] = (out[i]! - mean) / std;
  return tf.tensor2d(out, [count, dim]);
}

/** A seeded [rows, cols] tensor of standard normals. */
export function randomVectors(rows: number, cols: number, seed: number): tf.Tensor2D {
  return tf.tensor2d(new Rng(seed).normalArray(rows * cols), [rows, cols]);
}
