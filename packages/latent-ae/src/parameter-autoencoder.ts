import { Conv1d, Linear, Module, ModuleList, Rng } from '@pgen/nn';
import * as tf from '@tensorflow/tfjs-core';
import {
  type ParameterAutoencoderConfig,
  type ParameterAutoencoderOptions,
  resolveAutoencoderConfig,
} from './autoencoder-config';
import { DecoderStage } from './decoder-stage';
import { EncoderStage } from './encoder-stage';
import { LatentAeError } from './errors';
import { gaussianKl } from './gaussian-kl';

/** Options of `encode` and `encodeDistribution`. */
export interface EncodeOptions {
  /**
   * Add the training noise: Gaussian noise of σ `inputNoise` on the input, of σ `latentNoise` on
   * the latent, and (when variational) sample the latent instead of taking its mean. Defaults
   * to the module's `training` flag. Batch norm follows the module's mode (`train()`/`eval()`)
   * whatever this says, so `{ training: false }` on a module in training mode still uses and
   * updates batch statistics.
   */
  training?: boolean;
}

/** The encoder's output before sampling: the latent mean and, when variational, its log-variance. */
export interface LatentDistribution {
  mean: tf.Tensor2D;
  /** Present only for a variational autoencoder. */
  logVar?: tf.Tensor2D;
}

/** The loss and its parts, each a scalar the caller disposes. */
export interface AutoencoderLossTerms {
  /** reconstruction + klWeight·kl (just reconstruction when not variational). */
  loss: tf.Scalar;
  /** Mean squared error between the reconstruction and the clean input. */
  reconstruction: tf.Scalar;
  /** KL divergence of the latent distribution from N(0, I); present only when variational. */
  kl?: tf.Scalar;
}

/**
 * The p-diff parameter autoencoder. It reads flattened, per-tensor-normalised parameter vectors
 * [batch, n] as one-channel signals [batch, n, 1], zero-padded to a length divisible by
 * 2^stages, and encodes them with strided Conv1d → BatchNorm1d → LeakyReLU stages, a flatten
 * and a Linear to the latent. The decoder mirrors it: Linear back to the smallest signal, then
 * per stage ×2 nearest-neighbour upsampling → Conv1d → BatchNorm1d → ELU (p-diff uses
 * ConvTranspose1d; see `DecoderStage`), a final Conv1d to one channel, and a crop back to n.
 *
 * Training noise: p-diff's ablations show that small noise on the input (σ 0.001) and larger
 * noise on the latent (σ 0.1) are what make decoded, diffusion-generated latents give working
 * weights — the decoder learns to map a neighbourhood of each latent to good parameters. Noise
 * is drawn from a generator seeded by `seed`, so a run is reproducible call by call, and is
 * added only in training mode; eval mode is deterministic.
 *
 * State-dict names: `encoder.<i>.{conv,norm}.*`, `to_latent.*`, `to_log_var.*` (variational
 * only), `from_latent.*`, `decoder.<i>.{conv,norm}.*`, `output.*`.
 */
export class ParameterAutoencoder extends Module {
  /** Every option with its default filled in; what `saveAutoencoder` writes. */
  readonly config: ParameterAutoencoderConfig;
  /** The input length after zero padding: the smallest multiple of 2^stages ≥ inputDim. */
  readonly paddedDim: number;
  /** The signal length at the bottleneck, paddedDim / 2^stages. */
  readonly bottleneckLength: number;
  readonly encoder: ModuleList<EncoderStage>;
  readonly toLatent: Linear;
  readonly toLogVar: Linear | undefined;
  readonly fromLatent: Linear;
  readonly decoder: ModuleList<DecoderStage>;
  readonly output: Conv1d;
  private readonly noiseRng: Rng;

  constructor(options: ParameterAutoencoderOptions) {
    super();
    const config = resolveAutoencoderConfig(options);
    this.config = config;
    const { channels, kernelSize, latentDim, inputDim } = config;
    const stages = channels.length;
    const factor = 2 ** stages;
    this.paddedDim = Math.ceil(inputDim / factor) * factor;
    this.bottleneckLength = this.paddedDim / factor;
    const initRng = new Rng(config.seed);
    // A separate stream for noise, so that the number of noise draws never shifts the weights
    // a given seed initialises.
    this.noiseRng = initRng.fork();

    const last = channels[stages - 1]!;
    this.encoder = this.addModule(
      'encoder',
      new ModuleList(
        channels.map(
          (out, i) =>
            new EncoderStage(
              i === 0 ? 1 : channels[i - 1]!,
              out,
              kernelSize,
              config.negativeSlope,
              initRng,
            ),
        ),
      ),
    );
    const flat = this.bottleneckLength * last;
    this.toLatent = this.addModule('to_latent', new Linear(flat, latentDim, { rng: initRng }));
    this.toLogVar = config.variational
      ? this.addModule('to_log_var', new Linear(flat, latentDim, { rng: initRng }))
      : undefined;
    this.fromLatent = this.addModule('from_latent', new Linear(latentDim, flat, { rng: initRng }));
    // Mirror: the decoder walks the channels back down, ending at the first stage's width.
    const reversed = [...channels].reverse();
    this.decoder = this.addModule(
      'decoder',
      new ModuleList(
        reversed.map(
          (inC, i) =>
            new DecoderStage(inC, reversed[Math.min(i + 1, stages - 1)]!, kernelSize, initRng),
        ),
      ),
    );
    this.output = this.addModule(
      'output',
      new Conv1d(channels[0]!, 1, kernelSize, {
        padding: Math.floor(kernelSize / 2),
        rng: initRng,
      }),
    );
  }

