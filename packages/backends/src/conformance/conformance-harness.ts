import { grads, mul, sum, type Tensor, tensor, tidy } from '@tensorflow/tfjs-core';
import { type BackendName, BackendUnavailableError, initBackend } from '../index';
import { maxRelativeError } from '../max-relative-error';
import { seededRandom } from '../seeded-random';
import type { Shape } from './reference-ops';

/**
 * The backends the suite runs on. WebGPU needs an adapter (a GPU, or Mesa's lavapipe);
 * with PGEN_REQUIRE_WEBGPU=1 (set by CI) its absence fails the suite instead of skipping it.
 */
export const CONFORMANCE_BACKENDS: readonly BackendName[] = ['cpu', 'wasm', 'webgpu'];

export const requireWebgpu = process.env.PGEN_REQUIRE_WEBGPU === '1';

/**
 * Starts `name` for a describe block; returns false (skip) only for an unavailable WebGPU
 * when it is not required.
 */
export async function useBackend(name: BackendName): Promise<boolean> {
  try {
    await initBackend({ prefer: name });
    return true;
  } catch (error) {
    if (name === 'webgpu' && !requireWebgpu && error instanceof BackendUnavailableError) {
      console.warn(`conformance: skipping webgpu: ${error.reason}`);
      return false;
    }
    throw error;
  }
}

/** A seeded input: float32-representable values in [-scale, scale), kept in float64. */
export function randomInput(shape: Shape, seed: number, scale = 1): Float64Array {
  const random = seededRandom(seed);
  const n = shape.reduce((a, b) => a * b, 1);
  return Float64Array.from({ length: n }, () => Math.fround((random() * 2 - 1) * scale));
}

export function toTensor(values: Float64Array, shape: Shape): Tensor {
  return tensor(Float32Array.from(values), [...shape], 'float32');
}

/** The suite's comparison; see {@link maxRelativeError}. */
export const relativeError = maxRelativeError;

/** Values of `t` through `await data()` (the only way that works on webgpu), then disposes it. */
export async function readAndDispose(t: Tensor): Promise<Float32Array> {
  const values = (await t.data()) as Float32Array;
  t.dispose();
  return values;
}

/**
 * Gradients of L(x₁…xₙ) = Σ f(x₁…xₙ) ⊙ w for a fixed random cotangent w, from tfjs's
 * autodiff on the current backend.
 */
export async function backendGradients(
  f: (...xs: Tensor[]) => Tensor,
  inputs: { values: Float64Array; shape: Shape }[],
  cotangent: Float64Array,
  outShape: Shape,
): Promise<Float32Array[]> {
  const result = tidy(() => {
    const w = toTensor(cotangent, outShape);
    const xs = inputs.map((x) => toTensor(x.values, x.shape));
    return grads((...args: Tensor[]) => sum(mul(f(...args), w)))(xs);
  });
  return Promise.all(result.map(readAndDispose));
}

/**
 * The same gradients by central finite differences of the float64 reference: independent of
 * tfjs's gradient code, accurate to ~1e-9 at h = 1e-5.
 */
export function finiteDifferenceGradients(
  reference: (...xs: Float64Array[]) => Float64Array,
  inputs: readonly Float64Array[],
  cotangent: Float64Array,
  h = 1e-5,
): Float64Array[] {
  const loss = (xs: Float64Array[]) => {
    const out = reference(...xs);
    let total = 0;
    for (let i = 0; i < out.length; i++) total += out[i]! * cotangent[i]!;
    return total;
  };
  return inputs.map((input, which) => {
    const g = new Float64Array(input.length);
    const xs = inputs.map((x) => Float64Array.from(x));
    const x = xs[which]!;
    for (let i = 0; i < x.length; i++) {
      const original = x[i]!;
      x[i] = original + h;
      const up = loss(xs);
      x[i] = original - h;
      const down = loss(xs);
      x[i] = original;
      g[i] = (up - down) / (2 * h);
    }
    return g;
  });
}
