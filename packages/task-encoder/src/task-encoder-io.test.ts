import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { initBackend } from '@pgen/backends';
import { Rng } from '@pgen/nn';
import * as tf from '@tensorflow/tfjs-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  BinaryCodeEncoder,
  ContinuousDescriptorEncoder,
  DatasetEncoder,
  hashedNgramEmbedding,
  loadTaskEncoder,
  saveTaskEncoder,
  TASK_ENCODER_CONFIG_NAME,
  TaskEmbeddingEncoder,
  TaskEncoderError,
  TextConditionEncoder,
  taskEncoderFromConfig,
} from './index';
import { perturbParameters, take } from './test-support';

let root: string;

beforeAll(async () => {
  await initBackend({ prefer: 'cpu' });
  root = await mkdtemp(join(tmpdir(), 'pgen-task-encoder-'));
});

afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

const embed = hashedNgramEmbedding({ dim: 16 });
const rng = new Rng(11);
const sets = [
  { features: rng.uniformArray(5 * 3), labels: [0, 1, 2, 0, 1] },
  { features: rng.uniformArray(2 * 3), labels: [2, 2] },
];

describe('saveTaskEncoder / loadTaskEncoder', () => {
  const encoders = {
    binary: () => ({
      encoder: new BinaryCodeEncoder({ hidden: 8, outputDim: 4, seed: 1 }),
      run: async (e: BinaryCodeEncoder) => take(e.encode(['0010000000', '1100000000'])),
    }),
    continuous: () => ({
      encoder: new ContinuousDescriptorEncoder({
        inputDim: 2,
        periodic: [true, false],
        fourierFeatures: 3,
        outputDim: 4,
        seed: 2,
      }),
      run: async (e: ContinuousDescriptorEncoder) =>
        take(
          e.encode([
            [30, 0.5],
            [-45, 2],
          ]),
        ),
    }),
    embedding: () => ({
      encoder: new TaskEmbeddingEncoder({ numTasks: 6, outputDim: 4, seed: 3 }),
      run: async (e: TaskEmbeddingEncoder) => take(e.encode([5, 0, 2])),
    }),
    dataset: () => ({
      encoder: new DatasetEncoder({
        featureDim: 2,
        numClasses: 3,
        hidden: 8,
        outputDim: 4,
        featureExtractor: { kind: 'mlp', inputSize: 3, hidden: 5 },
        seed: 4,
      }),
      run: async (e: DatasetEncoder) => take(e.encode(sets)),
    }),
    text: () => ({
      encoder: new TextConditionEncoder({ embed, embeddingDim: 16, outputDim: 4, seed: 5 }),
      run: async (e: TextConditionEncoder) =>
        take(await e.encode(['three vs rest', 'odd vs even'])),
    }),
  };

  for (const [name, make] of Object.entries(encoders)) {
    it(`reproduces the ${name} encoder's outputs exactly`, async () => {
      const { encoder, run } = make() as unknown as {
        encoder: BinaryCodeEncoder;
        run: (e: unknown) => Promise<number[]>;
      };
      // Trained weights differ from the seeded start, so a match proves the file was read.
      perturbParameters(encoder, 99);
      const want = await run(encoder);
      const dir = join(root, name);
      await saveTaskEncoder(dir, encoder);
      const before = tf.memory().numTensors;
      const loaded = await loadTaskEncoder(dir, { embed });
      expect(loaded.constructor).toBe(encoder.constructor);
      expect(loaded.config).toEqual(encoder.config);
      expect(await run(loaded)).toEqual(want);
      const fresh = taskEncoderFromConfig(encoder.config, { embed });
      expect(await run(fresh)).not.toEqual(want);
      fresh.dispose();
      loaded.dispose();
      expect(tf.memory().numTensors).toBe(before);
      // Only the two final files remain: no temporary files from the atomic writes.
      expect((await readdir(dir)).sort()).toEqual([
        'task_encoder.safetensors',
        'task_encoder_config.json',
      ]);
      encoder.dispose();
    });
  }

  it('needs the embedding function back to load a text encoder', async () => {
    const encoder = new TextConditionEncoder({ embed, embeddingDim: 16, outputDim: 4 });
    const dir = join(root, 'text-no-embed');
    await saveTaskEncoder(dir, encoder);
    const config = JSON.parse(await readFile(join(dir, TASK_ENCODER_CONFIG_NAME), 'utf8'));
    expect(config).toEqual({
      _class_name: 'TextConditionEncoder',
      embeddingDim: 16,
      outputDim: 4,
      seed: 0,
    });
    await expect(loadTaskEncoder(dir)).rejects.toThrow(
      /pass the one it was trained with as \{ embed \}/,
    );
    encoder.dispose();
  });

  it('names the file and the problem for broken folders', async () => {
    await expect(loadTaskEncoder(join(root, 'missing'))).rejects.toThrow(
      /task_encoder_config\.json: cannot read task encoder config/,
    );
    const dir = join(root, 'broken');
    const encoder = new BinaryCodeEncoder({ hidden: 8, outputDim: 4 });
    await saveTaskEncoder(dir, encoder);
    const configPath = join(dir, TASK_ENCODER_CONFIG_NAME);

    await writeFile(
      configPath,
      '{"_class_name": "BinaryCodeEncoder", "outputDim": 4, "hidden": 9}',
    );
    const before = tf.memory().numTensors;
    const mismatch = await loadTaskEncoder(dir).catch((e: Error) => e);
    expect(String(mismatch)).toMatch(
      /task_encoder\.safetensors: state dict does not fit.*mlp\.0\.weight/,
    );
    expect(tf.memory().numTensors).toBe(before);

    await writeFile(configPath, '{"_class_name": "Transformer"}');
    const unknown = await loadTaskEncoder(dir).catch((e: Error) => e);
    expect(unknown).toBeInstanceOf(TaskEncoderError);
    expect((unknown as Error).message).toMatch(
      /task_encoder_config\.json: unknown task encoder class "Transformer"/,
    );

    await writeFile(configPath, '{"_class_name": "BinaryCodeEncoder", "outputDim": -1}');
    await expect(loadTaskEncoder(dir)).rejects.toThrow(
      /task_encoder_config\.json: BinaryCodeEncoder: outputDim must be a positive integer/,
    );

    await writeFile(configPath, '{not json');
    await expect(loadTaskEncoder(dir)).rejects.toThrow(/cannot read task encoder config/);
    encoder.dispose();
  });
});
