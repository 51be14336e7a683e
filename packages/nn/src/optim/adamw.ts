import type { StateDict } from '@pgen/checkpoint-io';
import * as tf from '@tensorflow/tfjs-core';
import { tensorDataToTensor, tensorToTensorData } from '../tensor-data';
import { clipGradNorm } from './clip-grad-norm';

export interface AdamWOptions {
  /** Learning rate (default 1e-3); change it per step with `setLearningRate` or a schedule. */
  lr?: number;
  /** Decay rates of the first and second moments (default [0.9, 0.999]). */
  betas?: [number, number];
  eps?: number;
  /** Decoupled weight decay (default 0.01, as `torch.optim.AdamW`). */
  weightDecay?: number;
  /** Parameters that get no weight decay, e.g. biases and norm scales. */
  noDecay?: (variable: tf.Variable) => boolean;
}

interface Slot {
  param: tf.Variable;
  m: tf.Variable;
  v: tf.Variable;
  decay: boolean;
}

/**
 * AdamW with PyTorch's update: p ← p·(1 − lr·λ); m, v ← moments; p ← p − lr/(1−β₁ᵗ) ·
 * m / (√v/√(1−β₂ᵗ) + ε). Gradients come keyed by variable name, as `tf.variableGrads` returns
 * them.
 */
export class AdamW {
  lr: number;
  readonly beta1: number;
  readonly beta2: number;
  readonly eps: number;
  readonly weightDecay: number;
  private readonly slots = new Map<string, Slot>();
  private stepCount = 0;

  constructor(
    readonly params: tf.Variable[],
    options: AdamWOptions = {},
  ) {
    this.lr = options.lr ?? 1e-3;
    [this.beta1, this.beta2] = options.betas ?? [0.9, 0.999];
    this.eps = options.eps ?? 1e-8;
    this.weightDecay = options.weightDecay ?? 0.01;
    for (const param of params) {
      this.slots.set(param.name, {
        param,
        m: zerosVariableLike(param),
        v: zerosVariableLike(param),
        decay: !(options.noDecay?.(param) ?? false),
      });
    }
  }

  /** Steps taken so far. */
  get step(): number {
    return this.stepCount;
  }

  setLearningRate(lr: number): void {
    this.lr = lr;
  }

  /** Applies one update; parameters without a gradient are left alone. */
  applyGradients(grads: tf.NamedTensorMap): void {
    this.stepCount++;
    const t = this.stepCount;
    const stepSize = this.lr / (1 - this.beta1 ** t);
    const correction2 = Math.sqrt(1 - this.beta2 ** t);
    tf.tidy(() => {
      for (const [name, slot] of this.slots) {
        const g = grads[name];
        if (!g) continue;
        const m = tf.add(tf.mul(slot.m, this.beta1), tf.mul(g, 1 - this.beta1));
        const v = tf.add(tf.mul(slot.v, this.beta2), tf.mul(tf.square(g), 1 - this.beta2));
        let p: tf.Tensor = slot.param;
        if (slot.decay && this.weightDecay !== 0) p = tf.mul(p, 1 - this.lr * this.weightDecay);
        const denom = tf.add(tf.div(tf.sqrt(v), correction2), this.eps);
        slot.param.assign(tf.sub(p, tf.mul(tf.div(m, denom), stepSize)));
        slot.m.assign(m);
        slot.v.assign(v);
      }
    });
  }

  /**
   * Computes the gradients of `loss` for this optimiser's parameters and applies them; returns
   * the loss (a scalar tensor the caller disposes) and the gradient norm before clipping when
   * `clipNorm` is set.
   */
  minimize(
    loss: () => tf.Scalar,
    options: { clipNorm?: number } = {},
  ): { loss: tf.Scalar; gradNorm?: tf.Scalar } {
    const { value, grads } = tf.variableGrads(loss, this.params);
    let gradNorm: tf.Scalar | undefined;
    let applied = grads;
    if (options.clipNorm !== undefined) {
      const clipped = clipGradNorm(grads, options.clipNorm);
      applied = clipped.grads;
      gradNorm = clipped.totalNorm;
    }
    this.applyGradients(applied);
    tf.dispose(grads);
    if (applied !== grads) tf.dispose(applied);
    return gradNorm ? { loss: value, gradNorm } : { loss: value };
  }

  /** Moments and step count, for resuming training (names `exp_avg.<i>`, `exp_avg_sq.<i>`, `step`). */
  async stateDict(): Promise<StateDict> {
    const out: StateDict = new Map();
    let i = 0;
    for (const slot of this.slots.values()) {
      out.set(`exp_avg.${i}`, await tensorToTensorData(slot.m, 'F32'));
      out.set(`exp_avg_sq.${i}`, await tensorToTensorData(slot.v, 'F32'));
      i++;
    }
    out.set('step', { dtype: 'I64', shape: [], data: BigInt64Array.of(BigInt(this.stepCount)) });
    return out;
  }

  /** Restores what `stateDict` saved, for the same parameters in the same order. */
  loadStateDict(state: StateDict): void {
    const slots = [...this.slots.values()];
    const staged: [tf.Variable, tf.Tensor][] = [];
    try {
      slots.forEach((slot, i) => {
        for (const [key, target] of [
          [`exp_avg.${i}`, slot.m],
          [`exp_avg_sq.${i}`, slot.v],
        ] as const) {
          const data = state.get(key);
          if (!data) throw new Error(`optimizer state lacks ${key}`);
          const t = tensorDataToTensor(data, 'F32');
          if (typeof t === 'string') throw new Error(`optimizer state ${key}: ${t}`);
          staged.push([target, t]);
          if (t.shape.join() !== target.shape.join()) {
            throw new Error(
              `optimizer state ${key} has shape [${t.shape}], expected [${target.shape}]`,
            );
          }
        }
      });
      const step = state.get('step');
      if (!step) throw new Error('optimizer state lacks step');
      for (const [target, t] of staged) target.assign(t);
      this.stepCount = Number((step.data as BigInt64Array)[0]);
    } finally {
      tf.dispose(staged.map(([, t]) => t));
    }
  }

  dispose(): void {
    for (const slot of this.slots.values()) tf.dispose([slot.m, slot.v]);
    this.slots.clear();
  }
}

/** A non-trainable zero variable shaped like `t` (tf.variable keeps its own copy). */
function zerosVariableLike(t: tf.Tensor): tf.Variable {
  const zeros = tf.zerosLike(t);
  const v = tf.variable(zeros, false);
  zeros.dispose();
  return v;
}
