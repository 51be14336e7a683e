import { Rng } from '@pgen/nn';
import * as tf from '@tensorflow/tfjs-core';

/** Values of a tensor as a plain array. */
export async function values(t: tf.Tensor): Promise<number[]> {
  return Array.from(await t.data());
}

/** Seeded uniforms in [low, high) as a plain array (kept in float64 for references). */
export function randomArray(n: number, seed: number, low = -1, high = 1): number[] {
  const rng = new Rng(seed);
  return Array.from({ length: n }, () => low + (high - low) * rng.next());
}

/** A seeded float32 tensor with values in [low, high). */
export function randomTensor(shape: number[], seed: number, low = -1, high = 1): tf.Tensor {
  return tf.tensor(
    randomArray(
      shape.reduce((a, b) => a * b, 1),
      seed,
      low,
      high,
    ),
    shape,
  );
}

/** max |a − b| / max |b|, as @pgen/backends measures it. */
export { maxRelativeError as relativeError } from '@pgen/backends';

/** max |a − b|. */
export function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let diff = 0;
  for (let i = 0; i < b.length; i++) diff = Math.max(diff, Math.abs(a[i]! - b[i]!));
  return diff;
}
