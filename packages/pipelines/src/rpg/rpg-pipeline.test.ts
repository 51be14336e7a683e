import { mkdtempSync, rmSync, unlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { initBackend } from '@pgen/backends';
import { readSafetensors } from '@pgen/checkpoint-io';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stateDictMse as mse } from '../state-dict-mse';
import { RpgError } from './rpg-error';
import { RpgPipeline } from './rpg-pipeline';
import { tinyZoo } from './test-zoo';

const FIT = {
  tokenSize: 64,
  dPos: 16,
  dModel: 32,
  steps: 100,
  lr: 3e-3,
  tokensPerStep: 4,
  denoiser: 'mlp' as const,
  mlpHidden: 64,
};

describe('RpgPipeline', () => {
  const { zoo } = tinyZoo(6);
  let pipeline: RpgPipeline;
  let dir: string;

  beforeAll(async () => {
    await initBackend({ prefer: 'cpu' });
    dir = mkdtempSync(join(tmpdir(), 'rpg-'));
    const losses: number[] = [];
    pipeline = await RpgPipeline.fit(zoo, FIT, { onProgress: (p) => losses.push(p.loss) });
    expect(losses).toHaveLength(FIT.steps);
    expect(losses.every(Number.isFinite)).toBe(true);
  });
  afterAll(() => {
    pipeline?.dispose();
    rmSync(dir, { recursive: true, force: true });
  });

  it('generates models with the zoo layout, finite values', async () => {
    const models = await pipeline.generateStateDicts({ count: 4, seed: 3, steps: 20 });
    expect(models).toHaveLength(4);
    for (const model of models) {
      expect([...model.keys()]).toEqual([...zoo[0]!.keys()]);
      for (const [name, t] of zoo[0]!) {
        const g = model.get(name)!;
        expect(g.dtype).toBe(t.dtype);
        expect(g.shape).toEqual(t.shape);
        expect([...(g.data as Float32Array)].every(Number.isFinite)).toBe(true);
      }
    }
  });

  it('writes generated files tensor by tensor, and a reloaded pipeline generates the same', async () => {
    const out = join(dir, 'gen');
    const paths = await pipeline.generate(out, { count: 2, seed: 5, steps: 10 });
    expect(paths.map((p) => p.slice(out.length + 1))).toEqual([
      'generated-0000.safetensors',
      'generated-0001.safetensors',
    ]);
    const inMemory = await pipeline.generateStateDicts({ count: 2, seed: 5, steps: 10 });
    const fromFile = (await readSafetensors(paths[1]!)).tensors;
    expect(mse(fromFile, inMemory[1]!)).toBe(0);

    const saved = join(dir, 'pipeline');
    await pipeline.save(saved);
    const loaded = await RpgPipeline.load(saved);
    try {
      const again = await loaded.generateStateDicts({ count: 2, seed: 5, steps: 10 });
      for (const [name, t] of inMemory[0]!) {
        expect(again[0]!.get(name)!.data).toEqual(t.data);
      }
      expect(mse(again[1]!, inMemory[1]!)).toBe(0);
    } finally {
      loaded.dispose();
    }
  });

  it('generates the same model whatever the chunk size (the prior runs window by window)', async () => {
    const [whole] = await pipeline.generateStateDicts({ count: 1, seed: 8, steps: 6 });
    const [windowed] = await pipeline.generateStateDicts({
      count: 1,
      seed: 8,
      steps: 6,
      chunkSize: 2,
    });
    expect(mse(windowed!, whole!)).toBeLessThan(1e-10);
  });

  it('refuses a pipeline folder with a missing file, naming it', async () => {
    const saved = join(dir, 'broken');
    await pipeline.save(saved);
    unlinkSync(join(saved, 'prior.safetensors'));
    await expect(RpgPipeline.load(saved)).rejects.toThrow(/missing prior\.safetensors/);
    await expect(RpgPipeline.load(saved)).rejects.toBeInstanceOf(RpgError);
  });
});

describe('RpgPipeline on a zoo with a known centre', () => {
  it('generates weights near the zoo, far nearer than noise of the same scale', async () => {
    // Per-element zoo means are N(0, 1), so a random model sits ~1.4 RMS from them; the zoo
    // itself sits 0.02 away. 800 steps is a short fit: DDIM-50 samples land ~0.5 away here, and
    // a fit of 3,000 steps with 256 pairs per step reaches the zoo's own 0.02.
    await initBackend({ prefer: 'wasm' });
    const { zoo, mean } = tinyZoo(6);
    const fitted = await RpgPipeline.fit(zoo, {
      ...FIT,
      steps: 800,
      tokensPerStep: 128,
      mlpHidden: 256,
    });
    try {
      const models = await fitted.generateStateDicts({ count: 3, seed: 3, steps: 50 });
      for (const model of models) expect(Math.sqrt(mse(model, mean))).toBeLessThan(0.7);
    } finally {
      fitted.dispose();
    }
  }, 300_000);
});

describe('RpgPipeline elementwiseNormalization', () => {
  it('normalises the named tensors per element, and a saved pipeline keeps that', async () => {
    await initBackend({ prefer: 'cpu' });
    const { zoo } = tinyZoo(4);
    const fitted = await RpgPipeline.fit(zoo, {
      ...FIT,
      steps: 2,
      elementwiseNormalization: ['**.bias'],
    });
    const dir = mkdtempSync(join(tmpdir(), 'rpg-elementwise-'));
    try {
      const modes = (p: RpgPipeline) =>
        Object.fromEntries(p.tokenizer.toJSON().tensors.map((t) => [t.name, t.normalization.mode]));
      expect(modes(fitted)).toMatchObject({ 'fc1.bias': 'element-zscore', 'fc1.weight': 'zscore' });
      await fitted.save(dir);
      const loaded = await RpgPipeline.load(dir);
      try {
        expect(modes(loaded)).toEqual(modes(fitted));
        expect(Array.from(loaded.tokenizer.encode(zoo[1]!).tokens)).toEqual(
          Array.from(fitted.tokenizer.encode(zoo[1]!).tokens),
        );
      } finally {
        loaded.dispose();
      }
    } finally {
      fitted.dispose();
      rmSync(dir, { recursive: true, force: true });
    }
    await expect(
      RpgPipeline.fit(zoo, { ...FIT, elementwiseNormalization: 'bias' as unknown as string[] }),
    ).rejects.toThrow(/elementwiseNormalization must be a list/);
  });
});

describe('RpgPipeline.fit input checks', () => {
  it('refuses a zoo of mixed shapes and a bad config', async () => {
    await initBackend({ prefer: 'cpu' });
    const { zoo } = tinyZoo(2);
    const other = new Map(zoo[1]!);
    other.set('fc1.bias', { dtype: 'F32', shape: [8], data: new Float32Array(8) });
    await expect(RpgPipeline.fit([zoo[0]!, other], FIT)).rejects.toThrow(/fc1\.bias.*mixed zoo/);
    await expect(RpgPipeline.fit(zoo, { ...FIT, unetChannels: [1, 8, 1, 1] })).rejects.toThrow(
      /unetChannels/,
    );
  });
});
