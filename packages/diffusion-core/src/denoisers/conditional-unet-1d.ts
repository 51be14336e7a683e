import * as tf from '@tensorflow/tfjs-core';
import { ConvUnetDenoiser, defaultTimeHiddenDim } from './conv-unet-denoiser';

export interface ConditionalUnet1dOptions {
  /** Values per token (the length the convolutions slide over). */
  tokenSize: number;
  /** Width of the per-token condition (RPG's prototype); 0 for none (default 0). */
  conditionDim?: number;
  /** Channels through the U, first and last 1 (default RPG's [1, 32, 64, 128, 64, 32, 1]). */
  channels?: number[];
  /** Kernel of every convolution, stride 1, 'same' padding (default 7). */
  kernelSize?: number;
  /** Hidden width of the timestep MLP (default: the length, capped at 1024). */
  timeHiddenDim?: number;
  /** Seed of the initial weights (default 0). */
  seed?: number;
}

/**
 * RPG's token denoiser: a token is a one-channel signal of `tokenSize` values; every stage of
 * a 1-D conv U (BatchNorm + ELU, skip connections) sees `(x + Linear(condition)) · TimeMlp(t)`,
 * both embeddings laid along the token, so the prototype shifts and the timestep scales each
 * position. Entries are named as RPG's `ConditionalUNet` (time_embedder, condi_embedder,
 * encoder_list, decoder_list).
 */
export class ConditionalUnet1d extends ConvUnetDenoiser {
  readonly tokenSize: number;

  constructor(options: ConditionalUnet1dOptions) {
    const {
      tokenSize,
      conditionDim = 0,
      channels = [1, 32, 64, 128, 64, 32, 1],
      kernelSize = 7,
      seed = 0,
    } = options;
    const timeHiddenDim = options.timeHiddenDim ?? defaultTimeHiddenDim(tokenSize);
    super({
      config: {
        _class_name: 'ConditionalUnet1d',
        tokenSize,
        conditionDim,
        channels,
        kernelSize,
        timeHiddenDim,
        seed,
      },
      length: tokenSize,
      conditionDim,
      channels,
      kernelSize,
      timeHiddenDim,
      seed,
      conditionName: 'condi_embedder',
    });
    this.tokenSize = tokenSize;
  }

  protected mix(h: tf.Tensor, t: tf.Tensor, c: tf.Tensor | undefined): tf.Tensor {
    return tf.mul(c ? tf.add(h, c) : h, t);
  }
}
