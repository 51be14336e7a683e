export { adapterVectors, fitAdapterTokenizer, vectorToAdapter } from './adapter-vectors';
export type { CondPdiffFitProgress } from './autoencoder-fit';
export {
  COND_PDIFF_CONDITION_KINDS,
  type CondPdiffConditionKind,
  type CondPdiffConfig,
  type CondPdiffDenoiserKind,
  DEFAULT_COND_PDIFF_CONFIG,
  resolveCondPdiffConfig,
} from './cond-pdiff-config';
export { CondPdiffError } from './cond-pdiff-error';
export { COND_PDIFF_FILES, type CondPdiffFitInfo } from './cond-pdiff-io';
export {
  type CondPdiffFitInput,
  type CondPdiffFitOptions,
  type CondPdiffGenerateOptions,
  CondPdiffPipeline,
} from './cond-pdiff-pipeline';
export type {
  CondPdiffCondition,
  CondPdiffSample,
  CondPdiffTask,
  TaskExampleSource,
} from './cond-pdiff-task';
