import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { initBackend } from '@pgen/backends';
import { readPeftAdapter, readSafetensors } from '@pgen/checkpoint-io';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadMnist } from '../mnist/load-mnist';
import type { MnistData } from '../mnist/mnist-data';
import { splitMnist } from '../mnist/split-mnist';
import { type CollectLoraZooOptions, collectLoraZoo, rotationTaskName } from './collect-lora-zoo';
import { evaluateLoraAdapter, loraTaskEvaluator } from './lora-evaluator';
import {
  LORA_ZOO_MANIFEST,
  type LoraZooManifest,
  parseLoraZooManifest,
  readLoraZoo,
} from './lora-zoo-manifest';

let data: { train: MnistData; test: MnistData };
let dir: string;
let whole: LoraZooManifest;
// A one-block ViT of width 16 on 600 images keeps the file quick; the real sizes are the defaults.
const tiny = (out: string): CollectLoraZooOptions => ({
  out,
  vit: { dim: 16, depth: 1, heads: 2 },
  baseEpochs: 1,
  angles: [0, 90],
  steps: 6,
  keep: 3,
  batchSize: 32,
  data,
});

beforeAll(async () => {
  await initBackend({ prefer: 'wasm' });
  const { train, test } = splitMnist(await loadMnist(), { trainCount: 9_000 });
  data = {
    train: splitMnist(train, { trainCount: 600 }).train,
    test: splitMnist(test, { trainCount: 300 }).train,
  };
  dir = await mkdtemp(join(tmpdir(), 'pgen-lora-zoo-'));
  whole = await collectLoraZoo(tiny(join(dir, 'whole')));
});
afterAll(() => rm(dir, { recursive: true, force: true }));

