import {
  Dropout,
  gelu,
  LayerNorm,
  Linear,
  Module,
  ModuleList,
  MultiheadAttention,
  type Rng,
} from '@pgen/nn';
import * as tf from '@tensorflow/tfjs-core';
import { assertPriorInput, type RecurrentPrior } from './recurrent-prior';

/** Options of {@link TransformerPrior}. */
export interface TransformerPriorOptions {
  /** Features per input position (positions are already embedded by the input builder). */
  dIn: number;
  /** Width of the residual stream, which is the prototype size. */
  dModel: number;
  /** Blocks (default 2). */
  numLayers?: number;
  /** Attention heads; must divide dModel (default 4). */
  numHeads?: number;
  /** Hidden width of each block's MLP (default 4·dModel). */
  dimFeedforward?: number;
  /** Dropout after attention and in the MLP, in training (default 0). */
  dropout?: number;
  /** LayerNorm epsilon (default 1e-5). */
  normEps?: number;
}

/** {@link TransformerPrior}'s options as saved: every default filled in. */
export type TransformerPriorConfig = {
  type: 'TransformerPrior';
  options: Required<TransformerPriorOptions>;
};

/**
 * `torch.nn.TransformerEncoderLayer(norm_first=True, activation='gelu', batch_first=True)`
 * with a causal mask: x + attn(norm1(x)), then x + linear2(gelu(linear1(norm2(x)))).
 */
export class CausalTransformerBlock extends Module {
  readonly selfAttn: MultiheadAttention;
  readonly linear1: Linear;
  readonly linear2: Linear;
  readonly norm1: LayerNorm;
  readonly norm2: LayerNorm;
  readonly dropout: Dropout;

  constructor(
    dModel: number,
    numHeads: number,
    dimFeedforward: number,
    options: { dropout: number; normEps: number; rng?: Rng },
  ) {
    super();
    const { rng } = options;
    this.selfAttn = this.addModule('self_attn', new MultiheadAttention(dModel, numHeads, { rng }));
    this.linear1 = this.addModule('linear1', new Linear(dModel, dimFeedforward, { rng }));
    this.linear2 = this.addModule('linear2', new Linear(dimFeedforward, dModel, { rng }));
    this.norm1 = this.addModule('norm1', new LayerNorm(dModel, { eps: options.normEps }));
    this.norm2 = this.addModule('norm2', new LayerNorm(dModel, { eps: options.normEps }));
    this.dropout = this.addModule('dropout', new Dropout(options.dropout, { rng }));
  }

  forward(x: tf.Tensor): tf.Tensor {
    return tf.tidy(() => {
      const normed = this.norm1.forward(x);
      const attended = this.selfAttn.forward(normed, normed, normed, { causal: true });
      const h = tf.add(x, this.dropout.forward(attended));
      const mlp = this.linear2.forward(
        this.dropout.forward(gelu(this.linear1.forward(this.norm2.forward(h)))),
      );
      return tf.add(h, this.dropout.forward(mlp));
    });
  }
}

/**
 * A causal transformer prior: input_proj (Linear dIn → dModel), numLayers pre-norm causal
 * blocks, final `norm`. Attention is quadratic in positions but has no sequential steps.
 */
export class TransformerPrior extends Module implements RecurrentPrior {
  readonly dIn: number;
  readonly dModel: number;
  readonly config: TransformerPriorConfig;
  readonly inputProj: Linear;
  readonly layers: ModuleList<CausalTransformerBlock>;
  readonly norm: LayerNorm;

  constructor(options: TransformerPriorOptions, init: { rng?: Rng } = {}) {
    super();
    const resolved: Required<TransformerPriorOptions> = {
      numLayers: 2,
      numHeads: 4,
      dimFeedforward: 4 * options.dModel,
      dropout: 0,
      normEps: 1e-5,
      ...options,
    };
    this.config = { type: 'TransformerPrior', options: resolved };
    this.dIn = resolved.dIn;
    this.dModel = resolved.dModel;
    const { rng } = init;
    this.inputProj = this.addModule('input_proj', new Linear(this.dIn, this.dModel, { rng }));
    this.layers = this.addModule(
      'layers',
      new ModuleList(
        Array.from(
          { length: resolved.numLayers },
          () =>
            new CausalTransformerBlock(this.dModel, resolved.numHeads, resolved.dimFeedforward, {
              dropout: resolved.dropout,
              normEps: resolved.normEps,
              rng,
            }),
        ),
      ),
    );
    this.norm = this.addModule('norm', new LayerNorm(this.dModel, { eps: resolved.normEps }));
  }

  /** [batch, positions, dIn] → [batch, positions, dModel]. */
  forward(x: tf.Tensor): tf.Tensor {
    assertPriorInput('TransformerPrior', x, this.dIn);
    return tf.tidy(() => {
      let h = this.inputProj.forward(x);
      for (const block of this.layers.items) h = block.forward(h);
      return this.norm.forward(h);
    });
  }
}
