// Importing @pgen/backends registers tfjs's gradients and chained ops, which the training loss
// needs; pick and start a backend with its `initBackend`.
import '@pgen/backends';

export { ConditionalUnet1d, type ConditionalUnet1dOptions } from './denoisers/conditional-unet-1d';
export {
  DENOISER_CONFIG_NAME,
  DENOISER_WEIGHTS_NAME,
  denoiserFromConfig,
  loadDenoiser,
  saveDenoiser,
} from './denoisers/denoiser-io';
export {
  asDenoiser,
  type DenoiserConfig,
  type DenoiserModule,
} from './denoisers/denoiser-module';
export { MlpDenoiser, type MlpDenoiserOptions } from './denoisers/mlp-denoiser';
export { OneDimCnn, type OneDimCnnOptions } from './denoisers/one-dim-cnn';
export { TimestepEmbedder, type TimestepEmbedderOptions } from './denoisers/timestep-embedder';
export { DiffusionInputError, SchedulerConfigError } from './errors';
export { type MaskedMseOptions, maskedMseLoss, nanPaddingMask } from './losses/masked-mse';
export { minSnrWeights, signalToNoiseRatio } from './losses/snr-weighting';
export { createGenerator, Generator, shapeSize } from './random/generator';
export type { NoiseSource } from './random/noise-source';
export { RowNoise } from './sampling/row-noise';
export {
  type SampleChunk,
  type SampleOptions,
  type SampleProgress,
  sample,
  sampleChunks,
} from './sampling/sample';
export type { ConfigSource } from './schedulers/config-fields';
export {
  readSchedulerConfig,
  SCHEDULER_CONFIG_NAME,
  writeSchedulerConfig,
} from './schedulers/config-file';
export {
  DdimScheduler,
  type DdimSchedulerConfig,
  type DdimStepOptions,
} from './schedulers/ddim-scheduler';
export {
  DDPM_VARIANCE_TYPES,
  DdpmScheduler,
  type DdpmSchedulerConfig,
  type DdpmTimesteps,
  type DdpmVarianceType,
} from './schedulers/ddpm-scheduler';
export {
  checkSameShape,
  NoiseScheduler,
  type SchedulerStepOutput,
} from './schedulers/noise-scheduler';
export {
  predictEpsilon,
  predictionTarget,
  predictOriginalSample,
  type SignalNoiseScales,
} from './schedulers/prediction';
export {
  type CommonSchedulerConfig,
  PREDICTION_TYPES,
  type PredictionType,
  TIMESTEP_SPACINGS,
  type TimestepSpacing,
} from './schedulers/scheduler-config';
export {
  convertScheduler,
  loadScheduler,
  type SamplerKind,
  type Scheduler,
  schedulerFromConfig,
} from './schedulers/scheduler-registry';
export { checkTimestep, rowCoefficients, type Timesteps } from './schedulers/timestep-coefficients';
export { spacedTimesteps } from './schedulers/timestep-spacing';
export {
  alphasCumprod,
  BETA_SCHEDULES,
  type BetaScheduleName,
  type BetaScheduleOptions,
  betaSchedule,
  validateBetas,
} from './schedules/beta-schedule';
export type { Denoiser } from './training/denoiser';
export {
  DenoiserTrainer,
  type DenoiserTrainerOptions,
  type TrainingBatch,
} from './training/denoiser-trainer';
export {
  type DiffusionTrainingLossOptions,
  diffusionTrainingLoss,
} from './training/training-loss';
