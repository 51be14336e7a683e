import * as tf from '@tensorflow/tfjs-core';
import { defaultBound, uniformInit } from '../init/init';
import { Module } from '../module';
import { getDefaultRng, type Rng } from '../random/rng';

export interface LinearOptions {
  /** Add a learned bias (default true). */
  bias?: boolean;
  /** Seeded source for PyTorch's default initialisation (default: the global generator). */
  rng?: Rng;
}

function isRecordingGradients(): boolean {
  return (tf.engine() as unknown as { isTapeOn(): boolean }).isTapeOn();
}

/** y = x·Wᵀ + b over the last axis; `weight` is [out, in] as in `torch.nn.Linear`. */
export class Linear extends Module {
  readonly weight: tf.Variable;
  readonly bias: tf.Variable | undefined;
  // Wᵀ kept for inference, tagged with the weight buffer it was made from (assign() gives the
  // variable a new one, so a stale copy is never used).
  private transposed: { source: object; value: tf.Tensor } | undefined;

  constructor(
    readonly inFeatures: number,
    readonly outFeatures: number,
    options: LinearOptions = {},
  ) {
    super();
    const rng = options.rng ?? getDefaultRng();
    const bound = defaultBound(inFeatures);
    this.weight = this.addParameter('weight', uniformInit([outFeatures, inFeatures], bound, rng));
    this.bias =
      options.bias === false
        ? undefined
        : this.addParameter('bias', uniformInit([outFeatures], bound, rng));
  }

  forward(x: tf.Tensor): tf.Tensor {
    return tf.tidy(() => {
      const lead = x.shape.slice(0, -1);
      const flat = x.rank === 2 ? x : tf.reshape(x, [-1, this.inFeatures]);
      // In eval mode, outside any gradient computation, use a cached Wᵀ and a plain product:
      // a transposed operand costs a copy of W per call on wasm, which dominates small batches
      // (token-by-token sampling: 1 row). Under a tape the product must see the variable.
      let y =
        this.training || isRecordingGradients()
          ? tf.matMul(flat, this.weight, false, true)
          : tf.matMul(flat, this.transposedWeight());
      if (this.bias) y = tf.add(y, this.bias);
      return x.rank === 2 ? y : tf.reshape(y, [...lead, this.outFeatures]);
    });
  }

  private transposedWeight(): tf.Tensor {
    const source = (this.weight as unknown as { dataId: object }).dataId;
    if (this.transposed?.source !== source) {
      this.transposed?.value.dispose();
      this.transposed = { source, value: tf.keep(tf.transpose(this.weight)) };
    }
    return this.transposed.value;
  }

  override dispose(): void {
    this.transposed?.value.dispose();
    this.transposed = undefined;
    super.dispose();
  }
}