  /** The latent mean (and log-variance when variational) of `x` [batch, inputDim]. */
  encodeDistribution(x: tf.Tensor, options: EncodeOptions = {}): LatentDistribution {
    this.checkInput(x);
    const training = options.training ?? this.training;
    return tf.tidy(() => {
      const [batch, n] = x.shape as [number, number];
      const noisy = training ? tf.add(x, this.gaussian(x.shape, this.config.inputNoise)) : x;
      let h: tf.Tensor = tf.reshape(
        tf.pad(noisy, [
          [0, 0],
          [0, this.paddedDim - n],
        ]),
        [batch, this.paddedDim, 1],
      );
      for (const stage of this.encoder.items) h = stage.forward(h);
      const flat = tf.reshape(h, [batch, -1]);
      const mean = this.toLatent.forward(flat) as tf.Tensor2D;
      const out: LatentDistribution = { mean };
      if (this.toLogVar) out.logVar = this.toLogVar.forward(flat) as tf.Tensor2D;
      return out as unknown as tf.TensorContainer;
    }) as unknown as LatentDistribution;
  }

  /**
   * The latent [batch, latentDim] of `x` [batch, inputDim]. In training mode it is the mean
   * (variational: a reparameterised sample μ + σ·ε) plus latent noise; in eval mode the mean.
   */
  encode(x: tf.Tensor, options: EncodeOptions = {}): tf.Tensor2D {
    const training = options.training ?? this.training;
    const dist = this.encodeDistribution(x, { training });
    const z = tf.tidy(() => this.sampleLatent(dist, training));
    tf.dispose([dist.mean, dist.logVar ?? []]);
    return z;
  }

  /** Reconstructed parameter vectors [batch, inputDim] from latents [batch, latentDim]. */
  decode(z: tf.Tensor): tf.Tensor2D {
    if (z.rank !== 2 || z.shape[1] !== this.config.latentDim) {
      throw new LatentAeError(
        `ParameterAutoencoder.decode: expected latents [batch, ${this.config.latentDim}], got [${z.shape}]`,
      );
    }
    return tf.tidy(() => {
      const batch = z.shape[0]!;
      const last = this.config.channels[this.config.channels.length - 1]!;
      let h: tf.Tensor = tf.reshape(this.fromLatent.forward(z), [
        batch,
        this.bottleneckLength,
        last,
      ]);
      for (const stage of this.decoder.items) h = stage.forward(h);
      const signal = tf.reshape(this.output.forward(h), [batch, this.paddedDim]);
      return tf.slice(signal, [0, 0], [batch, this.config.inputDim]) as tf.Tensor2D;
    });
  }

  /** The reconstruction of `x`, with training noise exactly when the module is in training mode. */
  forward(x: tf.Tensor): tf.Tensor2D {
    return tf.tidy(() => this.decode(this.encode(x)));
  }

  /**
   * The training objective on a batch of clean vectors: MSE between the reconstruction of the
   * noised input and the clean input, plus klWeight·KL when variational. Noise follows the
   * module's mode, so call `train()` first to get p-diff's augmentation.
   */
  lossTerms(x: tf.Tensor): AutoencoderLossTerms {
    const dist = this.encodeDistribution(x);
    const terms = tf.tidy(() => {
      const recon = this.decode(this.sampleLatent(dist, this.training));
      const reconstruction = tf.mean(tf.squaredDifference(recon, x)) as tf.Scalar;
      if (!dist.logVar) {
        return { loss: tf.clone(reconstruction), reconstruction } as unknown as tf.TensorContainer;
      }
      const kl = gaussianKl(dist.mean, dist.logVar);
      const loss = tf.add(reconstruction, tf.mul(kl, this.config.klWeight)) as tf.Scalar;
      return { loss, reconstruction, kl } as unknown as tf.TensorContainer;
    }) as unknown as AutoencoderLossTerms;
    tf.dispose([dist.mean, dist.logVar ?? []]);
    return terms;
  }

  /** `lossTerms(x).loss`, for `AdamW.minimize`. */
  loss(x: tf.Tensor): tf.Scalar {
    const terms = this.lossTerms(x);
    tf.dispose([terms.reconstruction, terms.kl ?? []]);
    return terms.loss;
  }

  /** A new tensor (never one of `dist`'s), so callers can dispose `dist` afterwards. */
  private sampleLatent(dist: LatentDistribution, training: boolean): tf.Tensor2D {
    let z: tf.Tensor = dist.mean;
    if (training && dist.logVar) {
      z = tf.add(z, tf.mul(tf.exp(tf.mul(dist.logVar, 0.5)), this.gaussian(z.shape, 1)));
    }
    if (training) z = tf.add(z, this.gaussian(z.shape, this.config.latentNoise));
    return (z === dist.mean ? tf.clone(z) : z) as tf.Tensor2D;
  }

  /** Seeded Gaussian noise, drawn in JavaScript so every backend sees the same values. */
  private gaussian(shape: number[], std: number): tf.Tensor {
    const size = shape.reduce((a, b) => a * b, 1);
    return tf.tensor(this.noiseRng.normalArray(size, 0, std), shape);
  }

  private checkInput(x: tf.Tensor): void {
    if (x.rank !== 2 || x.shape[1] !== this.config.inputDim) {
      throw new LatentAeError(
        `ParameterAutoencoder: expected parameter vectors [batch, ${this.config.inputDim}], got [${x.shape}]`,
      );
    }
  }
}
