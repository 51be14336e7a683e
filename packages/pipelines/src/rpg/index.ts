export { mnistTaskExamples } from './mnist-task-examples';
export { PositionMlp, type PositionMlpOptions } from './position-mlp';
export { PrototypeNetwork, type PrototypeNetworkConfig } from './prototype-network';
export {
  RPG_DENOISER_KINDS,
  RPG_PRIOR_KINDS,
  type RpgConfig,
  type RpgDenoiserKind,
  type RpgPriorKind,
  resolveRpgConfig,
  resolveSavedRpgConfig,
} from './rpg-config';
export { RpgError } from './rpg-error';
export {
  RPG_TARGETS,
  type RpgExperimentOptions,
  type RpgExperimentReport,
  runRpgExperiment,
} from './rpg-experiment';
export { RPG_FILES } from './rpg-io';
export { type RpgFitCallbacks, type RpgGenerateOptions, RpgPipeline } from './rpg-pipeline';
export type { RpgFitProgress } from './rpg-training';
export type { RpgCheckpointing } from './rpg-training-state';
export {
  type BestMean,
  type RpgUnseenTaskOptions,
  type RpgUnseenTaskReport,
  runRpgUnseenTaskExperiment,
  UNSEEN_TASK_CONDITIONS,
  UNSEEN_TASK_RATIO,
  type UnseenTaskArm,
  type UnseenTaskCondition,
  type UnseenTaskRow,
  type UnseenTaskSummary,
  writeUnseenTaskPlots,
} from './rpg-unseen-tasks';
export { readTaskExamples } from './task-examples-file';
export { checkSameLayout, type LoadedZoo, loadZooDir } from './zoo-source';
