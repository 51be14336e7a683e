import type * as tf from '@tensorflow/tfjs-core';
import { defaultBound, uniformInit } from '../init/init';
import { Module } from '../module';
import { getDefaultRng, type Rng } from '../random/rng';
import { assertSupportedGroups, type ConvGeometry, convolveNhwc } from './conv-forward';
import { type AxisPadding, toTfjsPadding } from './conv-padding';

export interface Conv2dOptions {
  stride?: number | [number, number];
  /**
   * Zero padding: a value for both axes or a [height, width] pair of them, each a symmetric
   * count, 'same', 'valid' or [before, after] (default 0).
   */
  padding?: AxisPadding | [AxisPadding, AxisPadding];
  dilation?: number | [number, number];
  /** 1 (default) or `inChannels` (depthwise); other group counts are not supported by tfjs. */
  groups?: number;
  bias?: boolean;
  rng?: Rng;
}

function pair(v: number | [number, number]): [number, number] {
  return typeof v === 'number' ? [v, v] : v;
}

/** PyTorch reads a pair as (height, width), each symmetric; a single value applies to both. */
function paddingPair(p: Conv2dOptions['padding']): [AxisPadding, AxisPadding] {
  if (Array.isArray(p)) return p as [AxisPadding, AxisPadding];
  return [p ?? 0, p ?? 0];
}

/**
 * `torch.nn.Conv2d`: weight [out, in/groups, kh, kw] (PyTorch's layout, so state dicts load
 * unchanged); input and output are NHWC.
 */
export class Conv2d extends Module {
  readonly weight: tf.Variable;
  readonly bias: tf.Variable | undefined;
  private readonly geometry: ConvGeometry;

  constructor(
    readonly inChannels: number,
    readonly outChannels: number,
    kernelSize: number | [number, number],
    options: Conv2dOptions = {},
  ) {
    super();
    const [kh, kw] = pair(kernelSize);
    const groups = options.groups ?? 1;
    assertSupportedGroups('Conv2d', groups, inChannels, outChannels);
    const [ph, pw] = paddingPair(options.padding);
    this.geometry = {
      inChannels,
      stride: pair(options.stride ?? 1),
      dilation: pair(options.dilation ?? 1),
      groups,
      pad: toTfjsPadding(ph, pw),
    };
    const rng = options.rng ?? getDefaultRng();
    const bound = defaultBound((inChannels / groups) * kh * kw);
    this.weight = this.addParameter(
      'weight',
      uniformInit([outChannels, inChannels / groups, kh, kw], bound, rng),
    );
    this.bias =
      options.bias === false
        ? undefined
        : this.addParameter('bias', uniformInit([outChannels], bound, rng));
  }

  forward(x: tf.Tensor): tf.Tensor {
    return convolveNhwc(x, this.weight, this.bias, this.geometry);
  }
}
