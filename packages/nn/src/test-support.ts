import * as tf from '@tensorflow/tfjs-core';
import { Rng } from './random/rng';

/** Values of a tensor as a plain array (awaits, so it works on every backend). */
export async function values(t: tf.Tensor): Promise<number[]> {
  return Array.from(await t.data());
}

/** A seeded float32 tensor with values in [−scale, scale). */
export function randomTensor(shape: number[], seed: number, scale = 1): tf.Tensor {
  const rng = new Rng(seed);
  return tf.tensor(
    rng.uniformArray(
      shape.reduce((a, b) => a * b, 1),
      -scale,
      scale,
    ),
    shape,
  );
}

/** max |a − b| / max |b|, as @pgen/backends measures it. */
export { maxRelativeError as relativeError } from '@pgen/backends';
