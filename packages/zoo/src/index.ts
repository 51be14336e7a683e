// Importing @pgen/nn (and through it @pgen/backends) registers gradients and training kernels.
import '@pgen/nn';

export { crossEntropy } from '@pgen/nn';
export { ZooError } from './errors';
export {
  type AttachLoraOptions,
  attachLora,
  isLoraParameter,
  type LoraAttachment,
  loraLayers,
  matchesTargetModule,
  resetLora,
} from './lora/attach-lora';
export {
  type CollectLoraZooOptions,
  collectLoraZoo,
  DEFAULT_LORA_ANGLES,
  DEFAULT_LORA_KEEP,
  DEFAULT_LORA_LR,
  DEFAULT_LORA_STEPS,
  type LoraZooProgress,
  rotationTaskName,
} from './lora/collect-lora-zoo';
export { exportLoraAdapter, loadLoraAdapter, PEFT_KEY_PREFIX } from './lora/lora-adapter-io';
export {
  evaluateLoraAdapter,
  LoraEvaluator,
  type LoraEvaluatorOptions,
  type LoraTaskEvaluatorOptions,
  loraTaskEvaluator,
} from './lora/lora-evaluator';
export { LoraLinear, type LoraShape } from './lora/lora-linear';
export {
  LORA_ZOO_MANIFEST,
  type LoraZooAdapterEntry,
  type LoraZooManifest,
  type LoraZooTask,
  type LoraZooVitOptions,
  type OpenedLoraZoo,
  parseLoraZooManifest,
  readLoraZoo,
  readLoraZooManifest,
  writeLoraZooManifest,
} from './lora/lora-zoo-manifest';
export { binaryTaskView, parseTaskCode, randomTaskCodes } from './mnist/binary-task';
export { type LoadMnistOptions, loadMnist, MNIST_TOTAL, mnistDigitsDir } from './mnist/load-mnist';
export {
  countLabels,
  headMnist,
  MNIST_CLASSES,
  MNIST_PIXELS,
  MNIST_SIDE,
  type MnistData,
  selectMnist,
} from './mnist/mnist-data';
export { rotateMnist } from './mnist/rotate-mnist';
export { loadMnistSplits, type SplitMnistOptions, splitMnist } from './mnist/split-mnist';
export { readTaskCodes } from './mnist/task-code-file';
export { ARCH_NAMES, type ArchName, type ClassifierModel } from './models/classifier-model';
export { assertArchName, type CreateModelOptions, createModel } from './models/create-model';
export { type MlpOptions, MnistMlp } from './models/mlp';
export { BasicBlock, MnistResNet, type ResNetOptions } from './models/resnet';
export { MNIST_MEAN, MNIST_STD, standardize } from './models/standardize';
export { MnistVit, type VitOptions } from './models/vit';
export { epochOrder, makeBatch, mixSeed } from './train/batches';
export {
  ClassifierTrainer,
  type ClassifierTrainerOptions,
  type StepResult,
} from './train/classifier-trainer';
export { evaluateAccuracy, type PredictOptions, predictLabels } from './train/evaluate';
export { TRAIN_RECIPES, type TrainRecipe } from './train/recipes';
export {
  type EpochRecord,
  type TrainClassifierOptions,
  type TrainProgress,
  type TrainResult,
  trainClassifier,
} from './train/train-classifier';
export {
  type CollectProgress,
  type CollectZooOptions,
  collectZoo,
  DEFAULT_COUNTS,
} from './zoo/collect-zoo';
export {
  MANIFEST_FILE,
  parseManifest,
  readManifest,
  writeManifest,
  ZOO_STRATEGIES,
  type ZooCheckpointEntry,
  type ZooManifest,
  type ZooResumePoint,
  type ZooStrategy,
} from './zoo/manifest';
export { type OpenedZoo, readZoo } from './zoo/read-zoo';
export { defaultPdiffPrefixes, selectByPrefixes } from './zoo/trainable-selection';
