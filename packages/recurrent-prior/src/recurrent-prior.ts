import type { Module } from '@pgen/nn';
import type * as tf from '@tensorflow/tfjs-core';
import type { PriorConfig } from './prior-config';

/**
 * What every RPG prior is: a causal sequence model from per-position inputs
 * [batch, positions, dIn] to per-position prototypes [batch, positions, dModel] that condition
 * the token diffusion. Output at position p depends only on inputs at positions ≤ p.
 */
export interface RecurrentPrior extends Module {
  readonly dIn: number;
  readonly dModel: number;
  /** Class name and resolved options, JSON-serialisable; `priorFromConfig` rebuilds the prior. */
  readonly config: PriorConfig;
  forward(x: tf.Tensor): tf.Tensor;
}

/** Refuses inputs that are not [batch, positions, dIn], naming the prior. */
export function assertPriorInput(name: string, x: tf.Tensor, dIn: number): void {
  if (x.rank !== 3 || x.shape[2] !== dIn) {
    throw new Error(`${name}: input has shape [${x.shape}], expected [batch, positions, ${dIn}]`);
  }
}
