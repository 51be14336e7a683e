import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { initBackend } from '@pgen/backends';
import { readSafetensors } from '@pgen/checkpoint-io';
import * as tf from '@tensorflow/tfjs-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadMnist } from '../mnist/load-mnist';
import type { MnistData } from '../mnist/mnist-data';
import { splitMnist } from '../mnist/split-mnist';
import { createModel } from '../models/create-model';
import { evaluateAccuracy } from '../train/evaluate';
import { trainClassifier } from '../train/train-classifier';
import { collectZoo } from './collect-zoo';
import { readZoo } from './read-zoo';

let data: { train: MnistData; test: MnistData };
let dir: string;
// A tiny MLP recipe keeps the suite quick; the real recipes are exercised by `pnpm bench:zoo`.
const recipe = { epochs: 2, batchSize: 50 };

beforeAll(async () => {
  await initBackend({ prefer: 'wasm' });
  const all = await loadMnist();
  const { train, test } = splitMnist(all, { trainCount: 9_000 });
  data = {
    train: splitMnist(train, { trainCount: 600 }).train,
    test: splitMnist(test, { trainCount: 300 }).train,
  };
  dir = await mkdtemp(join(tmpdir(), 'pgen-zoo-'));
});
afterAll(() => rm(dir, { recursive: true, force: true }));

describe('trainClassifier', () => {
  it('learns digits well above chance without leaking tensors', async () => {
    const model = createModel('mlp', { seed: 0 });
    // Counted per epoch: @pgen/nn's AdamW keeps its zerosLike initial values once per optimiser
    // (reported upstream), which is not a per-step leak.
    const counts: number[] = [];
    const result = await trainClassifier(model, data.train, {
      epochs: 3,
      batchSize: 50,
      lr: 2e-3,
      test: data.test,
      onEpochEnd: () => {
        counts.push(tf.memory().numTensors);
      },
    });
    expect(new Set(counts).size).toBe(1);
    expect(result.history).toHaveLength(3);
    expect(result.testAccuracy!).toBeGreaterThan(0.7);
    expect((await evaluateAccuracy(model, data.test)).accuracy).toBe(result.testAccuracy);
    model.dispose();
  });
});

