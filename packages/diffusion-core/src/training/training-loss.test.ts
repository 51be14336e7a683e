import { initBackend } from '@pgen/backends';
import {
  add,
  concat,
  matMul,
  memory,
  mul,
  type Tensor,
  tensor2d,
  tile,
  train,
  variable,
  variableGrads,
  zeros,
} from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { maskedMseLoss } from '../losses/masked-mse';
import { createGenerator } from '../random/generator';
import { DdpmScheduler } from '../schedulers/ddpm-scheduler';
import { diffusionTrainingLoss } from './training-loss';

beforeAll(async () => {
  await initBackend({ prefer: 'cpu' });
});

describe('diffusionTrainingLoss', () => {
  it('equals the masked MSE between the model output and the prediction target', async () => {
    for (const predictionType of ['epsilon', 'sample', 'v_prediction'] as const) {
      const scheduler = new DdpmScheduler({ predictionType });
      const x0 = createGenerator(1).randn([3, 4]);
      const noise = createGenerator(2).randn([3, 4]);
      const timesteps = [10, 500, 990];
      const model = (noisy: Tensor) => mul(noisy, 0.5);
      const loss = diffusionTrainingLoss({
        scheduler,
        model,
        x0,
        rng: createGenerator(0),
        timesteps,
        noise,
      });
      const noisy = scheduler.addNoise(x0, noise, timesteps);
      const target = scheduler.trainingTarget(x0, noise, timesteps);
      const expected = maskedMseLoss(mul(noisy, 0.5), target);
      expect((await loss.data())[0]).toBeCloseTo((await expected.data())[0] as number, 5);
    }
  });

  it('passes per-row int32 timesteps and the condition to the model', () => {
    const seen: { t?: number[]; condition?: number[] } = {};
    const x0 = zeros([2, 3]);
    const condition = tensor2d([[7], [8]]);
    diffusionTrainingLoss({
      scheduler: new DdpmScheduler(),
      model: (noisy, t, c) => {
        seen.t = Array.from(t.dataSync());
        seen.condition = c ? Array.from(c.dataSync()) : undefined;
        expect(t.dtype).toBe('int32');
        return noisy;
      },
      x0,
      condition,
      rng: createGenerator(4),
    }).dispose();
    expect(seen.t?.length).toBe(2);
    expect(seen.t?.every((t) => t >= 0 && t < 1000)).toBe(true);
    expect(seen.condition).toEqual([7, 8]);
  });

  it("treats NaN entries of x0 as padding with mask: 'nan'", async () => {
    const base = [[0.5, -0.5, 0.1, 0.2]];
    const padded = tensor2d([[0.5, -0.5, Number.NaN, Number.NaN]]);
    const full = tensor2d(base);
    const model = (noisy: Tensor) => mul(noisy, 0.3);
    const run = (x0: Tensor, mask: 'nan' | Tensor | undefined) =>
      diffusionTrainingLoss({
        scheduler: new DdpmScheduler(),
        model,
        x0,
        mask,
        rng: createGenerator(6),
      });
    const nanLoss = (await run(padded, 'nan').data())[0] as number;
    expect(Number.isFinite(nanLoss)).toBe(true);
    // Same as masking the last two entries explicitly, whatever values they hold.
    const zeroedPad = tensor2d([[0.5, -0.5, 0, 0]]);
    const explicit = (await run(zeroedPad, tensor2d([[1, 1, 0, 0]])).data())[0] as number;
    expect(nanLoss).toBeCloseTo(explicit, 6);
    expect(nanLoss).not.toBeCloseTo((await run(full, undefined).data())[0] as number, 3);
  });

  it('gives finite gradients and trains a tiny denoiser with tfjs optimisers, without leaks', async () => {
    // Data: x0 = ±1 in 2 dims. Model: ε̂ = w·x_t + b (a linear denoiser).
    const scheduler = new DdpmScheduler({ numTrainTimesteps: 100 });
    const w = variable(zeros([2, 2]));
    const b = variable(zeros([1, 2]));
    const model = (noisy: Tensor) => add(matMul(noisy, w), b);
    const rng = createGenerator(12);
    const data = tile(concat([tensor2d([[1, 1]]), tensor2d([[-1, -1]])]), [32, 1]);
    const evalLoss = () =>
      diffusionTrainingLoss({ scheduler, model, x0: data, rng: createGenerator(99) });
    const initial = (await evalLoss().data())[0] as number;
    const { grads, value } = variableGrads(() =>
      diffusionTrainingLoss({ scheduler, model, x0: data, rng }),
    );
    expect(Object.values(grads).every((g) => g.dataSync().every(Number.isFinite))).toBe(true);
    value.dispose();
    for (const g of Object.values(grads)) g.dispose();
    const optimizer = train.adam(0.05);
    const step = () =>
      optimizer.minimize(() => diffusionTrainingLoss({ scheduler, model, x0: data, rng }));
    // The first step creates Adam's moment variables; count tensors after it.
    step();
    const before = memory().numTensors;
    for (let i = 0; i < 60; i++) step();
    expect(memory().numTensors).toBe(before);
    const trained = (await evalLoss().data())[0] as number;
    expect(trained).toBeLessThan(initial * 0.8);
  });
});
