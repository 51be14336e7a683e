import { Module, type Rng } from '@pgen/nn';
import * as tf from '@tensorflow/tfjs-core';
import { Lstm } from './lstm';
import {
  assertPriorInput,
  type PriorSegment,
  type PriorSegmentState,
  type RecurrentPrior,
} from './recurrent-prior';

/** Options of {@link LstmPrior}. */
export interface LstmPriorOptions {
  /** Features per input position. */
  dIn: number;
  /** Hidden size, which is the prototype size. */
  dModel: number;
  /** Stacked LSTM layers (default 2). */
  numLayers?: number;
  /** Dropout between layers in training (default 0). */
  dropout?: number;
}

/** {@link LstmPrior}'s options as saved: every default filled in. */
export type LstmPriorConfig = { type: 'LstmPrior'; options: Required<LstmPriorOptions> };

/**
 * RPG's LSTM prior: a stacked `torch.nn.LSTM` from dIn to dModel whose last layer's hidden
 * states are the prototypes. Parameters are named `lstm.weight_ih_l0` … as in a PyTorch module
 * holding the LSTM as `self.lstm`. Cost is sequential in positions; see {@link Lstm}.
 */
export class LstmPrior extends Module implements RecurrentPrior {
  readonly dIn: number;
  readonly dModel: number;
  readonly config: LstmPriorConfig;
  readonly lstm: Lstm;

  constructor(options: LstmPriorOptions, init: { rng?: Rng } = {}) {
    super();
    const resolved = { numLayers: 2, dropout: 0, ...options };
    this.config = { type: 'LstmPrior', options: resolved };
    this.dIn = resolved.dIn;
    this.dModel = resolved.dModel;
    this.lstm = this.addModule(
      'lstm',
      new Lstm(resolved.dIn, resolved.dModel, {
        numLayers: resolved.numLayers,
        dropout: resolved.dropout,
        rng: init.rng,
      }),
    );
  }

  /** [batch, positions, dIn] → [batch, positions, dModel]. */
  forward(x: tf.Tensor): tf.Tensor {
    assertPriorInput('LstmPrior', x, this.dIn);
    return this.lstm.forward(x);
  }

  /** State: the LSTM's [h, c], each [numLayers, batch, dModel]. */
  forwardSegment(x: tf.Tensor, state?: PriorSegmentState): PriorSegment {
    assertPriorInput('LstmPrior', x, this.dIn);
    if (state && state.length !== 2) {
      throw new Error(`LstmPrior: segment state has ${state.length} tensors, expected 2 (h, c)`);
    }
    return tf.tidy(() => {
      const initial = state ? { h: state[0]!, c: state[1]! } : undefined;
      const { output, h, c } = this.lstm.forwardWithState(x, initial);
      return { output, state: [h, c] };
    });
  }
}
