import type { StateDict } from '@pgen/checkpoint-io';
import {
  type ArchName,
  type ClassifierModel,
  type CreateModelOptions,
  createModel,
  evaluateAccuracy,
  type MnistData,
} from '@pgen/zoo';
import { type WrongSet, wrongSet } from './wrong-set';

/** Options of `AccuracyEvaluator`. */
export interface AccuracyEvaluatorOptions {
  /** Outputs of the classifier head (default 10: digits). */
  numClasses?: number;
  /** Architecture sizes when not the zoo defaults (a zoo.json `config.model`). */
  model?: Pick<CreateModelOptions, 'mlp' | 'resnet' | 'vit'>;
}

/** A model's test accuracy with what it predicted and which examples it got wrong. */
export interface AccuracyResult {
  accuracy: number;
  predictions: Int32Array;
  wrong: WrongSet;
}

/**
 * Test accuracy of state dicts of one architecture. It builds the model once and loads each
 * state dict into it, so evaluating a zoo of hundreds of checkpoints allocates one model, not
 * hundreds. Call `dispose()` when done to free the model's tensors.
 */
export class AccuracyEvaluator {
  private readonly model: ClassifierModel;

  constructor(
    readonly arch: ArchName,
    readonly data: MnistData,
    options: AccuracyEvaluatorOptions = {},
  ) {
    this.model = createModel(arch, { ...options.model, numClasses: options.numClasses ?? 10 });
  }

  /**
   * Loads `stateDict` (strictly: every tensor of the architecture, nothing else) and evaluates
   * it; `source` names the file in a mismatch error.
   */
  async evaluate(stateDict: StateDict, source?: string): Promise<AccuracyResult> {
    this.model.loadStateDict(stateDict, { source });
    const { accuracy, predictions } = await evaluateAccuracy(this.model, this.data);
    return { accuracy, predictions, wrong: wrongSet(predictions, this.data.labels) };
  }

  /** Frees the model's tensors. */
  dispose(): void {
    this.model.dispose();
  }
}

/** Test accuracy of one state dict of `arch` on `data` (a one-off `AccuracyEvaluator`). */
export async function evaluateStateDictAccuracy(
  arch: ArchName,
  stateDict: StateDict,
  data: MnistData,
  options: AccuracyEvaluatorOptions & { source?: string } = {},
): Promise<AccuracyResult> {
  const evaluator = new AccuracyEvaluator(arch, data, options);
  try {
    return await evaluator.evaluate(stateDict, options.source);
  } finally {
    evaluator.dispose();
  }
}
