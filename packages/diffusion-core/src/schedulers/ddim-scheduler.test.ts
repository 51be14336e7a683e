import { initBackend } from '@pgen/backends';
import { memory, mul, tidy } from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { DiffusionInputError } from '../errors';
import { createGenerator } from '../random/generator';
import {
  absSumMean,
  dummyModel,
  dummySampleDeter,
  maxAbsDiff,
} from '../test-support/diffusers-dummies';
import { DdimScheduler, type DdimSchedulerConfig } from './ddim-scheduler';
import { DdpmScheduler } from './ddpm-scheduler';

beforeAll(async () => {
  await initBackend({ prefer: 'cpu' });
});

// diffusers' tests/schedulers/test_scheduler_ddim.py: clip_sample on, 10 steps, eta 0.
async function fullLoop(options: Partial<DdimSchedulerConfig> = {}) {
  const scheduler = new DdimScheduler({ clipSample: true, ...options });
  scheduler.setTimesteps(10);
  let sample = dummySampleDeter();
  for (const t of scheduler.timesteps) {
    const next = tidy(() => scheduler.step(dummyModel(sample, t), t, sample).prevSample);
    sample.dispose();
    sample = next;
  }
  const result = await absSumMean(sample);
  sample.dispose();
  return result;
}

describe('DdimScheduler against diffusers golden values', () => {
  it('has the reference variances', () => {
    const s = new DdimScheduler({ clipSample: true });
    expect(Math.abs(s.getVariance(0, 0))).toBeLessThan(1e-5);
    expect(Math.abs(s.getVariance(420, 400) - 0.14771)).toBeLessThan(1e-5);
    expect(Math.abs(s.getVariance(980, 960) - 0.3246)).toBeLessThan(1e-5);
    expect(Math.abs(s.getVariance(487, 486) - 0.00979)).toBeLessThan(1e-5);
    expect(Math.abs(s.getVariance(999, 998) - 0.02)).toBeLessThan(1e-5);
  });

  it('full loop (epsilon): sum 172.0067, mean 0.223967', async () => {
    const { sum, mean } = await fullLoop();
    expect(Math.abs(sum - 172.0067)).toBeLessThan(1e-2);
    expect(Math.abs(mean - 0.223967)).toBeLessThan(1e-3);
  });

  it('full loop with v_prediction: sum 52.5302, mean 0.0684', async () => {
    const { sum, mean } = await fullLoop({ predictionType: 'v_prediction' });
    expect(Math.abs(sum - 52.5302)).toBeLessThan(1e-2);
    expect(Math.abs(mean - 0.0684)).toBeLessThan(1e-3);
  });

  it('full loop with set_alpha_to_one and beta_start 0.01: sum 149.8295, mean 0.1951', async () => {
    const { sum, mean } = await fullLoop({ setAlphaToOne: true, betaStart: 0.01 });
    expect(Math.abs(sum - 149.8295)).toBeLessThan(1e-2);
    expect(Math.abs(mean - 0.1951)).toBeLessThan(1e-3);
  });

  it('full loop without set_alpha_to_one: sum 149.0784, mean 0.1941', async () => {
    const { sum, mean } = await fullLoop({ setAlphaToOne: false, betaStart: 0.01 });
    expect(Math.abs(sum - 149.0784)).toBeLessThan(1e-2);
    expect(Math.abs(mean - 0.1941)).toBeLessThan(1e-3);
  });

  it('loop from add_noise at t = 100: sum 354.5418, mean 0.4616', async () => {
    const scheduler = new DdimScheduler({ clipSample: true });
    scheduler.setTimesteps(10);
    const timesteps = Array.from(scheduler.timesteps.slice(8));
    expect(timesteps).toEqual([100, 0]);
    const clean = dummySampleDeter();
    const noise = dummySampleDeter(true);
    let sample = scheduler.addNoise(clean, noise, [100, 100, 100, 100]);
    clean.dispose();
    noise.dispose();
    for (const t of timesteps) {
      const next = tidy(() => scheduler.step(dummyModel(sample, t), t, sample).prevSample);
      sample.dispose();
      sample = next;
    }
    const { sum, mean } = await absSumMean(sample);
    sample.dispose();
    expect(Math.abs(sum - 354.5418)).toBeLessThan(1e-2);
    expect(Math.abs(mean - 0.4616)).toBeLessThan(1e-3);
  });
});

describe('DdimScheduler', () => {
  it('honours steps_offset and refuses zero steps or stepping before setTimesteps', () => {
    const scheduler = new DdimScheduler({ stepsOffset: 1 });
    const sample = createGenerator(0).randn([1, 4]);
    expect(() => scheduler.step(sample, 999, sample)).toThrow(/call setTimesteps/);
    scheduler.setTimesteps(5);
    expect(Array.from(scheduler.timesteps)).toEqual([801, 601, 401, 201, 1]);
    expect(() => scheduler.setTimesteps(0)).toThrow(DiffusionInputError);
    sample.dispose();
  });

  it('with η = 1 on every timestep takes exactly the DDPM step', async () => {
    const ddim = new DdimScheduler();
    ddim.setTimesteps(1000);
    const ddpm = new DdpmScheduler();
    const rng = createGenerator(21);
    const sample = rng.randn([4, 6]);
    const eps = rng.randn([4, 6]);
    for (const t of [999, 500, 37, 1]) {
      const a = ddim.step(eps, t, sample, createGenerator(5), { eta: 1 });
      const b = ddpm.step(eps, t, sample, createGenerator(5));
      const [x, y] = [await a.prevSample.data(), await b.prevSample.data()];
      expect(maxAbsDiff(x, y)).toBeLessThan(1e-4);
      for (const out of [a, b]) {
        out.prevSample.dispose();
        out.predOriginalSample.dispose();
      }
    }
    sample.dispose();
    eps.dispose();
  });

  it('is deterministic with η = 0, needs an rng with η > 0, and leaks nothing', () => {
    const scheduler = new DdimScheduler();
    scheduler.setTimesteps(50);
    const sample = createGenerator(3).randn([2, 3]);
    const before = memory().numTensors;
    expect(() => scheduler.step(sample, 980, sample, undefined, { eta: 0.5 })).toThrow(
      /needs an rng/,
    );
    expect(() => scheduler.step(sample, 980, sample, undefined, { eta: 2 })).toThrow(
      /eta must be in \[0, 1\]/,
    );
    const out = scheduler.step(sample, 980, sample);
    out.prevSample.dispose();
    out.predOriginalSample.dispose();
    expect(memory().numTensors).toBe(before);
    sample.dispose();
  });

  it('useClippedModelOutput recomputes ε̂ from the clipped x̂₀', async () => {
    const scheduler = new DdimScheduler({ clipSample: true });
    scheduler.setTimesteps(10);
    const sample = mul(createGenerator(8).randn([3, 4]), 3);
    const eps = createGenerator(9).randn([3, 4]);
    const plain = scheduler.step(eps, 900, sample);
    const clipped = scheduler.step(eps, 900, sample, undefined, { useClippedModelOutput: true });
    const [p, c] = [await plain.prevSample.data(), await clipped.prevSample.data()];
    expect(p.some((v, i) => Math.abs(v - (c[i] as number)) > 1e-3)).toBe(true);
    for (const t of [sample, eps, plain.prevSample, plain.predOriginalSample]) t.dispose();
    clipped.prevSample.dispose();
    clipped.predOriginalSample.dispose();
  });
});
