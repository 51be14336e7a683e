import { Embedding, Module, Rng } from '@pgen/nn';
import * as tf from '@tensorflow/tfjs-core';
import { TaskEncoderError } from './errors';
import { finiteNumber, positiveInt } from './options';
import type { TaskEncoder, TaskEncoderConfig } from './task-encoder';

export interface TaskEmbeddingEncoderOptions {
  /** Number of tasks seen in training; ids are 0…numTasks−1. */
  numTasks: number;
  /** Width of the condition vector. */
  outputDim: number;
  /** Seed of the initial embeddings (default 0). */
  seed?: number;
}

/**
 * One learned vector per training task (`embedding.weight` [numTasks, outputDim], as
 * `torch.nn.Embedding` initialises it). It can only name tasks it was trained on: an id outside
 * 0…numTasks−1 is refused rather than clamped, since no vector exists for an unseen task.
 */
export class TaskEmbeddingEncoder extends Module implements TaskEncoder<readonly number[]> {
  readonly config: TaskEncoderConfig;
  readonly numTasks: number;
  readonly outputDim: number;
  readonly embedding: Embedding;

  constructor(options: TaskEmbeddingEncoderOptions) {
    super();
    const owner = 'TaskEmbeddingEncoder';
    const numTasks = positiveInt(owner, 'numTasks', options.numTasks);
    const outputDim = positiveInt(owner, 'outputDim', options.outputDim);
    const seed = finiteNumber(owner, 'seed', options.seed ?? 0);
    this.config = { _class_name: 'TaskEmbeddingEncoder', numTasks, outputDim, seed };
    this.numTasks = numTasks;
    this.outputDim = outputDim;
    this.embedding = this.addModule(
      'embedding',
      new Embedding(numTasks, outputDim, { rng: new Rng(seed) }),
    );
  }

  /** The vectors of tasks `taskIds` (integers in 0…numTasks−1), [taskIds.length, outputDim]. */
  encode(taskIds: readonly number[]): tf.Tensor {
    if (taskIds.length === 0) throw new TaskEncoderError('TaskEmbeddingEncoder: no task ids');
    taskIds.forEach((id, i) => {
      if (!Number.isInteger(id) || id < 0 || id >= this.numTasks) {
        throw new TaskEncoderError(
          `TaskEmbeddingEncoder: task id ${String(id)} (item ${i}) is not one of the ${this.numTasks} tasks it was built for (0…${this.numTasks - 1}); unseen tasks need a descriptor, code or dataset encoder`,
        );
      }
    });
    return tf.tidy(() => this.embedding.forward(tf.tensor1d(Int32Array.from(taskIds), 'int32')));
  }
}
