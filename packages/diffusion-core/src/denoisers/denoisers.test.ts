import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { initBackend } from '@pgen/backends';
import * as tf from '@tensorflow/tfjs-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  ConditionalUnet1d,
  DdpmScheduler,
  type DenoiserModule,
  DenoiserTrainer,
  loadDenoiser,
  MlpDenoiser,
  OneDimCnn,
  saveDenoiser,
} from '../index';

const dirs: string[] = [];
const tempDir = () => {
  const dir = mkdtempSync(join(tmpdir(), 'pgen-denoiser-'));
  dirs.push(dir);
  return dir;
};

beforeAll(async () => {
  await initBackend({ prefer: 'wasm' });
});
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

function inputs(batch: number, dim: number, conditionDim: number, seed: number) {
  const x = tf.randomNormal([batch, dim], 0, 1, 'float32', seed);
  const t = tf.tensor1d(
    Array.from({ length: batch }, (_, i) => (i * 97) % 1000),
    'int32',
  );
  const c =
    conditionDim > 0
      ? tf.randomNormal([batch, conditionDim], 0, 1, 'float32', seed + 1)
      : undefined;
  return { x, t, c };
}

describe('ConditionalUnet1d', () => {
  it("names and shapes its entries as RPG's ConditionalUNet", async () => {
    const net = new ConditionalUnet1d({ tokenSize: 64, conditionDim: 16 });
    const shapes = new Map(net.namedParameters().map(([n, v]) => [n, v.shape]));
    expect(shapes.get('time_embedder.mlp.0.weight')).toEqual([64, 256]);
    expect(shapes.get('time_embedder.mlp.2.weight')).toEqual([64, 64]);
    expect(shapes.get('condi_embedder.weight')).toEqual([64, 16]);
    expect(shapes.get('encoder_list.0.0.weight')).toEqual([32, 1, 7]);
    expect(shapes.get('encoder_list.0.1.0.weight')).toEqual([32]);
    expect(shapes.get('encoder_list.3.0.weight')).toEqual([64, 128, 7]);
    expect(shapes.get('decoder_list.0.0.weight')).toEqual([32, 64, 7]);
    expect(shapes.get('decoder_list.1.0.weight')).toEqual([1, 32, 7]);
    expect([...shapes.keys()].some((n) => n.startsWith('decoder_list.1.1'))).toBe(false);
    const { x, t, c } = inputs(3, 64, 16, 1);
    expect(net.forward(x, t, c).shape).toEqual([3, 64]);
    net.dispose();
  });

  it('caps the timestep MLP width at 1024 for long tokens, still ending at the token length', () => {
    const net = new ConditionalUnet1d({ tokenSize: 2048, channels: [1, 2, 4, 2, 1] });
    const shapes = new Map(net.namedParameters().map(([n, v]) => [n, v.shape]));
    expect(shapes.get('time_embedder.mlp.0.weight')).toEqual([1024, 256]);
    expect(shapes.get('time_embedder.mlp.2.weight')).toEqual([2048, 1024]);
    expect(net.config.timeHiddenDim).toBe(1024);
    net.dispose();
  });

  it('refuses channel lists whose decoder stages have no matching skip', () => {
    expect(() => new ConditionalUnet1d({ tokenSize: 8, channels: [1, 8, 16, 4, 1] })).toThrow(
      /skip of matching width/,
    );
    expect(() => new ConditionalUnet1d({ tokenSize: 8, channels: [2, 8, 1] })).toThrow(
      /start and end with 1/,
    );
  });

  it('checks its inputs and names what is wrong', () => {
    const net = new ConditionalUnet1d({ tokenSize: 8, conditionDim: 4, channels: [1, 4, 8, 4, 1] });
    const { x, t } = inputs(2, 8, 0, 2);
    expect(() => net.forward(x, t)).toThrow(/expected a condition of shape \[2, 4\], got none/);
    expect(() => net.forward(tf.zeros([2, 9]), t, tf.zeros([2, 4]))).toThrow(
      /x_t of shape \[batch, 8\]/,
    );
    net.dispose();
  });

  it('trains on wasm (conv1d gradients) and the loss falls', async () => {
    const scheduler = new DdpmScheduler();
    const denoiser = new ConditionalUnet1d({
      tokenSize: 16,
      conditionDim: 2,
      channels: [1, 8, 16, 8, 1],
    });
    const trainer = new DenoiserTrainer({ scheduler, denoiser, lr: 3e-3, seed: 3 });
    const x0 = tf.tile(
      tf.tensor2d([Array.from({ length: 16 }, (_, i) => Math.sin(i / 2))]),
      [32, 1],
    );
    const condition = tf.ones([32, 2]);
    const losses: number[] = [];
    for (let i = 0; i < 60; i++) losses.push(await trainer.trainStep({ x0, condition }));
    const mean = (a: number[]) => a.reduce((s, v) => s + v, 0) / a.length;
    expect(mean(losses.slice(-10))).toBeLessThan(mean(losses.slice(0, 10)) * 0.7);
    trainer.dispose();
    denoiser.dispose();
  });
});

describe('saving and loading denoisers', () => {
  const cases: [string, () => DenoiserModule, number, number][] = [
    [
      'ConditionalUnet1d',
      () =>
        new ConditionalUnet1d({
          tokenSize: 12,
          conditionDim: 3,
          channels: [1, 4, 8, 4, 1],
          seed: 1,
        }),
      12,
      3,
    ],
    [
      'OneDimCnn',
      () => new OneDimCnn({ dim: 10, conditionDim: 2, channels: [1, 4, 8, 4, 1], seed: 2 }),
      10,
      2,
    ],
    ['MlpDenoiser', () => new MlpDenoiser({ dim: 6, hidden: 16, depth: 2, seed: 3 }), 6, 0],
  ];

  it.for(cases)('%s reloads to identical outputs', async ([, make, dim, conditionDim]) => {
    const denoiser = make();
    const trainer = new DenoiserTrainer({ scheduler: new DdpmScheduler(), denoiser, seed: 4 });
    const batch = inputs(8, dim, conditionDim, 5);
    await trainer.trainStep({ x0: batch.x, condition: batch.c });
    denoiser.eval();
    const dir = tempDir();
    await saveDenoiser(dir, denoiser);
    const loaded = await loadDenoiser(dir);
    loaded.eval();
    const want = await denoiser.forward(batch.x, batch.t, batch.c).data();
    const got = await loaded.forward(batch.x, batch.t, batch.c).data();
    expect(Array.from(got)).toEqual(Array.from(want));
    expect(loaded.config).toEqual(denoiser.config);
    trainer.dispose();
    denoiser.dispose();
    loaded.dispose();
  });

  it('a missing or corrupt folder is an error naming the file', async () => {
    const dir = tempDir();
    await expect(loadDenoiser(dir)).rejects.toThrow(
      /denoiser_config\.json: cannot read denoiser config/,
    );
    writeFileSync(join(dir, 'denoiser_config.json'), JSON.stringify({ _class_name: 'Nope' }));
    await expect(loadDenoiser(dir)).rejects.toThrow(/unknown denoiser class "Nope"/);
    await saveDenoiser(dir, new MlpDenoiser({ dim: 4, hidden: 8, depth: 1 }));
    writeFileSync(
      join(dir, 'denoiser_config.json'),
      JSON.stringify({ _class_name: 'MlpDenoiser', dim: 5, hidden: 8, depth: 1 }),
    );
    await expect(loadDenoiser(dir)).rejects.toThrow(
      /denoiser\.safetensors: state dict does not fit/,
    );
  });
});
