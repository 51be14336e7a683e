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
  /**
   * `forward` on one segment of a longer sequence, continuing from `state` (the start of the
   * sequence when omitted) and returning the state after it; segment by segment, the outputs
   * equal one `forward` over the whole sequence, with memory bounded by the segment length.
   * Absent on priors that cannot carry a state (the causal Transformer would need its whole
   * key/value history).
   */
  forwardSegment?(x: tf.Tensor, state?: PriorSegmentState): PriorSegment;
}

/** What a prior carries between segments: opaque tensors that belong to the holder. */
export type PriorSegmentState = tf.Tensor[];

/** One segment's prototypes and the state after it. */
export type PriorSegment = {
  output: tf.Tensor;
  state: PriorSegmentState;
};

/** Refuses inputs that are not [batch, positions, dIn], naming the prior. */
export function assertPriorInput(name: string, x: tf.Tensor, dIn: number): void {
  if (x.rank !== 3 || x.shape[2] !== dIn) {
    throw new Error(`${name}: input has shape [${x.shape}], expected [batch, positions, ${dIn}]`);
  }
}
