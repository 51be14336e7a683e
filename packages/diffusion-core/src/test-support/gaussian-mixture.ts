import {
  add,
  cast,
  div,
  gather,
  log,
  mul,
  neg,
  oneHot,
  reshape,
  softmax,
  sqrt,
  square,
  stack,
  sub,
  sum,
  type Tensor,
  tensor1d,
  tensor2d,
} from '@tensorflow/tfjs-core';
import type { NoiseScheduler } from '../schedulers/noise-scheduler';
import type { Denoiser } from '../training/denoiser';

/** A mixture of axis-aligned Gaussians: weights π_k, means μ_k and per-axis stds s_k. */
export interface GaussianMixture {
  weights: number[];
  means: number[][];
  stds: number[][];
}

/**
 * The exact ε-prediction E[ε | x_t] for data from `mixture`, as a tfjs denoiser. Under the
 * forward process x_t = √ᾱ·x₀ + √(1−ᾱ)·ε the marginal of x_t is Σ π_k N(√ᾱ μ_k, ᾱ S_k + (1−ᾱ) I),
 * so its score is Σ_k w_k(x_t) · (−(x_t − √ᾱ μ_k) / (ᾱ s_k² + 1 − ᾱ)) with w_k the posterior
 * component probabilities, and E[ε | x_t] = −√(1−ᾱ) · score. With a condition (component index
 * per row) the posterior is that component alone: the exact conditional denoiser.
 */
export function mixtureDenoiser(mixture: GaussianMixture, scheduler: NoiseScheduler): Denoiser {
  const table = tensor1d(Float32Array.from(scheduler.alphasCumprod));
  const means = mixture.means.map((m) => tensor2d([m]));
  const variances = mixture.stds.map((s) => tensor2d([s.map((v) => v * v)]));
  const logWeights = mixture.weights.map(Math.log);
  const K = mixture.weights.length;
  return (noisy, t, condition) => {
    const batch = noisy.shape[0] as number;
    const abar = reshape(gather(table, t), [batch, 1]);
    const scores: Tensor[] = [];
    const logps: Tensor[] = [];
    for (let k = 0; k < K; k++) {
      const variance = add(mul(abar, variances[k] as Tensor), sub(1, abar));
      const diff = sub(noisy, mul(sqrt(abar), means[k] as Tensor));
      scores.push(neg(div(diff, variance)));
      logps.push(
        add(
          mul(sum(add(div(square(diff), variance), log(variance)), 1), -0.5),
          logWeights[k] as number,
        ),
      );
    }
    const posterior =
      condition === undefined
        ? softmax(stack(logps, 1))
        : cast(oneHot(cast(condition, 'int32'), K), 'float32');
    let score: Tensor | undefined;
    for (let k = 0; k < K; k++) {
      const weight = reshape(gather(posterior, [k], 1), [batch, 1]);
      const term = mul(weight, scores[k] as Tensor);
      score = score === undefined ? term : add(score, term);
    }
    return mul(score as Tensor, neg(sqrt(sub(1, abar))));
  };
}

/** Index of the most probable component of each row of `x` (clean data, [n, d]). */
export function assignComponents(mixture: GaussianMixture, x: Float32Array, d: number): number[] {
  const n = x.length / d;
  const out: number[] = [];
  for (let i = 0; i < n; i++) {
    let best = -1;
    let bestLogp = Number.NEGATIVE_INFINITY;
    mixture.weights.forEach((w, k) => {
      let logp = Math.log(w);
      for (let j = 0; j < d; j++) {
        const s = (mixture.stds[k] as number[])[j] as number;
        const z = ((x[i * d + j] as number) - ((mixture.means[k] as number[])[j] as number)) / s;
        logp -= 0.5 * z * z + Math.log(s);
      }
      if (logp > bestLogp) {
        bestLogp = logp;
        best = k;
      }
    });
    out.push(best);
  }
  return out;
}

/** Per-axis mean and standard deviation of the rows of `x` whose label is `k`. */
export function componentMoments(
  x: Float32Array,
  d: number,
  labels: number[],
  k: number,
): { count: number; mean: number[]; std: number[]; maxAbsCorrelation: number } {
  const rows = labels.flatMap((label, i) => (label === k ? [i] : []));
  const mean = new Array<number>(d).fill(0);
  for (const i of rows)
    for (let j = 0; j < d; j++) mean[j] = (mean[j] as number) + (x[i * d + j] as number);
  for (let j = 0; j < d; j++) mean[j] = (mean[j] as number) / rows.length;
  const cov = Array.from({ length: d }, () => new Array<number>(d).fill(0));
  for (const i of rows) {
    for (let a = 0; a < d; a++) {
      for (let b = 0; b < d; b++) {
        const row = cov[a] as number[];
        row[b] =
          (row[b] as number) +
          ((x[i * d + a] as number) - (mean[a] as number)) *
            ((x[i * d + b] as number) - (mean[b] as number));
      }
    }
  }
  const std = cov.map((row, a) => Math.sqrt((row[a] as number) / (rows.length - 1)));
  let maxAbsCorrelation = 0;
  for (let a = 0; a < d; a++) {
    for (let b = 0; b < a; b++) {
      const c =
        ((cov[a] as number[])[b] as number) /
        (rows.length - 1) /
        ((std[a] as number) * (std[b] as number));
      maxAbsCorrelation = Math.max(maxAbsCorrelation, Math.abs(c));
    }
  }
  return { count: rows.length, mean, std, maxAbsCorrelation };
}
