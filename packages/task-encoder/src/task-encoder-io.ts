import { mkdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { readSafetensors, writeCheckpointAtomic, writeSafetensors } from '@pgen/checkpoint-io';
import { BinaryCodeEncoder, type BinaryCodeEncoderOptions } from './binary-code-encoder';
import {
  ContinuousDescriptorEncoder,
  type ContinuousDescriptorEncoderOptions,
} from './continuous-descriptor-encoder';
import { DatasetEncoder, type DatasetEncoderOptions } from './dataset-encoder';
import { TaskEncoderError } from './errors';
import { ExampleCodeEstimator, type ExampleCodeEstimatorOptions } from './example-code-estimator';
import type { TextEmbeddingFunction } from './hashed-ngram-embedding';
import { TaskEmbeddingEncoder, type TaskEmbeddingEncoderOptions } from './task-embedding-encoder';
import type { TaskEncoder, TaskEncoderConfig } from './task-encoder';
import { TextConditionEncoder, type TextConditionEncoderOptions } from './text-condition-encoder';

/** File names inside a saved task-encoder folder. */
export const TASK_ENCODER_CONFIG_NAME = 'task_encoder_config.json';
export const TASK_ENCODER_WEIGHTS_NAME = 'task_encoder.safetensors';

/** What a config alone cannot hold. */
export interface TaskEncoderBuildOptions {
  /** The embedding function of a `TextConditionEncoder` (required for that class only). */
  embed?: TextEmbeddingFunction;
}

/** Any encoder this package defines, as `taskEncoderFromConfig` returns it. */
export type AnyTaskEncoder =
  | BinaryCodeEncoder
  | ContinuousDescriptorEncoder
  | TaskEmbeddingEncoder
  | DatasetEncoder
  | ExampleCodeEstimator
  | TextConditionEncoder;

/** Builds an (untrained, seeded) encoder from its config; `source` names it in errors. */
export function taskEncoderFromConfig(
  config: TaskEncoderConfig,
  options: TaskEncoderBuildOptions = {},
  source = 'task encoder config',
): AnyTaskEncoder {
  if (typeof config !== 'object' || config === null || Array.isArray(config)) {
    throw new TaskEncoderError(`${source}: expected a JSON object with a _class_name`);
  }
  const { _class_name: name, ...rest } = config;
  try {
    switch (name) {
      case 'BinaryCodeEncoder':
        return new BinaryCodeEncoder(rest as unknown as BinaryCodeEncoderOptions);
      case 'ContinuousDescriptorEncoder':
        return new ContinuousDescriptorEncoder(
          rest as unknown as ContinuousDescriptorEncoderOptions,
        );
      case 'TaskEmbeddingEncoder':
        return new TaskEmbeddingEncoder(rest as unknown as TaskEmbeddingEncoderOptions);
      case 'DatasetEncoder':
        return new DatasetEncoder(rest as unknown as DatasetEncoderOptions);
      case 'ExampleCodeEstimator':
        return new ExampleCodeEstimator(rest as unknown as ExampleCodeEstimatorOptions);
      case 'TextConditionEncoder': {
        if (!options.embed) {
          throw new TaskEncoderError(
            'a TextConditionEncoder does not save its embedding function: pass the one it was trained with as { embed }',
          );
        }
        const saved = rest as unknown as Omit<TextConditionEncoderOptions, 'embed'>;
        return new TextConditionEncoder({ ...saved, embed: options.embed });
      }
      default:
        throw new TaskEncoderError(`unknown task encoder class "${String(name)}"`);
    }
  } catch (error) {
    if (error instanceof TaskEncoderError) {
      throw new TaskEncoderError(`${source}: ${error.message}`, { cause: error });
    }
    throw error;
  }
}

/**
 * Saves an encoder as a folder: `task_encoder_config.json` (class and options) and
 * `task_encoder.safetensors` (PyTorch-named weights), each written atomically, so an
 * interrupted save never leaves a truncated file under either name.
 */
export async function saveTaskEncoder(dir: string, encoder: TaskEncoder<never>): Promise<void> {
  await mkdir(dir, { recursive: true });
  await writeSafetensors(join(dir, TASK_ENCODER_WEIGHTS_NAME), await encoder.stateDict(), {
    metadata: { format: 'pgen-task-encoder', class: encoder.config._class_name },
  });
  const json = `${JSON.stringify(encoder.config, null, 2)}\n`;
  await writeCheckpointAtomic(join(dir, TASK_ENCODER_CONFIG_NAME), async (file) => {
    await file.writeFile(json);
  });
}

/**
 * Loads what `saveTaskEncoder` wrote; the weights must fit the config exactly. A
 * `TextConditionEncoder` needs its embedding function back: `loadTaskEncoder(dir, { embed })`.
 */
export async function loadTaskEncoder(
  dir: string,
  options: TaskEncoderBuildOptions = {},
): Promise<AnyTaskEncoder> {
  const configPath = join(dir, TASK_ENCODER_CONFIG_NAME);
  let config: TaskEncoderConfig;
  try {
    config = JSON.parse(await readFile(configPath, 'utf8')) as TaskEncoderConfig;
  } catch (error) {
    throw new TaskEncoderError(
      `${configPath}: cannot read task encoder config (${(error as Error).message})`,
    );
  }
  const encoder = taskEncoderFromConfig(config, options, configPath);
  const weightsPath = join(dir, TASK_ENCODER_WEIGHTS_NAME);
  try {
    const { tensors } = await readSafetensors(weightsPath);
    encoder.loadStateDict(tensors, { source: weightsPath });
  } catch (error) {
    encoder.dispose();
    throw error;
  }
  return encoder;
}
