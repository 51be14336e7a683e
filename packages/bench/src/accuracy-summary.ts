/** Best, mean, median and worst of a set of accuracies (fractions in [0, 1]). */
export interface AccuracySummary {
  count: number;
  best: number;
  mean: number;
  median: number;
  min: number;
}

/**
 * Summarises accuracies. The median of an even count is the mean of the two middle values, as
 * NumPy's `median` gives it, so the numbers match the p-diff papers' tables. An empty set has
 * no summary and is an error rather than a row of NaNs in a report.
 */
export function accuracySummary(values: ArrayLike<number>): AccuracySummary {
  const count = values.length;
  if (count === 0) throw new RangeError('accuracySummary: no accuracies to summarise');
  const sorted = Float64Array.from(values).sort();
  let sum = 0;
  for (const v of sorted) sum += v;
  return {
    count,
    best: sorted[count - 1]!,
    mean: sum / count,
    median: median(sorted),
    min: sorted[0]!,
  };
}

/** Median of values already sorted ascending; NaN for none. */
export function median(sorted: ArrayLike<number>): number {
  const n = sorted.length;
  if (n === 0) return Number.NaN;
  const mid = n >> 1;
  return n % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}
