// Importing @pgen/backends registers tfjs's gradients and the kernels training needs.
import '@pgen/backends';

export { ModuleList, Sequential, type UnaryModule } from './containers/sequential';
export { StateDictMismatchError } from './errors';
export {
  type ActivationName,
  type AttentionOptions,
  activation,
  gelu,
  scaledDotProductAttention,
  silu,
} from './functional';
export { defaultBound, normalInit, truncatedNormalInit, uniformInit } from './init/init';
export { ELU, GELU, Identity, LeakyReLU, ReLU, SiLU } from './layers/activation-modules';
export { BatchNorm1d, BatchNorm2d, type BatchNormOptions } from './layers/batch-norm';
export type { AxisPadding } from './layers/conv-padding';
export { Conv1d, type Conv1dOptions } from './layers/conv1d';
export { Conv2d, type Conv2dOptions } from './layers/conv2d';
export { Dropout } from './layers/dropout';
export { Embedding } from './layers/embedding';
export { GroupNorm, type GroupNormOptions } from './layers/group-norm';
export { LayerNorm, type LayerNormOptions } from './layers/layer-norm';
export { Linear, type LinearOptions } from './layers/linear';
export { MultiheadAttention, type MultiheadAttentionOptions } from './layers/multihead-attention';
export { crossEntropy } from './losses/cross-entropy';
export { type LoadStateDictOptions, Module } from './module';
export { AdamW, type AdamWOptions } from './optim/adamw';
export { clipGradNorm } from './optim/clip-grad-norm';
export { ExponentialMovingAverage } from './optim/ema';
export {
  type CosineScheduleOptions,
  constantWithWarmup,
  cosineWithWarmup,
  type LrSchedule,
} from './optim/lr-schedule';
export { getDefaultRng, manualSeed, Rng } from './random/rng';
export { type ExportDType, tensorDataToTensor, tensorToTensorData } from './tensor-data';
