import { Linear, Module, type Rng, Sequential, SiLU } from '@pgen/nn';
import * as tf from '@tensorflow/tfjs-core';

export interface TimestepEmbedderOptions {
  /** Width of the sinusoidal features before the MLP (default 256, as RPG and DiT). */
  frequencySize?: number;
  /** Longest period of the sinusoids (default 10000). */
  maxPeriod?: number;
  /** Width of the output, if not `hiddenDim` (the MLP is then Linear → SiLU → Linear(hidden → outputDim)). */
  outputDim?: number;
  rng?: Rng;
}

/**
 * Diffusion timestep → vector: cos/sin features at geometric frequencies, then
 * Linear → SiLU → Linear (entries `mlp.0.*`, `mlp.2.*`, as RPG's and p-diff's denoisers name them).
 */
export class TimestepEmbedder extends Module {
  readonly mlp: Sequential;
  private readonly frequencies: Float32Array;

  constructor(
    readonly hiddenDim: number,
    options: TimestepEmbedderOptions = {},
  ) {
    super();
    const size = options.frequencySize ?? 256;
    if (size % 2 !== 0)
      throw new Error(`TimestepEmbedder: frequencySize must be even, got ${size}`);
    const half = size / 2;
    const maxPeriod = options.maxPeriod ?? 10000;
    this.frequencies = Float32Array.from({ length: half }, (_, i) =>
      Math.exp((-Math.log(maxPeriod) * i) / half),
    );
    this.mlp = this.addModule(
      'mlp',
      new Sequential(
        new Linear(size, hiddenDim, { rng: options.rng }),
        new SiLU(),
        new Linear(hiddenDim, options.outputDim ?? hiddenDim, { rng: options.rng }),
      ),
    );
  }

  /** t [batch] (timesteps, any numeric dtype) → [batch, outputDim]. */
  forward(t: tf.Tensor): tf.Tensor {
    return tf.tidy(() => {
      const args = tf.mul(
        tf.reshape(tf.cast(t, 'float32'), [-1, 1]),
        tf.tensor2d(this.frequencies, [1, this.frequencies.length]),
      );
      return this.mlp.forward(tf.concat([tf.cos(args), tf.sin(args)], 1));
    });
  }
}
