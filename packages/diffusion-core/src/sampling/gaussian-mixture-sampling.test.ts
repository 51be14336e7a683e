import { initBackend } from '@pgen/backends';
import { memory, mul, tensor1d, tidy } from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { DdpmScheduler } from '../schedulers/ddpm-scheduler';
import {
  assignComponents,
  componentMoments,
  type GaussianMixture,
  mixtureDenoiser,
} from '../test-support/gaussian-mixture';
import type { Denoiser } from '../training/denoiser';
import { sample } from './sample';

beforeAll(async () => {
  // wasm runs the mixture denoiser's many small ops several times faster than the cpu backend.
  await initBackend({ prefer: 'wasm' });
});

// Three well-separated components in 8 dimensions, with different spreads.
const d = 8;
const mixture: GaussianMixture = {
  weights: [0.5, 0.3, 0.2],
  means: [
    new Array<number>(d).fill(2.5),
    new Array<number>(d).fill(-2.5),
    Array.from({ length: d }, (_, j) => (j % 2 === 0 ? 2.5 : -2.5)),
  ],
  stds: [
    new Array<number>(d).fill(0.5),
    new Array<number>(d).fill(1),
    Array.from({ length: d }, (_, j) => 0.3 + 0.1 * j),
  ],
};

interface MomentErrors {
  /** Largest |fraction of samples in component k − π_k|. */
  fraction: number;
  /** Largest |per-axis mean − μ| in units of that axis's s_k. */
  mean: number;
  /** Largest |per-axis std / s_k − 1|. */
  std: number;
  /** Largest |correlation| between two axes within a component (the truth is 0). */
  correlation: number;
}

async function momentErrors(
  sampler: 'ddpm' | 'ddim',
  steps: number,
  outputScale = 1,
): Promise<MomentErrors> {
  const scheduler = new DdpmScheduler();
  const exact = mixtureDenoiser(mixture, scheduler);
  const model: Denoiser = (x, t, c) => tidy(() => mul(exact(x, t, c), outputScale));
  const n = 2000;
  const before = memory().numTensors;
  const result = await sample({
    scheduler,
    model,
    shape: [n, d],
    sampler,
    steps,
    seed: 7,
    chunkSize: 1000,
  });
  const x = (await result.data()) as Float32Array;
  result.dispose();
  expect(memory().numTensors).toBe(before);
  const labels = assignComponents(mixture, x, d);
  const errors: MomentErrors = { fraction: 0, mean: 0, std: 0, correlation: 0 };
  mixture.weights.forEach((weight, k) => {
    const m = componentMoments(x, d, labels, k);
    errors.fraction = Math.max(errors.fraction, Math.abs(m.count / n - weight));
    errors.correlation = Math.max(errors.correlation, m.maxAbsCorrelation);
    for (let j = 0; j < d; j++) {
      const s = (mixture.stds[k] as number[])[j] as number;
      const mu = (mixture.means[k] as number[])[j] as number;
      errors.mean = Math.max(errors.mean, Math.abs((m.mean[j] as number) - mu) / s);
      errors.std = Math.max(errors.std, Math.abs((m.std[j] as number) / s - 1));
    }
  });
  return errors;
}

// The denoiser is exact, so any deviation beyond sampling noise is the sampler's. With 2000
// samples the smallest component has ~400: standard errors ≈ 0.05·s for a mean, ≈ 3.5 % for a
// std, 0.05 for a correlation; the bounds below are ≥ 3 of those, taken as a maximum over
// every axis. A denoiser 10 % off (checked below) or DDIM with 10 steps breaks the std bound.
const tolerance: MomentErrors = { fraction: 0.04, mean: 0.25, std: 0.12, correlation: 0.25 };

function expectWithin(errors: MomentErrors): void {
  expect(errors.fraction).toBeLessThan(tolerance.fraction);
  expect(errors.mean).toBeLessThan(tolerance.mean);
  expect(errors.std).toBeLessThan(tolerance.std);
  expect(errors.correlation).toBeLessThan(tolerance.correlation);
}

describe('samplers on a Gaussian mixture with its exact denoiser', () => {
  it('DDPM with 1000 steps reproduces the component weights, means and covariances', async () => {
    expectWithin(await momentErrors('ddpm', 1000));
  });

  it('the same check fails for a denoiser whose output is 10 % too large', async () => {
    expect((await momentErrors('ddpm', 1000, 1.1)).std).toBeGreaterThan(tolerance.std);
  });

  it('DDIM with 50 steps (η = 0) reproduces them too', async () => {
    expectWithin(await momentErrors('ddim', 50));
  });

  it('conditional sampling lands in the requested component', async () => {
    const scheduler = new DdpmScheduler();
    const model = mixtureDenoiser(mixture, scheduler);
    const n = 1500;
    const requested = Array.from({ length: n }, (_, i) => i % 3);
    const condition = tensor1d(requested, 'int32');
    for (const sampler of ['ddpm', 'ddim'] as const) {
      const result = await sample({
        scheduler,
        model,
        shape: [n, d],
        condition,
        sampler,
        steps: sampler === 'ddpm' ? 1000 : 50,
        seed: 3,
        chunkSize: 750,
      });
      const x = (await result.data()) as Float32Array;
      result.dispose();
      const labels = assignComponents(mixture, x, d);
      const hits = labels.filter((label, i) => label === requested[i]).length;
      expect(hits / n).toBeGreaterThanOrEqual(0.99);
      for (let k = 0; k < 3; k++) {
        const m = componentMoments(x, d, requested, k);
        for (let j = 0; j < d; j++) {
          const s = (mixture.stds[k] as number[])[j] as number;
          const mu = (mixture.means[k] as number[])[j] as number;
          expect(Math.abs((m.mean[j] as number) - mu)).toBeLessThan(tolerance.mean * s);
          expect(Math.abs((m.std[j] as number) / s - 1)).toBeLessThan(tolerance.std);
        }
      }
    }
    condition.dispose();
  });
});
