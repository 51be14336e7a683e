import { bf16BitsToNumber, f16BitsToNumber } from '../half';
import type { TensorData } from '../state-dict';

/** Summary statistics of a tensor's values, computed in float64. */
export interface TensorStats {
  /** `null` for an empty tensor. */
  mean: number | null;
  /** Population standard deviation (divides by n), `null` when empty. */
  std: number | null;
  min: number | null;
  max: number | null;
}

function valueReader(t: TensorData): (i: number) => number {
  const d = t.data;
  switch (t.dtype) {
    case 'F16':
      return (i) => f16BitsToNumber((d as Uint16Array)[i]!);
    case 'BF16':
      return (i) => bf16BitsToNumber((d as Uint16Array)[i]!);
    case 'I64':
    case 'U64':
      return (i) => Number((d as BigInt64Array)[i]!);
    default:
      return (i) => (d as ArrayLike<number>)[i]!;
  }
}

/** Mean, std, min and max in float64 (two passes, so the variance is not cancellation-prone). */
export function tensorStats(t: TensorData): TensorStats {
  const n = t.data.length;
  if (n === 0) return { mean: null, std: null, min: null, max: null };
  const at = valueReader(t);
  let sum = 0;
  let min = Number.POSITIVE_INFINITY;
  let max = Number.NEGATIVE_INFINITY;
  let nan = false;
  for (let i = 0; i < n; i++) {
    const v = at(i);
    if (Number.isNaN(v)) nan = true;
    sum += v;
    if (v < min) min = v;
    if (v > max) max = v;
  }
  const mean = sum / n;
  let squares = 0;
  for (let i = 0; i < n; i++) {
    const dv = at(i) - mean;
    squares += dv * dv;
  }
  if (nan) return { mean: Number.NaN, std: Number.NaN, min: Number.NaN, max: Number.NaN };
  return { mean, std: Math.sqrt(squares / n), min, max };
}
