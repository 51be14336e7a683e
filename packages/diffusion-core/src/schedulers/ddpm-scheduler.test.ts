import { initBackend } from '@pgen/backends';
import { memory, mul, tensor1d, tidy } from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { DiffusionInputError, SchedulerConfigError } from '../errors';
import { createGenerator } from '../random/generator';
import {
  absSumMean,
  dummyModel,
  dummySampleDeter,
  maxAbsDiff,
} from '../test-support/diffusers-dummies';
import { TorchCpuRandn } from '../test-support/torch-randn';
import { DdpmScheduler } from './ddpm-scheduler';

beforeAll(async () => {
  await initBackend({ prefer: 'cpu' });
});

// diffusers' tests/schedulers/test_scheduler_ddpm.py configuration.
const diffusersConfig = { clipSample: true, varianceType: 'fixed_small' as const };

async function fullLoop(scheduler: DdpmScheduler): Promise<{ sum: number; mean: number }> {
  const rng = new TorchCpuRandn(0);
  let sample = dummySampleDeter();
  for (let t = scheduler.numTrainTimesteps - 1; t >= 0; t--) {
    const next = tidy(() => scheduler.step(dummyModel(sample, t), t, sample, rng).prevSample);
    sample.dispose();
    sample = next;
  }
  const result = await absSumMean(sample);
  sample.dispose();
  return result;
}

describe('DdpmScheduler against diffusers golden values', () => {
  it('has the reference variances at t = 0, 487, 999', () => {
    const scheduler = new DdpmScheduler(diffusersConfig);
    expect(Math.abs(scheduler.getVariance(0) - 0)).toBeLessThan(1e-5);
    expect(Math.abs(scheduler.getVariance(487) - 0.00979)).toBeLessThan(1e-5);
    expect(Math.abs(scheduler.getVariance(999) - 0.02)).toBeLessThan(1e-5);
  });

  it('reproduces the full 1000-step loop (epsilon): sum 258.9606, mean 0.3372', async () => {
    const { sum, mean } = await fullLoop(new DdpmScheduler(diffusersConfig));
    expect(Math.abs(sum - 258.9606)).toBeLessThan(1e-2);
    expect(Math.abs(mean - 0.3372)).toBeLessThan(1e-3);
  });

  it('reproduces the full loop with v_prediction: sum 202.0296, mean 0.2631', async () => {
    const { sum, mean } = await fullLoop(
      new DdpmScheduler({ ...diffusersConfig, predictionType: 'v_prediction' }),
    );
    expect(Math.abs(sum - 202.0296)).toBeLessThan(1e-2);
    expect(Math.abs(mean - 0.2631)).toBeLessThan(1e-3);
  });
});

