import { BatchNorm1d, Conv1d, LeakyReLU, Module, type Rng } from '@pgen/nn';
import type * as tf from '@tensorflow/tfjs-core';

/**
 * One encoder stage: Conv1d(stride 2, padding k//2) → BatchNorm1d → LeakyReLU on NWC input.
 * With an odd kernel and an even input length the output is exactly half as long, which is why
 * the autoencoder pads its input to a multiple of 2^stages. Children: `conv`, `norm`, `act`.
 */
export class EncoderStage extends Module {
  readonly conv: Conv1d;
  readonly norm: BatchNorm1d;
  readonly act: LeakyReLU;

  constructor(
    inChannels: number,
    outChannels: number,
    kernelSize: number,
    negativeSlope: number,
    rng: Rng,
  ) {
    super();
    this.conv = this.addModule(
      'conv',
      new Conv1d(inChannels, outChannels, kernelSize, {
        stride: 2,
        padding: Math.floor(kernelSize / 2),
        rng,
      }),
    );
    this.norm = this.addModule('norm', new BatchNorm1d(outChannels));
    this.act = this.addModule('act', new LeakyReLU(negativeSlope));
  }

  /** [b, L, in] → [b, L/2, out]. */
  forward(x: tf.Tensor): tf.Tensor {
    const h = this.conv.forward(x);
    const n = this.norm.forward(h);
    h.dispose();
    const y = this.act.forward(n);
    n.dispose();
    return y;
  }
}