describe('collectLoraZoo', () => {
  it('trains a base and keeps the last adapters of every task as tagged PEFT folders', async () => {
    expect(whole.base).toMatchObject({ file: 'base/model.safetensors' });
    expect(whole.base.source).toMatch(/^trained/);
    expect(whole).toMatchObject({
      vit: { dim: 16, depth: 1, heads: 2, patchSize: 7, mlpRatio: 2, numClasses: 10 },
      lora: { r: 4, alpha: 8, targetModules: ['qkv', 'proj'] },
      steps: 6,
      keep: 3,
    });
    expect(whole.tasks.map((t) => [t.name, t.angle])).toEqual([
      ['rot-000', 0],
      ['rot-090', 90],
    ]);
    const task = whole.tasks[1]!;
    expect(task.adapters).toEqual(
      [4, 5, 6].map((step) => ({
        dir: `adapters/rot-090/step-0000${step}`,
        step,
      })),
    );
    expect(await readdir(join(dir, 'whole/adapters/rot-090'))).toEqual([
      'step-00004',
      'step-00005',
      'step-00006',
    ]);
    const folder = join(dir, 'whole', task.adapters[2]!.dir);
    const file = await readSafetensors(join(folder, 'adapter_model.safetensors'));
    expect(file.metadata).toEqual({
      format: 'pt',
      'pgen.task': 'rot-090',
      'pgen.condition.angle': '90',
      'pgen.step': '6',
    });
    expect(file.tensors.get('base_model.model.blocks.0.attn.qkv.lora_A.weight')!.shape).toEqual([
      4, 16,
    ]);
    expect(file.tensors.get('base_model.model.blocks.0.attn.qkv.lora_B.weight')!.shape).toEqual([
      48, 4,
    ]);
    expect(file.tensors.size).toBe(4);
    const config = JSON.parse(await readFile(join(folder, 'adapter_config.json'), 'utf8'));
    expect(config).toMatchObject({ peft_type: 'LORA', r: 4, lora_alpha: 8 });
    // The adapters of consecutive steps differ (training moved them).
    const before = await readPeftAdapter(join(dir, 'whole', task.adapters[1]!.dir));
    expect(before.tensors).not.toEqual((await readPeftAdapter(folder)).tensors);
    for (const t of whole.tasks) {
      for (const v of [t.baseAccuracy, t.finalAccuracy]) expect(v).toBeGreaterThanOrEqual(0);
    }
    expect(rotationTaskName(15)).toBe('rot-015');
  });

  it('starts every task from the same adapter init unless asked for independent seeds', async () => {
    expect(whole.sharedSeed).toBe(true);
    expect(whole.tasks.map((t) => t.seed)).toEqual([0, 0]);
    const independent = await collectLoraZoo({
      ...tiny(join(dir, 'independent')),
      baseCheckpoint: join(dir, 'whole', whole.base.file),
      sharedSeed: false,
    });
    const [a, b] = independent.tasks.map((t) => t.seed);
    expect(a).not.toBe(b);
    // Same base, same rotation, other seed: the 0° adapters now differ.
    const zooA = await readLoraZoo(join(dir, 'whole'));
    const zooB = await readLoraZoo(join(dir, 'independent'));
    const key = 'base_model.model.blocks.0.attn.qkv.lora_A.weight';
    const first = (await zooA.loadAdapter(whole.tasks[0]!.adapters[0]!)).tensors.get(key)!.data;
    const other = (await zooB.loadAdapter(independent.tasks[0]!.adapters[0]!)).tensors.get(
      key,
    )!.data;
    expect(Array.from(first as Float32Array)).not.toEqual(Array.from(other as Float32Array));
  });

  it('trains a chain: each task starts where the previous unskipped angle ended', async () => {
    const out = join(dir, 'chain');
    const lr = 5e-3;
    const chain = await collectLoraZoo({
      ...tiny(out),
      baseCheckpoint: join(dir, 'whole', whole.base.file),
      angles: [0, 45, 90, 135],
      keep: 6,
      lr,
      chain: true,
      chainSkip: [90],
    });
    expect(chain.chain).toEqual({ skip: [90] });
    expect(chain.tasks.map((t) => t.startedFrom)).toEqual([
      undefined,
      'rot-000',
      'rot-045',
      'rot-045',
    ]);
    const zoo = await readLoraZoo(out);
    const key = 'base_model.model.blocks.0.attn.qkv.lora_A.weight';
    const a = async (task: number, step: number) =>
      (await zoo.loadAdapter(chain.tasks[task]!.adapters[step - 1]!)).tensors.get(key)!
        .data as Float32Array;
    const maxDiff = (x: Float32Array, y: Float32Array) =>
      x.reduce((m, v, i) => Math.max(m, Math.abs(v - y[i]!)), 0);
    // AdamW's first step moves each value by at most lr; five more steps move A further.
    expect(maxDiff(await a(0, 6), await a(0, 1))).toBeGreaterThan(2 * lr);
    for (const [task, from] of [
      [1, 0],
      [2, 1],
      [3, 1],
    ]) {
      expect(maxDiff(await a(task!, 1), await a(from!, 6))).toBeLessThanOrEqual(lr * 1.001);
    }
    await expect(
      collectLoraZoo({ ...tiny(join(dir, 'bad-chain')), angles: [90, 0], chain: true }),
    ).rejects.toThrow(/ascending angles/);
    await expect(
      collectLoraZoo({ ...tiny(out), angles: [0, 45, 90, 135], keep: 6, lr }),
    ).rejects.toThrow(/other settings/);
  });

  it('resumes an interrupted collection, redoing the unfinished task from scratch', async () => {
    const out = join(dir, 'parted');
    const baseCheckpoint = join(dir, 'whole/base/model.safetensors');
    const controller = new AbortController();
    await expect(
      collectLoraZoo({
        ...tiny(out),
        baseCheckpoint,
        signal: controller.signal,
        onProgress: (p) => {
          if (p.name === 'rot-090' && p.step === 5) controller.abort(new Error('stop'));
        },
      }),
    ).rejects.toThrow('stop');
    let zoo = await readLoraZoo(out);
    expect(zoo.manifest.tasks.map((t) => t.name)).toEqual(['rot-000']);
    expect(zoo.manifest.base.source).toBe(baseCheckpoint);
    // The half-written task's folder holds adapters of steps 4 (and some junk): cleared on resume.
    await writeFile(join(out, 'adapters/rot-090/junk.txt'), 'stale');
    const steps: string[] = [];
    const resumed = await collectLoraZoo({
      ...tiny(out),
      baseCheckpoint,
      onProgress: (p) => steps.push(`${p.name}:${p.step}`),
    });
    expect(steps).toEqual([1, 2, 3, 4, 5, 6].map((s) => `rot-090:${s}`));
    expect(await readdir(join(out, 'adapters/rot-090'))).toEqual([
      'step-00004',
      'step-00005',
      'step-00006',
    ]);
    const strip = (m: LoraZooManifest) => m.tasks.map(({ seconds: _, ...rest }) => rest);
    expect(strip(resumed)).toEqual(strip(whole));
    zoo = await readLoraZoo(out);
    for (const [i, task] of whole.tasks.entries()) {
      const a = await zoo.loadAdapter(zoo.manifest.tasks[i]!.adapters[2]!);
      const b = await readPeftAdapter(join(dir, 'whole', task.adapters[2]!.dir));
      expect(a.tensors).toEqual(b.tensors);
    }
    // Finished: a rerun trains nothing; other settings or another base are refused.
    let again = 0;
    await collectLoraZoo({ ...tiny(out), onProgress: () => again++ });
    expect(again).toBe(0);
    await expect(collectLoraZoo({ ...tiny(out), lr: 1e-2 })).rejects.toThrow(
      /holds a LoRA zoo with other settings/,
    );
    const otherBase = join(dir, 'other.safetensors');
    await writeFile(otherBase, 'not this base');
    await expect(collectLoraZoo({ ...tiny(out), baseCheckpoint: otherBase })).rejects.toThrow(
      /other\.safetensors: differs from .*base\/model\.safetensors/,
    );
  });

  it('refuses bad options and a base that does not fit the ViT', async () => {
    await expect(collectLoraZoo({ ...tiny(join(dir, 'x')), keep: 7 })).rejects.toThrow(
      /keep \(7\) must not exceed steps \(6\)/,
    );
    await expect(collectLoraZoo({ ...tiny(join(dir, 'x')), angles: [10.5] })).rejects.toThrow(
      /whole degrees/,
    );
    await expect(
      collectLoraZoo({
        ...tiny(join(dir, 'wide')),
        vit: { dim: 32, depth: 1, heads: 2 },
        baseCheckpoint: join(dir, 'whole/base/model.safetensors'),
      }),
    ).rejects.toMatchObject({
      userFacing: true,
      message: expect.stringMatching(/model\.safetensors: not an MnistVit of the zoo's sizes/),
    });
  });
});

describe('LoRA zoo evaluation', () => {
  it('measures merged adapters on the rotated test split, matching the collection', async () => {
    const zooDir = join(dir, 'whole');
    await expect(loraTaskEvaluator(zooDir)).rejects.toThrow(/custom data/);
    const evaluator = await loraTaskEvaluator(zooDir, { test: data.test });
    const zoo = await readLoraZoo(zooDir);
    const task = zoo.task('rot-090');
    const last = zoo.adapterPath(task.adapters.at(-1)!);
    expect(await evaluator.accuracy(last, task.angle)).toBe(task.finalAccuracy);
    expect(await evaluator.accuracy(null, task.angle)).toBe(task.baseAccuracy);
    // Order does not matter: the base is restored between adapters.
    const first = await zoo.loadAdapter(task.adapters[0]!);
    const firstAccuracy = await evaluator.accuracy(first, 90);
    expect(await evaluator.accuracy(last, 90)).toBe(task.finalAccuracy);
    expect(await evaluator.accuracy(first, 90)).toBe(firstAccuracy);
    evaluator.dispose();
    const limited = await loraTaskEvaluator(zooDir, { test: data.test, testLimit: 50 });
    expect(limited.testCount).toBe(50);
    limited.dispose();
    const base = await zoo.loadBase();
    expect(
      await evaluateLoraAdapter(base, last, 90, {
        vit: zoo.manifest.vit,
        test: data.test,
      }),
    ).toBe(task.finalAccuracy);
    expect(() => zoo.task('rot-045')).toThrow(/no task "rot-045" \(it has rot-000, rot-090\)/);
  });
});

describe('lora-zoo.json', () => {
  it('names the file and the problem', async () => {
    const bad = join(dir, 'bad');
    await rm(bad, { recursive: true, force: true });
    await expect(readLoraZoo(bad)).rejects.toThrow(/not a LoRA zoo/);
    await mkdir(bad, { recursive: true });
    await writeFile(join(bad, LORA_ZOO_MANIFEST), '{ "version": 1, ');
    await expect(readLoraZoo(bad)).rejects.toMatchObject({
      userFacing: true,
      message: expect.stringMatching(/bad\/lora-zoo\.json: corrupt manifest, not valid JSON/),
    });
    const good = JSON.parse(await readFile(join(dir, 'whole', LORA_ZOO_MANIFEST), 'utf8'));
    const file = 'z/lora-zoo.json';
    expect(parseLoraZooManifest(file, good).tasks).toHaveLength(2);
    expect(() => parseLoraZooManifest(file, [])).toThrow(/z\/lora-zoo\.json: not a JSON object/);
    expect(() => parseLoraZooManifest(file, { ...good, arch: 'mlp' })).toThrow(
      /arch must be "vit"/,
    );
    expect(() => parseLoraZooManifest(file, { ...good, lora: { r: 4 } })).toThrow(/lora must be/);
    const task = good.tasks[0];
    expect(() =>
      parseLoraZooManifest(file, { ...good, tasks: [{ ...task, finalAccuracy: 'high' }] }),
    ).toThrow(/tasks\[0\]\.finalAccuracy must be a number/);
    expect(() =>
      parseLoraZooManifest(file, {
        ...good,
        tasks: [{ ...task, adapters: [{ dir: '../elsewhere', step: 1 }] }],
      }),
    ).toThrow(/tasks\[0\]\.adapters\[0\] must be/);
    expect(() => parseLoraZooManifest(file, { ...good, tasks: [task, task] })).toThrow(
      /task rot-000 is listed twice/,
    );
  });
});
