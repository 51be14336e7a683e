import { type Tensor, tensor } from '@tensorflow/tfjs-core';
import { getDefaultRng, type Rng } from '../random/rng';

function size(shape: readonly number[]): number {
  return shape.reduce((a, b) => a * b, 1);
}

/** Uniform in [−bound, bound): PyTorch's default for Linear and Conv weights and biases. */
export function uniformInit(shape: number[], bound: number, rng: Rng = getDefaultRng()): Tensor {
  return tensor(rng.uniformArray(size(shape), -bound, bound), shape);
}

/** Normal(mean, std). */
export function normalInit(
  shape: number[],
  std: number,
  rng: Rng = getDefaultRng(),
  mean = 0,
): Tensor {
  return tensor(rng.normalArray(size(shape), mean, std), shape);
}

/**
 * Normal(0, std) truncated to [−2·std, 2·std] by resampling, as timm's `trunc_normal_` with
 * its default bounds initialises ViT tokens and positions.
 */
export function truncatedNormalInit(
  shape: number[],
  std: number,
  rng: Rng = getDefaultRng(),
): Tensor {
  const out = new Float32Array(size(shape));
  for (let i = 0; i < out.length; i++) {
    let z = rng.normal();
    while (z < -2 || z > 2) z = rng.normal();
    out[i] = z * std;
  }
  return tensor(out, shape);
}

/**
 * PyTorch's `kaiming_uniform_(a=√5)` bound for Linear/Conv weights, 1/√fan_in, which is also
 * the bound of their default bias initialisation.
 */
export function defaultBound(fanIn: number): number {
  return fanIn > 0 ? 1 / Math.sqrt(fanIn) : 0;
}
