import { initBackend } from '@pgen/backends';
import { add, memory, mul, profile, slice, tensor2d, tidy } from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { DdimScheduler } from '../schedulers/ddim-scheduler';
import { DdpmScheduler } from '../schedulers/ddpm-scheduler';
import type { Denoiser } from '../training/denoiser';
import { type SampleProgress, sample, sampleChunks } from './sample';

beforeAll(async () => {
  await initBackend({ prefer: 'cpu' });
});

// A cheap stand-in denoiser: shrinks x_t towards the condition (or 0).
const model: Denoiser = (x, _t, condition) =>
  tidy(() => (condition === undefined ? mul(x, 0.1) : mul(add(x, condition), 0.1)));

describe('sample', () => {
  it('gives every row the same result whatever the chunk size', async () => {
    const scheduler = new DdpmScheduler({ numTrainTimesteps: 50 });
    const run = async (chunkSize: number) => {
      const x = await sample({ scheduler, model, shape: [10, 3], seed: 4, chunkSize });
      const values = await x.data();
      x.dispose();
      return values;
    };
    const whole = await run(10);
    expect(await run(3)).toEqual(whole);
    expect(await run(1)).toEqual(whole);
    const other = await sample({ scheduler, model, shape: [10, 3], seed: 5 });
    expect(await other.data()).not.toEqual(whole);
    other.dispose();
  });

  it('reports progress after every step of every chunk', async () => {
    const events: SampleProgress[] = [];
    const x = await sample({
      scheduler: new DdimScheduler(),
      model,
      shape: [5, 2],
      steps: 4,
      chunkSize: 2,
      onProgress: (p) => events.push(p),
    });
    x.dispose();
    expect(events.length).toBe(3 * 4);
    expect(events[0]).toEqual({
      chunk: 0,
      chunks: 3,
      step: 1,
      steps: 4,
      rowsDone: 0,
      totalRows: 5,
      fraction: 1 / 12,
    });
    expect(events.at(-1)).toMatchObject({ chunk: 2, step: 4, rowsDone: 4, fraction: 1 });
  });

  it('keeps tfjs memory flat however many chunks are sampled, and leaks nothing', async () => {
    const scheduler = new DdpmScheduler({ numTrainTimesteps: 20 });
    const peak = async (rows: number) => {
      const before = memory().numTensors;
      const info = await profile(async () => {
        for await (const chunk of sampleChunks({
          scheduler,
          model,
          shape: [rows, 16],
          chunkSize: 8,
        })) {
          chunk.samples.dispose();
        }
      });
      expect(memory().numTensors).toBe(before);
      const peakTensors = Math.max(...info.kernels.map((k) => k.totalTensorsSnapshot));
      return { bytes: info.peakBytes - info.newBytes, tensors: peakTensors - before };
    };
    const two = await peak(16);
    const eight = await peak(64);
    expect(eight.bytes).toBe(two.bytes);
    expect(eight.tensors).toBe(two.tensors);
    expect(two.tensors).toBeGreaterThan(0);
  });

  it('slices a condition tensor per chunk, or calls a condition function per chunk', async () => {
    const scheduler = new DdimScheduler();
    const condition = tensor2d([
      [1, 1],
      [2, 2],
      [3, 3],
      [4, 4],
      [5, 5],
    ]);
    const fromTensor = await sample({
      scheduler,
      model,
      shape: [5, 2],
      condition,
      steps: 5,
      chunkSize: 2,
    });
    const calls: [number, number][] = [];
    const fromFunction = await sample({
      scheduler,
      model,
      shape: [5, 2],
      steps: 5,
      chunkSize: 2,
      condition: (start, end) => {
        calls.push([start, end]);
        return slice(condition, [start], [end - start]);
      },
    });
    expect(await fromFunction.data()).toEqual(await fromTensor.data());
    expect(calls).toEqual([
      [0, 2],
      [2, 4],
      [4, 5],
    ]);
    const unconditioned = await sample({ scheduler, model, shape: [5, 2], steps: 5 });
    expect(await unconditioned.data()).not.toEqual(await fromTensor.data());
    for (const t of [condition, fromTensor, fromFunction, unconditioned]) t.dispose();
  });

  it('samples with DDIM from a DDPM-trained scheduler without changing it', async () => {
    const scheduler = new DdpmScheduler();
    const seen: number[] = [];
    const spy: Denoiser = (x, t) => {
      seen.push((t.dataSync() as Int32Array)[0] as number);
      return model(x, t);
    };
    const x = await sample({
      scheduler,
      model: spy,
      shape: [2, 2],
      sampler: 'ddim',
      steps: 4,
      eta: 0.5,
    });
    x.dispose();
    expect(seen).toEqual([750, 500, 250, 0]);
    expect(scheduler.timesteps.length).toBe(1000);
    expect(scheduler.numInferenceSteps).toBeUndefined();
  });

  it('rejects bad options with clear errors', async () => {
    const scheduler = new DdpmScheduler({ numTrainTimesteps: 10 });
    const bad = (options: object) => sample({ scheduler, model, shape: [4, 2], ...options });
    await expect(bad({ eta: 0.5 })).rejects.toThrow(/eta applies to the ddim sampler only/);
    await expect(bad({ chunkSize: 0 })).rejects.toThrow(/chunkSize must be a positive integer/);
    await expect(bad({ shape: [0, 2] })).rejects.toThrow(/number of rows/);
    await expect(bad({ steps: 11 })).rejects.toThrow(/\[1, 10\]/);
    await expect(bad({ seed: -3 })).rejects.toThrow(/seed/);
    await expect(bad({ sampler: 'euler' })).rejects.toThrow(/unknown sampler "euler"/);
    const condition = tensor2d([[1, 1]]);
    await expect(bad({ condition })).rejects.toThrow(/condition has 1 rows but 4 are sampled/);
    condition.dispose();
    const wrongModel: Denoiser = (x) => slice(x, [0, 0], [-1, 1]);
    const before = memory().numTensors;
    await expect(bad({ model: wrongModel })).rejects.toThrow(/model output has shape \[4, 1\]/);
    expect(memory().numTensors).toBe(before);
  });
});
