import type { Module } from '@pgen/nn';
import type { Tensor } from '@tensorflow/tfjs-core';

/** The encoder classes `taskEncoderFromConfig` can rebuild. */
export type TaskEncoderClassName =
  | 'BinaryCodeEncoder'
  | 'ContinuousDescriptorEncoder'
  | 'TaskEmbeddingEncoder'
  | 'DatasetEncoder'
  | 'ExampleCodeEstimator'
  | 'TextConditionEncoder';

/**
 * A task encoder's saved configuration (`task_encoder_config.json`): the class name and the
 * constructor options, seed included, enough to rebuild the module before its weights load.
 */
export interface TaskEncoderConfig {
  _class_name: TaskEncoderClassName;
  [option: string]: unknown;
}

/**
 * A condition encoder: a @pgen/nn module that turns one kind of task description into vectors
 * [batch, outputDim], which a conditional denoiser or recurrent prior takes as its condition.
 * Each kind has its own `encode` input (codes, descriptors, task ids, example sets, texts);
 * gradients flow through `encode` into the module's parameters, so it trains jointly with the
 * model it conditions.
 */
export interface TaskEncoder<Input = never> extends Module {
  /** Width of every condition vector this encoder makes. */
  readonly outputDim: number;
  /** Class and options: with the weights, enough to rebuild the encoder exactly. */
  readonly config: TaskEncoderConfig;
  /** One condition row per input item, [batch, outputDim]; the caller disposes it. */
  encode(input: Input): Tensor | Promise<Tensor>;
}
