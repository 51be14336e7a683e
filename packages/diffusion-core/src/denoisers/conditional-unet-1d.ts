import { Linear, Module, Rng } from '@pgen/nn';
import * as tf from '@tensorflow/tfjs-core';
import { ConvUnet1d } from './conv-unet-1d';
import { checkDenoiserInputs, type DenoiserConfig, type DenoiserModule } from './denoiser-module';
import { TimestepEmbedder } from './timestep-embedder';

export interface ConditionalUnet1dOptions {
  /** Values per token (the length the convolutions slide over). */
  tokenSize: number;
  /** Width of the per-token condition (RPG's prototype); 0 for none (default 0). */
  conditionDim?: number;
  /** Channels through the U, first and last 1 (default RPG's [1, 32, 64, 128, 64, 32, 1]). */
  channels?: number[];
  /** Kernel of every convolution, stride 1, 'same' padding (default 7). */
  kernelSize?: number;
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
export class ConditionalUnet1d extends Module implements DenoiserModule {
  readonly config: DenoiserConfig;
  readonly tokenSize: number;
  readonly conditionDim: number;
  readonly timeEmbedder: TimestepEmbedder;
  readonly conditionEmbedder: Linear | undefined;
  private readonly unet: ConvUnet1d;

  constructor(options: ConditionalUnet1dOptions) {
    super();
    const {
      tokenSize,
      conditionDim = 0,
      channels = [1, 32, 64, 128, 64, 32, 1],
      kernelSize = 7,
      seed = 0,
    } = options;
    this.config = {
      _class_name: 'ConditionalUnet1d',
      tokenSize,
      conditionDim,
      channels,
      kernelSize,
      seed,
    };
    this.tokenSize = tokenSize;
    this.conditionDim = conditionDim;
    const rng = new Rng(seed);
    this.timeEmbedder = this.addModule('time_embedder', new TimestepEmbedder(tokenSize, { rng }));
    this.conditionEmbedder =
      conditionDim > 0
        ? this.addModule('condi_embedder', new Linear(conditionDim, tokenSize, { rng }))
        : undefined;
    this.unet = new ConvUnet1d(channels, kernelSize, rng);
    this.addModule('encoder_list', this.unet.encoders);
    this.addModule('decoder_list', this.unet.decoders);
  }

  forward(noisy: tf.Tensor, timesteps: tf.Tensor, condition?: tf.Tensor): tf.Tensor {
    const batch = checkDenoiserInputs(
      'ConditionalUnet1d',
      noisy,
      timesteps,
      condition,
      this.tokenSize,
      this.conditionDim,
    );
    return tf.tidy(() => {
      const along = (v: tf.Tensor) => tf.reshape(v, [batch, this.tokenSize, 1]);
      const t = along(this.timeEmbedder.forward(timesteps));
      const c =
        this.conditionEmbedder && condition
          ? along(this.conditionEmbedder.forward(condition))
          : undefined;
      const out = this.unet.run(along(noisy), (h) => tf.mul(c ? tf.add(h, c) : h, t));
      return tf.reshape(out, [batch, this.tokenSize]);
    });
  }
}
