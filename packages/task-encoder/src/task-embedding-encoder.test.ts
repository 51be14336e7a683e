import { initBackend } from '@pgen/backends';
import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { TaskEmbeddingEncoder, TaskEncoderError } from './index';
import { take } from './test-support';

beforeAll(async () => {
  await initBackend({ prefer: 'cpu' });
});

describe('TaskEmbeddingEncoder', () => {
  it('returns the embedding row of each task id', async () => {
    const encoder = new TaskEmbeddingEncoder({ numTasks: 5, outputDim: 3, seed: 4 });
    expect(encoder.namedParameters().map(([n, p]) => [n, p.shape])).toEqual([
      ['embedding.weight', [5, 3]],
    ]);
    const table = Array.from(await encoder.embedding.weight.data());
    const before = tf.memory().numTensors;
    const out = encoder.encode([4, 0, 4]);
    expect(out.shape).toEqual([3, 3]);
    const v = await take(out);
    expect(tf.memory().numTensors).toBe(before);
    expect(v).toEqual([...table.slice(12, 15), ...table.slice(0, 3), ...table.slice(12, 15)]);
    encoder.dispose();
  });

  it('refuses ids of tasks it has no vector for', () => {
    const encoder = new TaskEmbeddingEncoder({ numTasks: 5, outputDim: 3 });
    expect(() => encoder.encode([5])).toThrow(/task id 5 .* not one of the 5 tasks/);
    expect(() => encoder.encode([-1])).toThrow(TaskEncoderError);
    expect(() => encoder.encode([1.5])).toThrow(TaskEncoderError);
    expect(() => encoder.encode([])).toThrow(/no task ids/);
    encoder.dispose();
  });
});
