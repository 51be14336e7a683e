import type { StateDict } from '@pgen/checkpoint-io';
import type { TensorSignature } from './layout';
import type { TensorNormalization } from './normalizer';
import type { Granularity } from './options';

/** A generated tensor with its fitted normalisation. */
export interface GeneratedTensorSpec extends TensorSignature {
  normalization: TensorNormalization;
}

/** Everything a fitted tokenizer is made of; plain data, so it can be saved and compared. */
export interface TokenizerSpec {
  granularity: Granularity;
  tokenSize: number;
  padValue: number;
  /** The generated tensors, in state-dict order. */
  tensors: GeneratedTensorSpec[];
  /** The kept-aside tensors, copied from the zoo's first checkpoint, restored on decode. */
  keptAside: StateDict;
  /** Every tensor name, generated or kept aside, in state-dict order. */
  order: string[];
}
