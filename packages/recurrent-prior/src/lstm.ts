import { defaultBound, getDefaultRng, Module, type Rng, uniformInit } from '@pgen/nn';
import * as tf from '@tensorflow/tfjs-core';

/** Options of {@link Lstm}; the defaults are `torch.nn.LSTM`'s. */
export interface LstmOptions {
  /** Stacked layers (default 1). */
  numLayers?: number;
  /** bias_ih and bias_hh on every layer (default true). */
  bias?: boolean;
  /** Dropout on the outputs of every layer but the last, in training (default 0). */
  dropout?: number;
  /** Seeded source for the initialisation, uniform in ±1/√hidden as PyTorch's. */
  rng?: Rng;
}

/** Hidden and cell states, each [numLayers, batch, hidden], as PyTorch's (h_n, c_n). */
export interface LstmState {
  h: tf.Tensor;
  c: tf.Tensor;
}

/**
 * `torch.nn.LSTM(batch_first=True)` with its parameter names and layouts (`weight_ih_l{k}`
 * [4H, in], `weight_hh_l{k}` [4H, H], `bias_ih_l{k}`, `bias_hh_l{k}` [4H]; gates in the order
 * i, f, g, o), so a PyTorch state dict loads unchanged.
 *
 * Cost: the input path of a layer is one [batch·length, in] × [in, 4H] matmul for all positions;
 * the recurrence is inherently sequential, so every position then costs one [batch, H] × [H, 4H]
 * matmul plus about ten elementwise ops on [batch, 4H]: length · numLayers small steps, which
 * dominate for short hidden sizes.
 */
export class Lstm extends Module {
  readonly numLayers: number;
  readonly dropout: number;
  private readonly layers: { wih: tf.Variable; whh: tf.Variable; bias: tf.Tensor[] }[] = [];
  private readonly rng: Rng;

  constructor(
    readonly inputSize: number,
    readonly hiddenSize: number,
    options: LstmOptions = {},
  ) {
    super();
    this.numLayers = options.numLayers ?? 1;
    this.dropout = options.dropout ?? 0;
    if (!(this.dropout >= 0 && this.dropout < 1)) {
      throw new Error(`Lstm: dropout must be in [0, 1), got ${this.dropout}`);
    }
    this.rng = options.rng ?? getDefaultRng();
    const bound = defaultBound(hiddenSize);
    const init = (shape: number[]) => uniformInit(shape, bound, options.rng);
    for (let k = 0; k < this.numLayers; k++) {
      const inSize = k === 0 ? inputSize : hiddenSize;
      const wih = this.addParameter(`weight_ih_l${k}`, init([4 * hiddenSize, inSize]));
      const whh = this.addParameter(`weight_hh_l${k}`, init([4 * hiddenSize, hiddenSize]));
      const bias =
        options.bias === false
          ? []
          : [
              this.addParameter(`bias_ih_l${k}`, init([4 * hiddenSize])),
              this.addParameter(`bias_hh_l${k}`, init([4 * hiddenSize])),
            ];
      this.layers.push({ wih, whh, bias });
    }
  }

  /** [batch, length, inputSize] → [batch, length, hiddenSize] (the last layer's h at every t). */
  forward(x: tf.Tensor): tf.Tensor {
    const { output, h, c } = this.forwardWithState(x);
    tf.dispose([h, c]);
    return output;
  }

  /**
   * Runs from `initial` (zeros when omitted) and also returns the final states, so a sequence
   * can be continued position by position, e.g. when generation feeds back generated tokens.
   */
  forwardWithState(x: tf.Tensor, initial?: LstmState): LstmState & { output: tf.Tensor } {
    if (x.rank !== 3 || x.shape[2] !== this.inputSize) {
      throw new Error(
        `Lstm: input has shape [${x.shape}], expected [batch, length, ${this.inputSize}]`,
      );
    }
    const [batch, length] = x.shape as [number, number, number];
    const hsz = this.hiddenSize;
    const result = tf.tidy(() => {
      const h0 = initial ? tf.unstack(initial.h) : [];
      const c0 = initial ? tf.unstack(initial.c) : [];
      const hs: tf.Tensor[] = [];
      const cs: tf.Tensor[] = [];
      let input = x;
      for (const [k, layer] of this.layers.entries()) {
        const inSize = input.shape[2]!;
        let projected = tf.matMul(
          tf.reshape(input, [batch * length, inSize]),
          layer.wih,
          false,
          true,
        );
        if (layer.bias.length > 0)
          projected = tf.add(projected, tf.add(layer.bias[0]!, layer.bias[1]!));
        const steps = tf.unstack(tf.reshape(projected, [batch, length, 4 * hsz]), 1);
        let h = h0[k] ?? tf.zeros([batch, hsz]);
        let c = c0[k] ?? tf.zeros([batch, hsz]);
        const outs: tf.Tensor[] = [];
        for (const step of steps) {
          const gates = tf.add(step, tf.matMul(h, layer.whh, false, true));
          const [i, f, g, o] = tf.split(gates, 4, 1) as [
            tf.Tensor,
            tf.Tensor,
            tf.Tensor,
            tf.Tensor,
          ];
          c = tf.add(tf.mul(tf.sigmoid(f), c), tf.mul(tf.sigmoid(i), tf.tanh(g)));
          h = tf.mul(tf.sigmoid(o), tf.tanh(c));
          outs.push(h);
        }
        hs.push(h);
        cs.push(c);
        input = tf.stack(outs, 1);
        if (this.training && this.dropout > 0 && k < this.numLayers - 1) {
          // A fresh seed per call: reproducible runs, distinct masks per step.
          input = tf.dropout(input, this.dropout, undefined, this.rng.int(2 ** 31));
        }
      }
      return { output: input, h: tf.stack(hs), c: tf.stack(cs) };
    });
    return result;
  }
}
