import * as tf from '@tensorflow/tfjs-core';

/** Activations by name, as the layers' `activation` options and the denoisers take them. */
export type ActivationName = 'relu' | 'gelu' | 'silu' | 'elu' | 'tanh' | 'identity';

/** GELU with the exact erf form, PyTorch's default (`approximate='none'`). */
export function gelu(x: tf.Tensor): tf.Tensor {
  return tf.tidy(() => tf.mul(tf.mul(x, 0.5), tf.add(1, tf.erf(tf.mul(x, Math.SQRT1_2)))));
}

/** SiLU (swish): x · σ(x). */
export function silu(x: tf.Tensor): tf.Tensor {
  return tf.tidy(() => tf.mul(x, tf.sigmoid(x)));
}

export function activation(name: ActivationName, x: tf.Tensor): tf.Tensor {
  switch (name) {
    case 'relu':
      return tf.relu(x);
    case 'gelu':
      return gelu(x);
    case 'silu':
      return silu(x);
    case 'elu':
      return tf.elu(x);
    case 'tanh':
      return tf.tanh(x);
    case 'identity':
      return x;
    default:
      throw new Error(`unknown activation "${String(name)}"`);
  }
}

export interface AttentionOptions {
  /** Mask future positions (query i sees keys ≤ i). */
  causal?: boolean;
  /** Additive mask broadcastable to [batch, heads, queries, keys] (−∞ or a large negative to block). */
  mask?: tf.Tensor;
}

/**
 * softmax(q·kᵀ/√d + mask)·v for q [B, H, Lq, D], k and v [B, H, Lk, D], as PyTorch's
 * `scaled_dot_product_attention`.
 */
export function scaledDotProductAttention(
  q: tf.Tensor,
  k: tf.Tensor,
  v: tf.Tensor,
  options: AttentionOptions = {},
): tf.Tensor {
  return tf.tidy(() => {
    const d = q.shape[q.rank - 1]!;
    let scores = tf.mul(tf.matMul(q, k, false, true), 1 / Math.sqrt(d));
    if (options.causal) {
      const lq = q.shape[q.rank - 2]!;
      const lk = k.shape[k.rank - 2]!;
      const blocked = new Float32Array(lq * lk);
      for (let i = 0; i < lq; i++)
        for (let j = i + 1 + (lk - lq); j < lk; j++) blocked[i * lk + j] = -1e9;
      scores = tf.add(scores, tf.tensor2d(blocked, [lq, lk]));
    }
    if (options.mask) scores = tf.add(scores, options.mask);
    return tf.matMul(tf.softmax(scores), v);
  });
}
