import { mkdtempSync, rmSync } from 'node:fs';
import { unlink } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { initBackend } from '@pgen/backends';
import { readPeftAdapter, readSafetensors } from '@pgen/checkpoint-io';
import { Rng } from '@pgen/nn';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { resolveCondPdiffConfig } from './cond-pdiff-config';
import { CondPdiffError } from './cond-pdiff-error';
import { CondPdiffPipeline } from './cond-pdiff-pipeline';
import { adapterForAngle, adapterMse, syntheticAdapterZoo } from './test-adapters';

const SMALL = {
  aeChannels: [4, 8],
  latentDim: 8,
  aeSteps: 300,
  aeBatchSize: 16,
  aeLr: 3e-3,
  conditionDim: 16,
  denoiserHidden: 64,
  denoiserDepth: 2,
  diffusionSteps: 400,
  diffusionBatchSize: 32,
  diffusionLr: 3e-3,
  samplingSteps: 20,
};

describe('CondPdiffPipeline', () => {
  const zoo = syntheticAdapterZoo(6, [90]);
  let pipeline: CondPdiffPipeline;
  let dir: string;

  beforeAll(async () => {
    await initBackend({ prefer: 'wasm' });
    dir = mkdtempSync(join(tmpdir(), 'cond-pdiff-'));
    pipeline = await CondPdiffPipeline.fit(zoo, SMALL);
  }, 120_000);

  afterAll(() => {
    pipeline?.dispose();
    rmSync(dir, { recursive: true, force: true });
  });

  it('reconstructs training adapters through the autoencoder', async () => {
    const [recon] = await pipeline.reconstruct([zoo.samples[0]!.tensors]);
    const truth = zoo.samples[0]!.tensors;
    const far = adapterForAngle(180);
    expect(adapterMse(recon!.tensors, truth)).toBeLessThan(0.25 * adapterMse(far, truth));
  });

  it('generates adapters for a seen angle near that task', async () => {
    const adapters = await pipeline.generateAdapters({ condition: { task: 'rot-060' }, count: 4 });
    expect(adapters).toHaveLength(4);
    const truth = adapterForAngle(60);
    const other = adapterForAngle(240);
    for (const adapter of adapters) {
      expect(adapter.config.r).toBe(2);
      expect(adapterMse(adapter.tensors, truth)).toBeLessThan(0.25 * adapterMse(other, truth));
    }
  });

  it('generates for a held-out angle closer to it than to its training neighbours', async () => {
    const adapters = await pipeline.generateAdapters({ condition: { descriptor: [90] }, count: 4 });
    const truth = adapterForAngle(90);
    const toTruth = adapters.map((a) => adapterMse(a.tensors, truth));
    const toNeighbour = adapters.map((a) => adapterMse(a.tensors, adapterForAngle(30)));
    const mean = (xs: number[]) => xs.reduce((s, x) => s + x, 0) / xs.length;
    expect(mean(toTruth)).toBeLessThan(mean(toNeighbour));
  });

  it('saves, loads and generates the same adapters; writes PEFT folders', async () => {
    await pipeline.save(join(dir, 'pipeline'));
    const loaded = await CondPdiffPipeline.load(join(dir, 'pipeline'));
    try {
      const options = { condition: { descriptor: [45] }, count: 2, seed: 3 };
      const a = await pipeline.generateAdapters(options);
      const b = await loaded.generateAdapters(options);
      for (let i = 0; i < 2; i++)
        expect(adapterMse(a[i]!.tensors, b[i]!.tensors)).toBeLessThan(1e-10);
      const dirs = await loaded.generate(join(dir, 'out'), options);
      expect(dirs.map((d) => d.slice(dir.length))).toEqual([
        '/out/adapter-0000',
        '/out/adapter-0001',
      ]);
      const read = await readPeftAdapter(dirs[1]!);
      expect(adapterMse(read.tensors, a[1]!.tensors)).toBeLessThan(1e-12);
      expect(read.config.r).toBe(2);
      const { metadata } = await readSafetensors(join(dirs[1]!, 'adapter_model.safetensors'));
      expect(metadata).toMatchObject({
        format: 'pt',
        'pgen.condition.descriptor': '45',
        'pgen.seed': '3',
      });
    } finally {
      loaded.dispose();
    }
  });

  it('refuses a folder with a missing part, naming it', async () => {
    await pipeline.save(join(dir, 'broken'));
    await unlink(join(dir, 'broken', 'tokenizer.safetensors'));
    await expect(CondPdiffPipeline.load(join(dir, 'broken'))).rejects.toThrow(
      /not a complete COND P-DIFF pipeline folder \(missing tokenizer\.safetensors\)/,
    );
  });

  it('refuses a condition of the wrong kind', async () => {
    await expect(pipeline.generateAdapters({ condition: {} })).rejects.toThrow(CondPdiffError);
    await expect(pipeline.generateAdapters({ condition: { task: 'rot-090' } })).rejects.toThrow(
      /not one of the training tasks/,
    );
    await expect(
      pipeline.generateAdapters({ condition: { descriptor: [Number.NaN] } }),
    ).rejects.toThrow(/finite/);
  });

  it('shares the autoencoder with a second condition and refuses unseen embeddings', async () => {
    const embedding = await CondPdiffPipeline.fit(
      zoo,
      { ...SMALL, condition: 'embedding', diffusionSteps: 50 },
      { autoencoderFrom: pipeline },
    );
    try {
      expect(embedding.parts.fitInfo?.seconds.autoencoder).toBe(0);
      const [again] = await embedding.reconstruct([zoo.samples[0]!.tensors]);
      const [first] = await pipeline.reconstruct([zoo.samples[0]!.tensors]);
      expect(adapterMse(again!.tensors, first!.tensors)).toBeLessThan(1e-12);
      await expect(embedding.generateAdapters({ condition: { task: 'rot-090' } })).rejects.toThrow(
        /no learned embedding/,
      );
      expect(
        await embedding.generateAdapters({ condition: { task: 'rot-030' }, count: 1 }),
      ).toHaveLength(1);
    } finally {
      embedding.dispose();
    }
    await expect(
      CondPdiffPipeline.fit(zoo, { ...SMALL, latentDim: 4 }, { autoencoderFrom: pipeline }),
    ).rejects.toThrow(/other autoencoder settings/);
    const fewer = {
      ...zoo,
      tasks: zoo.tasks.slice(1),
      samples: zoo.samples.filter((x) => x.task !== 'rot-000'),
    };
    await expect(
      CondPdiffPipeline.fit(fewer, SMALL, { autoencoderFrom: pipeline }),
    ).rejects.toThrow(/fitted on other tasks/);
  }, 60_000);

  it('trains the examples condition from a source of labelled sets', async () => {
    const source = (task: { descriptor: number[] }, count: number, rng: Rng) => {
      // Examples whose features reveal the angle: a noisy (cos, sin) pair, label 0 or 1.
      const rad = (task.descriptor[0]! * Math.PI) / 180;
      const features = Array.from({ length: count }, () => [
        Math.cos(rad) + 0.05 * rng.normal(),
        Math.sin(rad) + 0.05 * rng.normal(),
      ]);
      return { features, labels: Array.from({ length: count }, (_, i) => i % 2) };
    };
    const options = {
      ...SMALL,
      condition: 'examples' as const,
      exampleSize: 2,
      numClasses: 2,
      examplesPerTask: 8,
      diffusionSteps: 30,
    };
    await expect(
      CondPdiffPipeline.fit(zoo, options, { autoencoderFrom: pipeline }),
    ).rejects.toThrow(/needs a source of labelled examples/);
    const fitted = await CondPdiffPipeline.fit(zoo, options, {
      autoencoderFrom: pipeline,
      examples: source,
    });
    try {
      const examples = source({ descriptor: [90] }, 8, new Rng(1));
      const adapters = await fitted.generateAdapters({ condition: { examples }, count: 2 });
      expect(adapters).toHaveLength(2);
      await expect(fitted.generateAdapters({ condition: { task: 'rot-000' } })).rejects.toThrow(
        /give labelled examples/,
      );
    } finally {
      fitted.dispose();
    }
  }, 60_000);

  it('refuses bad fit input with one clear error', async () => {
    await expect(
      CondPdiffPipeline.fit(
        { ...zoo, samples: [{ task: 'nope', tensors: zoo.samples[0]!.tensors }, ...zoo.samples] },
        SMALL,
      ),
    ).rejects.toThrow(/adapter 0 names unknown task "nope"/);
    const bad = new Map(zoo.samples[1]!.tensors);
    bad.set('base_model.model.layer.lora_A.weight', {
      dtype: 'F32',
      shape: [2, 8],
      data: new Float32Array(16).fill(Number.NaN),
    });
    await expect(
      CondPdiffPipeline.fit(
        { ...zoo, samples: [zoo.samples[0]!, { task: 'rot-000', tensors: bad }] },
        SMALL,
      ),
    ).rejects.toThrow(/adapter 1|non-finite|NaN/i);
  });
});

describe('resolveCondPdiffConfig', () => {
  it('fills defaults and lists every problem, unknown keys included', () => {
    expect(resolveCondPdiffConfig().latentNoise).toBe(0.1);
    expect(() =>
      resolveCondPdiffConfig({ aeSteps: 0, condition: 'text' as never, latnetDim: 3 } as never),
    ).toThrow(
      /unknown option\(s\) latnetDim.*aeSteps must be a positive integer.*condition must be one of/,
    );
  });
});
