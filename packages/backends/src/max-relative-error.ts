/**
 * max |actual − expected| / max |expected|: one scale-free number for comparing a float32
 * result with a float64 reference. A non-finite value in `actual` gives Infinity.
 */
export function maxRelativeError(actual: ArrayLike<number>, expected: ArrayLike<number>): number {
  if (actual.length !== expected.length) {
    throw new Error(`length mismatch: got ${actual.length}, expected ${expected.length}`);
  }
  let diff = 0;
  let scale = 0;
  for (let i = 0; i < expected.length; i++) {
    const a = actual[i]!;
    if (!Number.isFinite(a)) return Number.POSITIVE_INFINITY;
    diff = Math.max(diff, Math.abs(a - expected[i]!));
    scale = Math.max(scale, Math.abs(expected[i]!));
  }
  return diff / (scale || 1);
}