describe('DdpmScheduler', () => {
  // diffusers asserts sum 387.9466 / mean 0.5051 here, a value that depends on torch's float32
  // schedule: at t = 1, 1 − ᾱ_t ≈ 2e-4 loses ~4 digits in float32. A numpy re-run of the same
  // loop gives 387.9466 in float32 and 387.96725 in float64; pgen keeps the schedule in float64,
  // so it is held to the float64 value (same tolerance as diffusers).
  it('reproduces the two-step loop from add_noise at t = 1 (float64 reference)', async () => {
    const scheduler = new DdpmScheduler(diffusersConfig);
    const rng = new TorchCpuRandn(0);
    const timesteps = Array.from(scheduler.timesteps.slice(scheduler.numTrainTimesteps - 2));
    expect(timesteps).toEqual([1, 0]);
    const clean = dummySampleDeter();
    const noise = dummySampleDeter(true);
    let sample = scheduler.addNoise(clean, noise, timesteps[0] as number);
    clean.dispose();
    noise.dispose();
    for (const t of timesteps) {
      const next = tidy(() => scheduler.step(dummyModel(sample, t), t, sample, rng).prevSample);
      sample.dispose();
      sample = next;
    }
    const { sum, mean } = await absSumMean(sample);
    sample.dispose();
    expect(Math.abs(sum - 387.96725)).toBeLessThan(1e-2);
    expect(Math.abs(mean - 0.505166)).toBeLessThan(1e-3);
  });

  it('steps to the previous custom timestep and rejects bad custom timesteps', () => {
    const scheduler = new DdpmScheduler();
    scheduler.setTimesteps({ timesteps: [100, 87, 50, 1, 0] });
    expect(Array.from(scheduler.timesteps, (t) => scheduler.previousTimestep(t))).toEqual([
      87, 50, 1, 0, -1,
    ]);
    expect(() => scheduler.setTimesteps({ timesteps: [100, 87, 50, 51, 0] })).toThrow(
      /strictly descending/,
    );
    expect(() => scheduler.setTimesteps({ timesteps: [1000] })).toThrow(/outside the schedule/);
    expect(() => scheduler.setTimesteps(0)).toThrow(DiffusionInputError);
  });

  it('skips ⌊T/n⌋ timesteps per step after setTimesteps(n)', () => {
    const scheduler = new DdpmScheduler();
    expect(scheduler.previousTimestep(500)).toBe(499);
    scheduler.setTimesteps(50);
    expect(scheduler.timesteps[0]).toBe(980);
    expect(scheduler.previousTimestep(980)).toBe(960);
    // The variance of a 20-step jump uses that jump's own β: 1 − ᾱ_980/ᾱ_960.
    const a = scheduler.alphasCumprod;
    const beta = 1 - (a[980] as number) / (a[960] as number);
    const expected = ((1 - (a[960] as number)) / (1 - (a[980] as number))) * beta;
    expect(scheduler.getVariance(980)).toBeCloseTo(expected, 12);
    expect(scheduler.getVariance(980, 'fixed_large')).toBeCloseTo(beta, 12);
    expect(scheduler.getVariance(980, 'fixed_small_log')).toBeCloseTo(expected, 12);
  });

  it('agrees across prediction types when each model outputs its exact target', async () => {
    const rng = createGenerator(11);
    const x0 = rng.randn([3, 5]);
    const noise = rng.randn([3, 5]);
    const t = 400;
    const results: Float32Array[] = [];
    for (const predictionType of ['epsilon', 'sample', 'v_prediction'] as const) {
      const scheduler = new DdpmScheduler({ predictionType });
      const xt = scheduler.addNoise(x0, noise, t);
      const target = scheduler.trainingTarget(x0, noise, [t, t, t]);
      const out = scheduler.step(target, t, xt, createGenerator(99));
      const recovered = await out.predOriginalSample.data();
      const expected = await x0.data();
      expect(maxAbsDiff(recovered, expected)).toBeLessThan(1e-4);
      results.push((await out.prevSample.data()) as Float32Array);
      for (const tensor of [xt, target, out.prevSample, out.predOriginalSample]) tensor.dispose();
    }
    for (const r of results.slice(1)) {
      expect(maxAbsDiff(r, results[0] as Float32Array)).toBeLessThan(1e-4);
    }
    x0.dispose();
    noise.dispose();
  });

  it('clips x̂₀ to ±clipSampleRange when clipSample is on', async () => {
    const scheduler = new DdpmScheduler({
      clipSample: true,
      clipSampleRange: 0.5,
      predictionType: 'sample',
    });
    const rng = createGenerator(1);
    const sample = rng.randn([2, 4]);
    const output = mul(sample, 10);
    const { prevSample, predOriginalSample } = scheduler.step(output, 0, sample);
    const values = await predOriginalSample.data();
    expect(Math.max(...Array.from(values, Math.abs))).toBeCloseTo(0.5, 6);
    for (const t of [sample, output, prevSample, predOriginalSample]) t.dispose();
  });

  it('needs an rng for noisy steps, checks shapes and timesteps, and leaks nothing', () => {
    const scheduler = new DdpmScheduler();
    const sample = createGenerator(2).randn([2, 3]);
    const before = memory().numTensors;
    expect(() => scheduler.step(sample, 10, sample)).toThrow(/needs an rng/);
    const wrong = createGenerator(2).randn([2, 4]);
    expect(() => scheduler.step(wrong, 10, sample, createGenerator(0))).toThrow(
      /model output has shape \[2, 4\] but sample has \[2, 3\]/,
    );
    wrong.dispose();
    expect(() => scheduler.step(sample, 1000, sample, createGenerator(0))).toThrow(
      /timestep 1000 is outside the schedule \[0, 999\]/,
    );
    const out = scheduler.step(sample, 10, sample, createGenerator(0));
    expect(memory().numTensors).toBe(before + 2);
    out.prevSample.dispose();
    out.predOriginalSample.dispose();
    expect(memory().numTensors).toBe(before);
    sample.dispose();
  });

  it('adds noise per row from an int32 tensor, an array or a number alike', async () => {
    const scheduler = new DdpmScheduler();
    const rng = createGenerator(4);
    const x0 = rng.randn([3, 2]);
    const noise = rng.randn([3, 2]);
    const ts = [0, 500, 999];
    const fromArray = await scheduler.addNoise(x0, noise, ts).data();
    const tTensor = tensor1d(ts, 'int32');
    const fromTensor = await scheduler.addNoise(x0, noise, tTensor).data();
    expect(fromTensor).toEqual(fromArray);
    const a = await x0.data();
    const n = await noise.data();
    const ac = scheduler.alphasCumprod;
    for (let row = 0; row < 3; row++) {
      const abar = ac[ts[row] as number] as number;
      for (let col = 0; col < 2; col++) {
        const i = row * 2 + col;
        const expected =
          Math.sqrt(abar) * (a[i] as number) + Math.sqrt(1 - abar) * (n[i] as number);
        expect(fromArray[i]).toBeCloseTo(expected, 5);
      }
    }
    expect(() => scheduler.addNoise(x0, noise, [1, 2])).toThrow(/2 timesteps for a batch of 3/);
    expect(() => scheduler.addNoise(x0, noise, [1, 2, -1])).toThrow(/outside the schedule/);
    const floatT = tensor1d([1, 2, 3]);
    expect(() => scheduler.addNoise(x0, noise, floatT)).toThrow(/int32/);
    for (const t of [x0, noise, tTensor, floatT]) t.dispose();
  });

  it('rejects configs it cannot honour', () => {
    expect(() => new DdpmScheduler({ varianceType: 'learned' as never })).toThrow(
      /variance_type|varianceType/,
    );
    expect(() => DdpmScheduler.fromConfig({ variance_type: 'learned_range' })).toThrow(
      /not supported by pgen: learned variances/,
    );
    expect(() => new DdpmScheduler({ trainedBetas: [0.1, 0.2] })).toThrow(
      /trained_betas has 2 values but num_train_timesteps is 1000/,
    );
    expect(() => new DdpmScheduler({ predictionType: 'noise' as never })).toThrow(
      SchedulerConfigError,
    );
  });

  it('uses trained betas when given', () => {
    const scheduler = new DdpmScheduler({ trainedBetas: [0.1, 0.2, 0.3], numTrainTimesteps: 3 });
    expect(scheduler.alphasCumprod[2]).toBeCloseTo(0.9 * 0.8 * 0.7, 12);
  });
});
