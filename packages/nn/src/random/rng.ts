/**
 * A seeded random source (mulberry32 for uniforms, Box–Muller for normals). Values are made in
 * JavaScript and uploaded, so a seed gives the same numbers on every backend.
 */
export class Rng {
  private state: number;
  private spareNormal: number | undefined;

  constructor(seed: number) {
    this.state = seed >>> 0;
  }

  /** Uniform in [0, 1). */
  next(): number {
    this.state = (this.state + 0x6d2b79f5) >>> 0;
    let t = this.state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }

  /** Standard normal. */
  normal(): number {
    if (this.spareNormal !== undefined) {
      const z = this.spareNormal;
      this.spareNormal = undefined;
      return z;
    }
    let u = 0;
    while (u === 0) u = this.next();
    const v = this.next();
    const r = Math.sqrt(-2 * Math.log(u));
    this.spareNormal = r * Math.sin(2 * Math.PI * v);
    return r * Math.cos(2 * Math.PI * v);
  }

  /** An integer in [0, n). */
  int(n: number): number {
    return Math.floor(this.next() * n);
  }

  /**
   * Shuffles `values` in place (Fisher–Yates, from the last element down, drawing
   * `int(i + 1)` for each) and returns it: a seeded permutation every caller draws the same way.
   */
  shuffle<A extends { length: number; [index: number]: unknown }>(values: A): A {
    for (let i = values.length - 1; i > 0; i--) {
      const j = this.int(i + 1);
      const t = values[i];
      values[i] = values[j];
      values[j] = t;
    }
    return values;
  }

  /** `n` uniforms in [low, high). */
  uniformArray(n: number, low = 0, high = 1): Float32Array {
    const out = new Float32Array(n);
    for (let i = 0; i < n; i++) out[i] = low + (high - low) * this.next();
    return out;
  }

  /** `n` normals with the given mean and standard deviation. */
  normalArray(n: number, mean = 0, std = 1): Float32Array {
    const out = new Float32Array(n);
    for (let i = 0; i < n; i++) out[i] = mean + std * this.normal();
    return out;
  }

  /** A seed for a child generator, so components can be seeded independently of call order. */
  fork(): Rng {
    return new Rng(Math.floor(this.next() * 4294967296));
  }
}

let defaultRng = new Rng(0);

/** Seeds the generator modules use when none is passed (like `torch.manual_seed`). */
export function manualSeed(seed: number): void {
  defaultRng = new Rng(seed);
}

/** The generator modules use when none is passed. */
export function getDefaultRng(): Rng {
  return defaultRng;
}
