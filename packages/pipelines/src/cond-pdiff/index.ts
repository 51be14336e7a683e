export { adapterVectors, fitAdapterTokenizer, vectorToAdapter } from './adapter-vectors';
export { readAngleList } from './angle-file';
export {
  COND_PDIFF_CONDITION_KINDS,
  type CondPdiffConditionKind,
  type CondPdiffConfig,
  type CondPdiffDenoiserKind,
  DEFAULT_COND_PDIFF_CONFIG,
  resolveCondPdiffConfig,
} from './cond-pdiff-config';
export { CondPdiffError } from './cond-pdiff-error';
export {
  type BestMeanCount,
  COND_PDIFF_TARGETS,
  type CondPdiffExperimentOptions,
  type CondPdiffReport,
  type CondPdiffTaskRow,
  runCondPdiffExperiment,
} from './cond-pdiff-experiment';
export { COND_PDIFF_FILES, type CondPdiffFitInfo } from './cond-pdiff-io';
export {
  type CondPdiffFitInput,
  type CondPdiffFitOptions,
  type CondPdiffGenerateOptions,
  CondPdiffPipeline,
} from './cond-pdiff-pipeline';
export { writeCondPdiffReport } from './cond-pdiff-report';
export type {
  CondPdiffCondition,
  CondPdiffSample,
  CondPdiffTask,
  TaskExampleSource,
} from './cond-pdiff-task';
export type { CondPdiffFitProgress } from './fit-phase';
export { type LoraZooInput, type LoraZooSelection, readLoraZooInput } from './lora-zoo-source';
export { rotatedMnistExamples } from './rotated-mnist-examples';
