import * as tf from '@tensorflow/tfjs-core';
import { defaultBound, uniformInit } from '../init/init';
import { Module } from '../module';
import { getDefaultRng, type Rng } from '../random/rng';
import { assertSupportedGroups, type ConvGeometry, convolveNhwc } from './conv-forward';
import { type AxisPadding, toTfjsPadding } from './conv-padding';

export interface Conv1dOptions {
  stride?: number;
  /** Symmetric zero padding, 'same', 'valid', or [left, right] (e.g. [k−1, 0] for causal). */
  padding?: AxisPadding;
  dilation?: number;
  /** 1 (default) or `inChannels` (depthwise). */
  groups?: number;
  bias?: boolean;
  rng?: Rng;
}

/**
 * `torch.nn.Conv1d`: weight [out, in/groups, k]; input and output are NWC ([batch, length,
 * channels]). Runs as a conv2d of height 1, which is how tfjs implements conv1d too.
 */
export class Conv1d extends Module {
  readonly weight: tf.Variable;
  readonly bias: tf.Variable | undefined;
  private readonly geometry: ConvGeometry;

  constructor(
    readonly inChannels: number,
    readonly outChannels: number,
    readonly kernelSize: number,
    options: Conv1dOptions = {},
  ) {
    super();
    const groups = options.groups ?? 1;
    assertSupportedGroups('Conv1d', groups, inChannels, outChannels);
    this.geometry = {
      inChannels,
      stride: [1, options.stride ?? 1],
      dilation: [1, options.dilation ?? 1],
      groups,
      pad: toTfjsPadding(0, options.padding ?? 0),
    };
    const rng = options.rng ?? getDefaultRng();
    const bound = defaultBound((inChannels / groups) * kernelSize);
    this.weight = this.addParameter(
      'weight',
      uniformInit([outChannels, inChannels / groups, kernelSize], bound, rng),
    );
    this.bias =
      options.bias === false
        ? undefined
        : this.addParameter('bias', uniformInit([outChannels], bound, rng));
  }

  forward(x: tf.Tensor): tf.Tensor {
    return tf.tidy(() => {
      const [n, length, c] = x.shape as [number, number, number];
      const [out, inPerGroup, k] = this.weight.shape as [number, number, number];
      const y = convolveNhwc(
        tf.reshape(x, [n, 1, length, c]),
        tf.reshape(this.weight, [out, inPerGroup, 1, k]),
        this.bias,
        this.geometry,
      );
      return tf.reshape(y, [n, y.shape[2], out]);
    });
  }
}
