import { Linear, Module, Rng } from '@pgen/nn';
import * as tf from '@tensorflow/tfjs-core';
import { ConvUnet1d } from './conv-unet-1d';
import { checkDenoiserInputs, type DenoiserConfig, type DenoiserModule } from './denoiser-module';
import { TimestepEmbedder } from './timestep-embedder';

export interface OneDimCnnOptions {
  /** Length of the latent (or flattened parameter vector) being denoised. */
  dim: number;
  /** Width of the condition (a task embedding); 0 for none (default 0). */
  conditionDim?: number;
  /** Channels through the U, first and last 1 (default [1, 64, 128, 256, 128, 64, 1]). */
  channels?: number[];
  kernelSize?: number;
  seed?: number;
}

/**
 * p-diff's latent denoiser: the same 1-D conv U as RPG's, but the sinusoidal time embedding
 * (and, for COND P-DIFF, a projected condition) is *added* to every stage's input.
 */
export class OneDimCnn extends Module implements DenoiserModule {
  readonly config: DenoiserConfig;
  readonly dim: number;
  readonly conditionDim: number;
  readonly timeEmbedder: TimestepEmbedder;
  readonly conditionEmbedder: Linear | undefined;
  private readonly unet: ConvUnet1d;

  constructor(options: OneDimCnnOptions) {
    super();
    const {
      dim,
      conditionDim = 0,
      channels = [1, 64, 128, 256, 128, 64, 1],
      kernelSize = 7,
      seed = 0,
    } = options;
    this.config = { _class_name: 'OneDimCnn', dim, conditionDim, channels, kernelSize, seed };
    this.dim = dim;
    this.conditionDim = conditionDim;
    const rng = new Rng(seed);
    this.timeEmbedder = this.addModule('time_embedder', new TimestepEmbedder(dim, { rng }));
    this.conditionEmbedder =
      conditionDim > 0
        ? this.addModule('cond_embedder', new Linear(conditionDim, dim, { rng }))
        : undefined;
    this.unet = new ConvUnet1d(channels, kernelSize, rng);
    this.addModule('encoder_list', this.unet.encoders);
    this.addModule('decoder_list', this.unet.decoders);
  }

  forward(noisy: tf.Tensor, timesteps: tf.Tensor, condition?: tf.Tensor): tf.Tensor {
    const batch = checkDenoiserInputs(
      'OneDimCnn',
      noisy,
      timesteps,
      condition,
      this.dim,
      this.conditionDim,
    );
    return tf.tidy(() => {
      const along = (v: tf.Tensor) => tf.reshape(v, [batch, this.dim, 1]);
      let embedding = along(this.timeEmbedder.forward(timesteps));
      if (this.conditionEmbedder && condition) {
        embedding = tf.add(embedding, along(this.conditionEmbedder.forward(condition)));
      }
      const out = this.unet.run(along(noisy), (h) => tf.add(h, embedding));
      return tf.reshape(out, [batch, this.dim]);
    });
  }
}
