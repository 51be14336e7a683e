import { Linear, Module, Rng } from '@pgen/nn';
import * as tf from '@tensorflow/tfjs-core';
import { ConvUnet1d } from './conv-unet-1d';
import { checkDenoiserInputs, type DenoiserConfig, type DenoiserModule } from './denoiser-module';
import { TimestepEmbedder } from './timestep-embedder';

/**
 * The default hidden width of the timestep MLP: the vector length, as the references use, up to
 * 1024. The references' length × length matrix has 67M parameters at RPG's 8192-value tokens
 * (256 MB, past WebGPU's usual 128 MB binding limit); capped, the MLP still ends in a Linear
 * to the full length.
 */
export function defaultTimeHiddenDim(length: number): number {
  return Math.min(length, 1024);
}

/** What RPG's and p-diff's conv denoisers share; they differ in names and in `mix`. */
export interface ConvUnetDenoiserSpec {
  config: DenoiserConfig;
  /** Values per vector: the length the convolutions slide over. */
  length: number;
  conditionDim: number;
  channels: number[];
  kernelSize: number;
  /** Hidden width of the timestep MLP. */
  timeHiddenDim: number;
  seed: number;
  /** Name of the condition projection in the state dict. */
  conditionName: string;
}

/**
 * A 1-D conv U over a vector treated as a one-channel signal, with a timestep embedding and an
 * optional condition projection, both laid along the vector. Subclasses decide how the
 * embeddings enter each stage's input (`mix`).
 */
export abstract class ConvUnetDenoiser extends Module implements DenoiserModule {
  readonly config: DenoiserConfig;
  readonly length: number;
  readonly conditionDim: number;
  readonly timeEmbedder: TimestepEmbedder;
  readonly conditionEmbedder: Linear | undefined;
  private readonly unet: ConvUnet1d;

  protected constructor(spec: ConvUnetDenoiserSpec) {
    super();
    this.config = spec.config;
    this.length = spec.length;
    this.conditionDim = spec.conditionDim;
    const rng = new Rng(spec.seed);
    this.timeEmbedder = this.addModule(
      'time_embedder',
      new TimestepEmbedder(spec.timeHiddenDim, { rng, outputDim: spec.length }),
    );
    this.conditionEmbedder =
      spec.conditionDim > 0
        ? this.addModule(spec.conditionName, new Linear(spec.conditionDim, spec.length, { rng }))
        : undefined;
    // The U's stages are registered here directly, so names are flat as in the references
    // (encoder_list.0.0.weight, not unet.encoder_list…).
    this.unet = new ConvUnet1d(spec.channels, spec.kernelSize, rng);
    this.addModule('encoder_list', this.unet.encoders);
    this.addModule('decoder_list', this.unet.decoders);
  }

  /** A stage input from the running signal h and the embeddings t and c, all [batch, length, 1]. */
  protected abstract mix(h: tf.Tensor, t: tf.Tensor, c: tf.Tensor | undefined): tf.Tensor;

  forward(noisy: tf.Tensor, timesteps: tf.Tensor, condition?: tf.Tensor): tf.Tensor {
    const name = this.config._class_name;
    const batch = checkDenoiserInputs(
      name,
      noisy,
      timesteps,
      condition,
      this.length,
      this.conditionDim,
    );
    return tf.tidy(() => {
      const along = (v: tf.Tensor) => tf.reshape(v, [batch, this.length, 1]);
      const t = along(this.timeEmbedder.forward(timesteps));
      const c =
        this.conditionEmbedder && condition
          ? along(this.conditionEmbedder.forward(condition))
          : undefined;
      const out = this.unet.run(along(noisy), (h) => this.mix(h, t, c));
      return tf.reshape(out, [batch, this.length]);
    });
  }
}
