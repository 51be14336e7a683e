import { Linear, Module, type Rng, silu } from '@pgen/nn';
import * as tf from '@tensorflow/tfjs-core';

/** Options of {@link PositionMlp}. */
export interface PositionMlpOptions {
  dIn: number;
  dModel: number;
}

/**
 * The `none` prior: Linear → SiLU → Linear applied to each position on its own. It has no
 * recurrence, so it is the ablation of RPG's sequence prior (each prototype sees only its own
 * position and permutation state). Names: fc1, fc2.
 */
export class PositionMlp extends Module {
  readonly fc1: Linear;
  readonly fc2: Linear;

  constructor(
    readonly options: PositionMlpOptions,
    init: { rng?: Rng } = {},
  ) {
    super();
    this.fc1 = this.addModule('fc1', new Linear(options.dIn, options.dModel, init));
    this.fc2 = this.addModule('fc2', new Linear(options.dModel, options.dModel, init));
  }

  /** [batch, positions, dIn] → [batch, positions, dModel]. */
  forward(x: tf.Tensor): tf.Tensor {
    return tf.tidy(() => this.fc2.forward(silu(this.fc1.forward(x))));
  }

  /** Stateless: a segment needs nothing from the positions before it. */
  forwardSegment(x: tf.Tensor): { output: tf.Tensor; state: tf.Tensor[] } {
    return { output: this.forward(x), state: [] };
  }
}
