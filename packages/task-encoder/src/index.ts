// Importing @pgen/nn (and through it @pgen/backends) registers tfjs's gradients.
import '@pgen/nn';

/** Binary class codes ('0010000000': bit i, from the left, is class i) → Linear → SiLU → Linear. */
export { BinaryCodeEncoder, type BinaryCodeEncoderOptions } from './binary-code-encoder';
/** Parsing and making binary task codes. */
export { type BinaryCode, binaryCodesToArray, classesToCode } from './binary-codes';
/** Continuous descriptors (angles, levels) through Fourier features and an MLP. */
export {
  ContinuousDescriptorEncoder,
  type ContinuousDescriptorEncoderOptions,
} from './continuous-descriptor-encoder';
/** A permutation-invariant encoder of labelled example sets. */
export { DatasetEncoder, type DatasetEncoderOptions } from './dataset-encoder';
/** The error for bad inputs, options and saved folders (`userFacing`). */
export { TaskEncoderError } from './errors';
export {
  ExampleCodeEstimator,
  type ExampleCodeEstimatorOptions,
} from './example-code-estimator';
/** Per-example feature extractors of the dataset encoder. */
export {
  buildFeatureExtractor,
  type FeatureExtractor,
  type FeatureExtractorConfig,
} from './feature-extractor';
/** Fixed Fourier features of task descriptors. */
export { type AngleUnit, FourierFeatures, type FourierFeaturesOptions } from './fourier-features';
/** A deterministic hashed character n-gram text embedding, and the embedding-function type. */
export {
  fnv1a,
  type HashedNgramEmbeddingOptions,
  hashedNgramEmbedding,
  type TextEmbeddingFunction,
} from './hashed-ngram-embedding';
/** Labelled example sets and their packing into one batch. */
export { type LabelledSet, type PackedSets, packLabelledSets } from './labelled-set';
/** Supervised pretraining of a dataset encoder's feature extractor. */
export {
  type ClassificationData,
  type ExtractorOwner,
  type PretrainFeatureExtractorOptions,
  type PretrainProgress,
  type PretrainResult,
  pretrainFeatureExtractor,
} from './pretrain-feature-extractor';
/** A learned vector per seen task. */
export { TaskEmbeddingEncoder, type TaskEmbeddingEncoderOptions } from './task-embedding-encoder';
/** The interface every encoder implements, and its saved config. */
export type { TaskEncoder, TaskEncoderClassName, TaskEncoderConfig } from './task-encoder';
/** Saving, loading and rebuilding encoders. */
export {
  type AnyTaskEncoder,
  loadTaskEncoder,
  saveTaskEncoder,
  TASK_ENCODER_CONFIG_NAME,
  TASK_ENCODER_WEIGHTS_NAME,
  type TaskEncoderBuildOptions,
  taskEncoderFromConfig,
} from './task-encoder-io';
/** Conditions from any user-supplied text-embedding function, through a trained projection. */
export { TextConditionEncoder, type TextConditionEncoderOptions } from './text-condition-encoder';
