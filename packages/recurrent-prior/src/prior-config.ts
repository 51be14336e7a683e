import type { Rng } from '@pgen/nn';
import { LstmPrior, type LstmPriorConfig } from './lstm-prior';
import { MambaPrior, type MambaPriorConfig } from './mamba-prior';
import type { RecurrentPrior } from './recurrent-prior';
import { TransformerPrior, type TransformerPriorConfig } from './transformer-prior';

/** A prior's class name and resolved options, as saved in JSON beside its weights. */
export type PriorConfig = LstmPriorConfig | MambaPriorConfig | TransformerPriorConfig;

/**
 * Builds a freshly initialised prior from a saved config (load its weights with
 * `loadStateDict`). Unknown types are refused with the list of known ones.
 */
export function priorFromConfig(config: PriorConfig, init: { rng?: Rng } = {}): RecurrentPrior {
  switch (config.type) {
    case 'LstmPrior':
      return new LstmPrior(config.options, init);
    case 'MambaPrior':
      return new MambaPrior(config.options, init);
    case 'TransformerPrior':
      return new TransformerPrior(config.options, init);
    default:
      throw new Error(
        `priorFromConfig: unknown prior type "${String((config as { type: unknown }).type)}" ` +
          `(known: LstmPrior, MambaPrior, TransformerPrior)`,
      );
  }
}
