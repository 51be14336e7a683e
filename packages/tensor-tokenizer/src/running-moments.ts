/**
 * Mean and variance over many arrays, in float64, without holding them: each array is
 * reduced with two passes (accurate) and merged with Chan's parallel formula.
 */
export class RunningMoments {
  count = 0;
  mean = 0;
  private m2 = 0;

  add(values: ArrayLike<number>, transform?: (x: number) => number): void {
    const n = values.length;
    if (n === 0) return;
    let sum = 0;
    for (let i = 0; i < n; i++) sum += transform ? transform(values[i]!) : values[i]!;
    const mean = sum / n;
    let m2 = 0;
    for (let i = 0; i < n; i++) {
      const d = (transform ? transform(values[i]!) : values[i]!) - mean;
      m2 += d * d;
    }
    const total = this.count + n;
    const delta = mean - this.mean;
    this.mean += (delta * n) / total;
    this.m2 += m2 + (delta * delta * this.count * n) / total;
    this.count = total;
  }

  /** Population variance (divides by the count); 0 before any value. */
  get variance(): number {
    return this.count === 0 ? 0 : this.m2 / this.count;
  }

  get std(): number {
    return Math.sqrt(this.variance);
  }
}
