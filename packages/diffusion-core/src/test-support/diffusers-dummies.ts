import {
  add,
  cast,
  div,
  mul,
  reshape,
  type Tensor,
  tensor,
  transpose,
} from '@tensorflow/tfjs-core';

/**
 * diffusers' scheduler-test fixtures, rebuilt from their definition: a [4, 3, 8, 8] tensor made
 * from arange(768) laid out as [3, 8, 8, 4], divided by 768 and permuted to batch-first
 * (`dummy_sample_deter`); the same with the arange reversed (`dummy_noise_deter`).
 */
export function dummySampleDeter(reversed = false): Tensor {
  const n = 4 * 3 * 8 * 8;
  const values = Float32Array.from({ length: n }, (_, i) => (reversed ? n - 1 - i : i) / n);
  return transpose(tensor(values, [3, 8, 8, 4]), [3, 0, 1, 2]);
}

/** diffusers' `dummy_model`: output = sample · t / (t + 1), with t per row or one number. */
export function dummyModel(sample: Tensor, t: number | Tensor): Tensor {
  if (typeof t === 'number') return mul(sample, t / (t + 1));
  const batch = sample.shape[0] as number;
  const ft = reshape(cast(t, 'float32'), [batch, ...new Array<number>(sample.rank - 1).fill(1)]);
  return mul(sample, div(ft, add(ft, 1)));
}

/** Σ|x| and mean |x| in float64, as the golden tests compare them. */
export async function absSumMean(x: Tensor): Promise<{ sum: number; mean: number }> {
  const values = await x.data();
  let sum = 0;
  for (const v of values) sum += Math.abs(v);
  return { sum, mean: sum / values.length };
}

/** The largest |a[i] − b[i]|, to compare two tensors' values in one assertion. */
export function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) return Number.POSITIVE_INFINITY;
  let max = 0;
  for (let i = 0; i < a.length; i++)
    max = Math.max(max, Math.abs((a[i] as number) - (b[i] as number)));
  return max;
}
