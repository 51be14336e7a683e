import type { Rng } from '@pgen/nn';
import {
  type AnyTaskEncoder,
  ContinuousDescriptorEncoder,
  DatasetEncoder,
  TaskEmbeddingEncoder,
} from '@pgen/task-encoder';
import type * as tf from '@tensorflow/tfjs-core';
import type { CondPdiffConfig } from './cond-pdiff-config';
import { CondPdiffError } from './cond-pdiff-error';
import type { CondPdiffCondition, CondPdiffTask, TaskExampleSource } from './cond-pdiff-task';

/** The task encoder of a condition kind, untrained and seeded from the config. */
export function buildConditionEncoder(
  config: CondPdiffConfig,
  tasks: readonly CondPdiffTask[],
): AnyTaskEncoder {
  const seed = config.seed + 17;
  switch (config.condition) {
    case 'descriptor':
      return new ContinuousDescriptorEncoder({
        inputDim: tasks[0]!.descriptor.length,
        fourierFeatures: config.fourierFeatures,
        outputDim: config.conditionDim,
        periodic: config.periodicDescriptor,
        seed,
      });
    case 'embedding':
      return new TaskEmbeddingEncoder({
        numTasks: tasks.length,
        outputDim: config.conditionDim,
        seed,
      });
    case 'examples':
      return new DatasetEncoder({
        featureDim: 64,
        numClasses: config.numClasses,
        outputDim: config.conditionDim,
        featureExtractor: { kind: 'mlp', inputSize: config.exampleSize, hidden: 128 },
        seed,
      });
  }
}

/**
 * Condition rows [tasks.length, conditionDim] for training tasks (by index into `all`), with
 * gradients into the encoder: descriptors, embedding ids, or a fresh example set per task.
 */
export function encodeTrainingTasks(
  encoder: AnyTaskEncoder,
  config: CondPdiffConfig,
  all: readonly CondPdiffTask[],
  taskIndices: readonly number[],
  examples: TaskExampleSource | undefined,
  rng: Rng,
): tf.Tensor {
  switch (config.condition) {
    case 'descriptor':
      return (encoder as ContinuousDescriptorEncoder).encode(
        taskIndices.map((i) => all[i]!.descriptor),
      );
    case 'embedding':
      return (encoder as TaskEmbeddingEncoder).encode(taskIndices);
    case 'examples': {
      if (!examples) {
        throw new CondPdiffError('condition examples needs a source of labelled examples per task');
      }
      const sets = taskIndices.map((i) => examples(all[i]!, config.examplesPerTask, rng));
      return (encoder as DatasetEncoder).encode(sets);
    }
  }
}

/**
 * One condition row [1, conditionDim] for generation; refuses a condition of the wrong kind or
 * an embedding for a task the pipeline never saw.
 */
export function encodeGenerationCondition(
  encoder: AnyTaskEncoder,
  config: CondPdiffConfig,
  tasks: readonly CondPdiffTask[],
  condition: CondPdiffCondition,
): tf.Tensor {
  const known = (name: string) => tasks.findIndex((t) => t.name === name);
  switch (config.condition) {
    case 'descriptor': {
      let descriptor = condition.descriptor;
      if (!descriptor && condition.task !== undefined) {
        const index = known(condition.task);
        if (index < 0) {
          throw new CondPdiffError(
            `task "${condition.task}" is not one of the training tasks; give its descriptor instead`,
          );
        }
        descriptor = tasks[index]!.descriptor;
      }
      if (!descriptor) {
        throw new CondPdiffError(
          'this pipeline is conditioned on task descriptors: give a descriptor (e.g. an angle)',
        );
      }
      const width = tasks[0]!.descriptor.length;
      if (descriptor.length !== width || !descriptor.every(Number.isFinite)) {
        throw new CondPdiffError(
          `a descriptor here is ${width} finite number(s), got [${descriptor.join(', ')}]`,
        );
      }
      return (encoder as ContinuousDescriptorEncoder).encode([descriptor]);
    }
    case 'embedding': {
      if (condition.task === undefined) {
        throw new CondPdiffError(
          'this pipeline is conditioned on learned task embeddings: give a training task name',
        );
      }
      const index = known(condition.task);
      if (index < 0) {
        throw new CondPdiffError(
          `task "${condition.task}" has no learned embedding (training tasks: ${tasks.map((t) => t.name).join(', ')}); unseen tasks need the descriptor or examples condition`,
        );
      }
      return (encoder as TaskEmbeddingEncoder).encode([index]);
    }
    case 'examples': {
      if (!condition.examples) {
        throw new CondPdiffError(
          'this pipeline is conditioned on task examples: give labelled examples of the task',
        );
      }
      return (encoder as DatasetEncoder).encode([condition.examples]);
    }
  }
}
