import type { Module } from '@pgen/nn';
import { Rng } from '@pgen/nn';
import * as tf from '@tensorflow/tfjs-core';

/**
 * Moves every parameter away from its seeded initialisation, as training would, so that a
 * reloaded encoder only matches if its weights really came from the file.
 */
export function perturbParameters(module: Module, seed: number): void {
  const rng = new Rng(seed);
  for (const p of module.parameters()) {
    tf.tidy(() => p.assign(tf.add(p, tf.tensor(rng.normalArray(p.size, 0, 0.1), p.shape))));
  }
}

/** The values of a tensor, which is disposed. */
export async function take(t: tf.Tensor): Promise<number[]> {
  const v = Array.from(await t.data());
  t.dispose();
  return v;
}

/** max |a − b|. */
export function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let d = 0;
  for (let i = 0; i < a.length; i++) d = Math.max(d, Math.abs(a[i]! - b[i]!));
  return d;
}