describe('collectZoo', () => {
  it('collects an rpg zoo with metadata, and resumes an interrupted one identically', async () => {
    const whole = join(dir, 'whole');
    const manifest = await collectZoo({
      arch: 'mlp',
      strategy: 'rpg',
      count: 4,
      every: 2,
      out: whole,
      data,
      recipe,
    });
    expect(manifest.checkpoints.map((c) => c.step)).toEqual([2, 4, 6, 8]);
    expect(manifest.resume).toBeUndefined();
    const first = await readSafetensors(join(whole, manifest.checkpoints[0]!.file));
    expect(first.metadata).toMatchObject({ arch: 'mlp', strategy: 'rpg', seed: '0', step: '2' });
    expect(Number(first.metadata.test_accuracy)).toBe(manifest.checkpoints[0]!.testAccuracy);

    // Interrupt after the first saved checkpoint, then run again.
    const parted = join(dir, 'parted');
    const controller = new AbortController();
    await expect(
      collectZoo({
        arch: 'mlp',
        strategy: 'rpg',
        count: 4,
        every: 2,
        out: parted,
        data,
        recipe,
        signal: controller.signal,
        onLog: (line) => {
          if (line.startsWith('checkpoint 1/')) controller.abort(new Error('stop'));
        },
      }),
    ).rejects.toThrow('stop');
    expect((await readZoo(parted)).manifest.resume?.phase).toBe('collect');
    let trainSteps = 0;
    const resumed = await collectZoo({
      arch: 'mlp',
      strategy: 'rpg',
      count: 4,
      every: 2,
      out: parted,
      data,
      recipe,
      onProgress: (p) => {
        if (p.phase === 'train') trainSteps++;
      },
    });
    expect(trainSteps).toBe(0);
    expect(resumed.checkpoints.map((c) => c.testAccuracy)).toEqual(
      manifest.checkpoints.map((c) => c.testAccuracy),
    );
    const zoo = await readZoo(parted);
    const a = await zoo.loadCheckpoint(3);
    const b = (await readZoo(whole)).loadCheckpoint(3);
    expect(Array.from(a.get('fc2.weight')!.data as Float32Array)).toEqual(
      Array.from((await b).get('fc2.weight')!.data as Float32Array),
    );
    expect((await readdir(parted)).filter((f) => f.startsWith('.resume'))).toEqual([]);
  });

  it('pdiff trains only the selected tensors; tasks trains binary heads', async () => {
    const pdiff = await collectZoo({
      arch: 'mlp',
      strategy: 'pdiff',
      count: 2,
      out: join(dir, 'pdiff'),
      data,
      recipe,
    });
    const zoo = await readZoo(join(dir, 'pdiff'));
    const [a, b] = [await zoo.loadCheckpoint(0), await zoo.loadCheckpoint(1)];
    expect(Array.from(a.get('fc1.weight')!.data as Float32Array)).toEqual(
      Array.from(b.get('fc1.weight')!.data as Float32Array),
    );
    expect(Array.from(a.get('fc2.weight')!.data as Float32Array)).not.toEqual(
      Array.from(b.get('fc2.weight')!.data as Float32Array),
    );
    expect(pdiff.checkpoints.map((c) => c.step)).toEqual([1, 2]);

    const tasks = await collectZoo({
      arch: 'mlp',
      strategy: 'tasks',
      count: 1,
      taskCodes: ['0010000000'],
      out: join(dir, 'tasks'),
      data,
      recipe,
    });
    expect(tasks.checkpoints[0]).toMatchObject({ taskCode: '0010000000', seed: 0 });
    expect(tasks.checkpoints[0]!.testAccuracy).toBeGreaterThan(0.85);
    const head = (await (await readZoo(join(dir, 'tasks'))).loadCheckpoint(0)).get('fc2.weight')!;
    expect(head.shape).toEqual([2, 256]);
  });

  it('tasks keeps the last k epochs of every task, with the task code, and sized models', async () => {
    const out = join(dir, 'tasks-k');
    const options = {
      arch: 'mlp' as const,
      strategy: 'tasks' as const,
      count: 2,
      taskCodes: ['0010000000', '1100000000'],
      checkpointsPerRun: 2,
      model: { mlp: { hidden: 16 } },
      sharedSeed: true,
      out,
      data,
      recipe,
    };
    const tasks = await collectZoo(options);
    const steps = Math.floor(data.train.count / recipe.batchSize);
    expect(tasks.checkpoints.map((c) => [c.taskCode, c.step])).toEqual([
      ['0010000000', steps],
      ['0010000000', 2 * steps],
      ['1100000000', steps],
      ['1100000000', 2 * steps],
    ]);
    const zoo = await readZoo(out);
    const first = await zoo.loadCheckpoint(0);
    expect(first.get('fc1.weight')!.shape).toEqual([16, 784]);
    expect(first.get('fc2.weight')!.shape).toEqual([2, 16]);
    expect(tasks.checkpoints.map((c) => c.seed)).toEqual([0, 0, 0, 0]);
    // Called again, the finished zoo is left as it is.
    const again = await collectZoo(options);
    expect(again.checkpoints).toHaveLength(4);
    await expect(
      collectZoo({
        arch: 'mlp',
        strategy: 'tasks',
        count: 1,
        checkpointsPerRun: 3,
        out: join(dir, 'k3'),
        data,
        recipe,
      }),
    ).rejects.toThrow(/checkpointsPerRun must be an integer from 1 to the recipe's 2 epochs/);
  });

  it('refuses bad input with user-facing errors', async () => {
    await expect(readZoo(join(dir, 'nowhere'))).rejects.toMatchObject({
      userFacing: true,
      message: expect.stringMatching(/not a zoo/),
    });
    const broken = join(dir, 'broken');
    await collectZoo({ arch: 'mlp', strategy: 'seeds', count: 1, out: broken, data, recipe });
    await expect(
      collectZoo({ arch: 'mlp', strategy: 'seeds', count: 2, out: broken, data, recipe }),
    ).rejects.toThrow(/holds a different zoo/);
    const manifestPath = join(broken, 'zoo.json');
    const text = await readFile(manifestPath, 'utf8');
    await writeFile(manifestPath, text.replace('"arch": "mlp"', '"arch": "lenet"'));
    await expect(readZoo(broken)).rejects.toThrow(/zoo\.json: unknown architecture "lenet"/);
    await writeFile(manifestPath, text.slice(0, 40));
    await expect(readZoo(broken)).rejects.toThrow(/corrupt manifest/);
    await expect(
      collectZoo({ arch: 'lenet' as 'mlp', strategy: 'rpg', out: join(dir, 'x'), data }),
    ).rejects.toMatchObject({
      userFacing: true,
      message: expect.stringMatching(/unknown architecture/),
    });
  });
});
