import * as tf from '@tensorflow/tfjs-core';
import { ConvUnetDenoiser, defaultTimeHiddenDim } from './conv-unet-denoiser';

export interface OneDimCnnOptions {
  /** Length of the latent (or flattened parameter vector) being denoised. */
  dim: number;
  /** Width of the condition (a task embedding); 0 for none (default 0). */
  conditionDim?: number;
  /** Channels through the U, first and last 1 (default [1, 64, 128, 256, 128, 64, 1]). */
  channels?: number[];
  kernelSize?: number;
  /** Hidden width of the timestep MLP (default: the length, capped at 1024). */
  timeHiddenDim?: number;
  seed?: number;
}

/**
 * p-diff's latent denoiser: the same 1-D conv U as RPG's, but the sinusoidal time embedding
 * (and, for COND P-DIFF, a projected condition) is *added* to every stage's input.
 */
export class OneDimCnn extends ConvUnetDenoiser {
  readonly dim: number;

  constructor(options: OneDimCnnOptions) {
    const {
      dim,
      conditionDim = 0,
      channels = [1, 64, 128, 256, 128, 64, 1],
      kernelSize = 7,
      seed = 0,
    } = options;
    const timeHiddenDim = options.timeHiddenDim ?? defaultTimeHiddenDim(dim);
    super({
      config: {
        _class_name: 'OneDimCnn',
        dim,
        conditionDim,
        channels,
        kernelSize,
        timeHiddenDim,
        seed,
      },
      length: dim,
      conditionDim,
      channels,
      kernelSize,
      timeHiddenDim,
      seed,
      conditionName: 'cond_embedder',
    });
    this.dim = dim;
  }

  protected mix(h: tf.Tensor, t: tf.Tensor, c: tf.Tensor | undefined): tf.Tensor {
    const embedding = c ? tf.add(t, c) : t;
    return tf.add(h, embedding);
  }
}
