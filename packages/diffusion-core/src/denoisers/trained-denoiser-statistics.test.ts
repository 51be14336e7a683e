import { initBackend } from '@pgen/backends';
import { Rng } from '@pgen/nn';
import * as tf from '@tensorflow/tfjs-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sample } from '../sampling/sample';
import { DdpmScheduler } from '../schedulers/ddpm-scheduler';
import { componentMoments } from '../test-support/gaussian-mixture';
import { DenoiserTrainer } from '../training/denoiser-trainer';
import { asDenoiser } from './denoiser-module';
import { MlpDenoiser } from './mlp-denoiser';

// Three components in 8 dimensions, selected by a one-hot condition: the denoiser must learn
// each component's mean and spread, and obey the condition.
const d = 8;
const means = [
  new Array<number>(d).fill(2),
  new Array<number>(d).fill(-2),
  Array.from({ length: d }, (_, j) => (j % 2 === 0 ? 2 : -2)),
];
const stds = [0.5, 1, 0.7];

function drawBatch(rng: Rng, n: number) {
  const x = new Float32Array(n * d);
  const components = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    const k = rng.int(3);
    components[i] = k;
    for (let j = 0; j < d; j++) x[i * d + j] = means[k]![j]! + stds[k]! * rng.normal();
  }
  return { x, components };
}

const scheduler = new DdpmScheduler();
let denoiser: MlpDenoiser;

beforeAll(async () => {
  await initBackend({ prefer: 'wasm' });
  denoiser = new MlpDenoiser({ dim: d, conditionDim: 3, hidden: 128, depth: 2, seed: 1 });
  const steps = 2500;
  const trainer = new DenoiserTrainer({
    scheduler,
    denoiser,
    lr: 2e-3,
    totalSteps: steps,
    warmupSteps: 100,
    seed: 2,
  });
  const rng = new Rng(3);
  for (let i = 0; i < steps; i++) {
    const { x, components } = drawBatch(rng, 256);
    const x0 = tf.tensor2d(x, [256, d]);
    const condition = tf.cast(tf.oneHot(tf.tensor1d(components, 'int32'), 3), 'float32');
    await trainer.trainStep({ x0, condition });
    tf.dispose([x0, condition]);
  }
  trainer.dispose();
  denoiser.eval();
}, 300_000);

afterAll(() => denoiser.dispose());

/**
 * Samples 600 rows, 200 per requested component, and measures each group against the
 * component it asked for. A learned denoiser is not exact: the bounds are looser than for the
 * analytic denoiser (means within 0.3 s, stds within 20 %), and an untrained network misses
 * them by far (its samples are not even near the means).
 */
async function conditionalErrors(sampler: 'ddpm' | 'ddim', steps: number, sampling = scheduler) {
  const requested = Array.from({ length: 600 }, (_, i) => Math.floor(i / 200));
  const condition = tf.cast(tf.oneHot(tf.tensor1d(requested, 'int32'), 3), 'float32');
  const result = await sample({
    scheduler: sampling,
    model: asDenoiser(denoiser),
    shape: [600, d],
    condition,
    sampler,
    steps,
    seed: 11,
    chunkSize: 300,
  });
  const x = (await result.data()) as Float32Array;
  tf.dispose([result, condition]);
  let mean = 0;
  let std = 0;
  let landed = 0;
  for (let k = 0; k < 3; k++) {
    const m = componentMoments(x, d, requested, k);
    for (let j = 0; j < d; j++) {
      mean = Math.max(mean, Math.abs(m.mean[j]! - means[k]![j]!) / stds[k]!);
      std = Math.max(std, Math.abs(m.std[j]! / stds[k]! - 1));
    }
  }
  // A row lands in the requested component when it is nearest that component's mean.
  for (let i = 0; i < 600; i++) {
    const row = x.subarray(i * d, (i + 1) * d);
    const distances = means.map((mu) => mu.reduce((s, v, j) => s + (row[j]! - v) ** 2, 0));
    if (distances.indexOf(Math.min(...distances)) === requested[i]) landed++;
  }
  return { mean, std, landed: landed / 600 };
}

describe('a denoiser trained on a conditional Gaussian mixture', () => {
  it('DDPM-1000 samples match each component and land where the condition asks', async () => {
    const errors = await conditionalErrors('ddpm', 1000);
    expect(errors.landed).toBeGreaterThanOrEqual(0.99);
    expect(errors.mean).toBeLessThan(0.3);
    expect(errors.std).toBeLessThan(0.2);
  });

  it('DDIM-50 samples do too, with x̂₀ clipped to the data range', async () => {
    // Deterministic DDIM follows x̂₀ = (x − √(1−ᾱ)·ε̂)/√ᾱ, which multiplies a learned ε̂'s error
    // by up to ~150 at the noisiest steps; without a bound 0.5 % of rows here end far off
    // (std error 2.5). Clipping x̂₀ to a range the data respects (±6) removes them.
    const clipped = new DdpmScheduler({ clipSample: true, clipSampleRange: 6 });
    const errors = await conditionalErrors('ddim', 50, clipped);
    expect(errors.landed).toBeGreaterThanOrEqual(0.99);
    expect(errors.mean).toBeLessThan(0.3);
    expect(errors.std).toBeLessThan(0.2);
  });
});
