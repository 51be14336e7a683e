import { LayerNorm, Linear, Module, ModuleList, Rng, silu } from '@pgen/nn';
import * as tf from '@tensorflow/tfjs-core';
import { checkDenoiserInputs, type DenoiserConfig, type DenoiserModule } from './denoiser-module';
import { TimestepEmbedder } from './timestep-embedder';

export interface MlpDenoiserOptions {
  dim: number;
  /** Width of the condition; 0 for none (default 0). */
  conditionDim?: number;
  /** Hidden width (default 256). */
  hidden?: number;
  /** Residual blocks (default 3). */
  depth?: number;
  seed?: number;
}

/** A pre-norm residual block: h + W₂·SiLU(W₁·LN(h)). */
class ResidualBlock extends Module {
  readonly norm: LayerNorm;
  readonly fc1: Linear;
  readonly fc2: Linear;
  constructor(hidden: number, rng: Rng) {
    super();
    this.norm = this.addModule('norm', new LayerNorm(hidden));
    this.fc1 = this.addModule('fc1', new Linear(hidden, 2 * hidden, { rng }));
    this.fc2 = this.addModule('fc2', new Linear(2 * hidden, hidden, { rng }));
  }
  forward(h: tf.Tensor): tf.Tensor {
    return tf.tidy(() => tf.add(h, this.fc2.forward(silu(this.fc1.forward(this.norm.forward(h))))));
  }
}

/**
 * A residual MLP over the whole vector, with the time and condition embeddings added to its
 * hidden state: the fast baseline for CPU, where convolutions over long tokens are slow.
 */
export class MlpDenoiser extends Module implements DenoiserModule {
  readonly config: DenoiserConfig;
  readonly dim: number;
  readonly conditionDim: number;
  readonly input: Linear;
  readonly timeEmbedder: TimestepEmbedder;
  readonly conditionEmbedder: Linear | undefined;
  readonly blocks: ModuleList<ResidualBlock>;
  readonly outNorm: LayerNorm;
  readonly output: Linear;

  constructor(options: MlpDenoiserOptions) {
    super();
    const { dim, conditionDim = 0, hidden = 256, depth = 3, seed = 0 } = options;
    this.config = { _class_name: 'MlpDenoiser', dim, conditionDim, hidden, depth, seed };
    this.dim = dim;
    this.conditionDim = conditionDim;
    const rng = new Rng(seed);
    this.input = this.addModule('input', new Linear(dim, hidden, { rng }));
    this.timeEmbedder = this.addModule('time_embedder', new TimestepEmbedder(hidden, { rng }));
    this.conditionEmbedder =
      conditionDim > 0
        ? this.addModule('cond_embedder', new Linear(conditionDim, hidden, { rng }))
        : undefined;
    this.blocks = this.addModule(
      'blocks',
      new ModuleList(Array.from({ length: depth }, () => new ResidualBlock(hidden, rng))),
    );
    this.outNorm = this.addModule('out_norm', new LayerNorm(hidden));
    this.output = this.addModule('output', new Linear(hidden, dim, { rng }));
  }

  forward(noisy: tf.Tensor, timesteps: tf.Tensor, condition?: tf.Tensor): tf.Tensor {
    checkDenoiserInputs('MlpDenoiser', noisy, timesteps, condition, this.dim, this.conditionDim);
    return tf.tidy(() => {
      let h = tf.add(this.input.forward(noisy), this.timeEmbedder.forward(timesteps));
      if (this.conditionEmbedder && condition)
        h = tf.add(h, this.conditionEmbedder.forward(condition));
      for (const block of this.blocks.items) h = block.forward(h);
      return this.output.forward(silu(this.outNorm.forward(h)));
    });
  }
}
