/**
 * Mean and variance of every element of a tensor over many checkpoints, in float64 (Welford's
 * update, one checkpoint at a time), so a zoo never has to be held to normalise per element.
 */
export class ElementMoments {
  count = 0;
  private meanValues: Float64Array | undefined;
  private m2: Float64Array | undefined;

  add(values: ArrayLike<number>): void {
    if (!this.meanValues) {
      this.meanValues = new Float64Array(values.length);
      this.m2 = new Float64Array(values.length);
    }
    const mean = this.meanValues;
    const m2 = this.m2!;
    if (values.length !== mean.length) {
      throw new RangeError(`ElementMoments: ${values.length} values after ${mean.length}`);
    }
    this.count++;
    const n = this.count;
    for (let i = 0; i < mean.length; i++) {
      const x = values[i]!;
      const delta = x - mean[i]!;
      mean[i] = mean[i]! + delta / n;
      m2[i] = m2[i]! + delta * (x - mean[i]!);
    }
  }

  /** Per-element means; empty before any value. */
  get mean(): Float64Array {
    return this.meanValues ?? new Float64Array(0);
  }

  /** Per-element population standard deviations; empty before any value. */
  get std(): Float64Array {
    if (!this.m2) return new Float64Array(0);
    const n = this.count;
    return this.m2.map((v) => Math.sqrt(Math.max(v, 0) / n));
  }
}
