import { getBackend, matMul, tensor2d, tidy } from '@tensorflow/tfjs-core';
import { maxRelativeError as maxRelativeErrorOf } from './max-relative-error';
import { seededRandom, uniformArray } from './seeded-random';

export interface HealthCheckResult {
  /** The tfjs backend that ran the check. */
  backend: string;
  /** What was computed, e.g. `matMul 64×96·96×48`. */
  check: string;
  /** max |result − reference| / max |reference|, against a float64 reference. */
  maxRelativeError: number;
  ok: boolean;
  milliseconds: number;
}

export interface HealthCheckOptions {
  m?: number;
  k?: number;
  n?: number;
  /** Largest acceptable relative error (float32 accumulation over k terms). Default 1e-4. */
  tolerance?: number;
  seed?: number;
}

/**
 * A small matmul on the current backend compared with a float64 reference: catches a backend
 * that starts but computes garbage (a broken driver, a miscompiled shader).
 */
export async function checkBackendHealth(
  options: HealthCheckOptions = {},
): Promise<HealthCheckResult> {
  const { m = 64, k = 96, n = 48, tolerance = 1e-4, seed = 1 } = options;
  const random = seededRandom(seed);
  const a = uniformArray(m * k, random);
  const b = uniformArray(k * n, random);
  const start = performance.now();
  const product = tidy(() => matMul(tensor2d(a, [m, k]), tensor2d(b, [k, n])));
  const values = await product.data();
  product.dispose();
  const milliseconds = performance.now() - start;
  const reference = new Float64Array(m * n);
  for (let i = 0; i < m; i++) {
    for (let j = 0; j < n; j++) {
      let ref = 0;
      for (let p = 0; p < k; p++) ref += a[i * k + p]! * b[p * n + j]!;
      reference[i * n + j] = ref;
    }
  }
  const maxRelativeError = maxRelativeErrorOf(values, reference);
  return {
    backend: getBackend(),
    check: `matMul ${m}×${k}·${k}×${n}`,
    maxRelativeError,
    ok: maxRelativeError <= tolerance,
    milliseconds,
  };
}
