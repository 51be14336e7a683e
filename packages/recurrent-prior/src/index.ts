// Importing @pgen/backends registers tfjs's gradients and the kernels training needs.
import '@pgen/backends';

export { Lstm, type LstmOptions, type LstmState } from './lstm';
export { LstmPrior, type LstmPriorConfig, type LstmPriorOptions } from './lstm-prior';
export { Mamba, type MambaOptions, type MambaSegmentState } from './mamba/mamba-layer';
export {
  type SelectiveScanInputs,
  type SelectiveScanOptions,
  selectiveScan,
  selectiveScanSequential,
  selectiveScanWithState,
} from './mamba/selective-scan';
export {
  MambaBlock,
  MambaPrior,
  type MambaPriorConfig,
  type MambaPriorOptions,
} from './mamba-prior';
export { type PriorConfig, priorFromConfig } from './prior-config';
export {
  PriorInput,
  type PriorInputConfig,
  type PriorInputOptions,
  type PriorInputParts,
} from './prior-input';
export type { PriorSegment, PriorSegmentState, RecurrentPrior } from './recurrent-prior';
export {
  CausalTransformerBlock,
  TransformerPrior,
  type TransformerPriorConfig,
  type TransformerPriorOptions,
} from './transformer-prior';
