import { BatchNorm1d, Conv1d, ELU, Module, type Rng } from '@pgen/nn';
import type * as tf from '@tensorflow/tfjs-core';
import { upsampleNearest2x } from './upsample';

/**
 * One decoder stage: nearest-neighbour ×2 upsampling → Conv1d(stride 1, padding k//2) →
 * BatchNorm1d → ELU on NWC input. p-diff uses ConvTranspose1d(stride 2) here; pgen's nn has no
 * transposed convolution, so the stage upsamples by repetition and lets the following
 * convolution learn the interpolation (the "resize-convolution" of Odena et al., which also
 * avoids checkerboard artefacts). The weights therefore do not map one-to-one onto p-diff's.
 * Children: `conv`, `norm`, `act`.
 */
export class DecoderStage extends Module {
  readonly conv: Conv1d;
  readonly norm: BatchNorm1d;
  readonly act: ELU;

  constructor(inChannels: number, outChannels: number, kernelSize: number, rng: Rng) {
    super();
    this.conv = this.addModule(
      'conv',
      new Conv1d(inChannels, outChannels, kernelSize, { padding: Math.floor(kernelSize / 2), rng }),
    );
    this.norm = this.addModule('norm', new BatchNorm1d(outChannels));
    this.act = this.addModule('act', new ELU());
  }

  /** [b, L, in] → [b, 2L, out]. */
  forward(x: tf.Tensor): tf.Tensor {
    const up = upsampleNearest2x(x);
    const h = this.conv.forward(up);
    up.dispose();
    const n = this.norm.forward(h);
    h.dispose();
    const y = this.act.forward(n);
    n.dispose();
    return y;
  }
}
