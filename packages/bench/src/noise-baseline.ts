import { deriveSeed, seededGaussian } from './seeded-gaussian';

/** Options of `noisyVectors`. */
export interface NoisyVectorsOptions {
  /** Standard deviation of the Gaussian noise, in normalised (z-scored) units. */
  sigma: number;
  /** Seed of the noise and of the sample of checkpoints (default 0). */
  seed?: number;
  /** How many zoo checkpoints to perturb, a seeded sample without repeats (default all). */
  count?: number;
}

/** Noisy copies of zoo vectors, and which zoo checkpoint each one came from. */
export interface NoisyVectors {
  sourceIndices: number[];
  vectors: Float32Array[];
}

/**
 * The noise baseline of p-diff: zoo checkpoints plus N(0, σ²) in normalised parameter space.
 * Judged with the same metrics as a generator's output, it shows what "a zoo checkpoint with
 * a little noise" scores, the trivial way to get new weights that look good. The stream of
 * each σ depends only on `seed` and σ, so adding a noise level leaves the others unchanged.
 */
export function noisyVectors(
  zoo: readonly Float32Array[],
  options: NoisyVectorsOptions,
): NoisyVectors {
  const { sigma } = options;
  if (!(sigma >= 0) || !Number.isFinite(sigma)) {
    throw new RangeError(`noisyVectors: sigma must be a finite number ≥ 0, got ${sigma}`);
  }
  const count = Math.min(options.count ?? zoo.length, zoo.length);
  const gaussian = seededGaussian(deriveSeed(options.seed ?? 0, `noise:${sigma}`));
  const sourceIndices = sampleIndices(zoo.length, count, gaussian.uniform);
  const vectors = sourceIndices.map((index) => {
    const source = zoo[index]!;
    const out = new Float32Array(source.length);
    for (let i = 0; i < source.length; i++) out[i] = source[i]! + sigma * gaussian();
    return out;
  });
  return { sourceIndices, vectors };
}

/**
 * `count` distinct indices below `n`, ascending: all of them when `count === n`, else a partial
 * Fisher–Yates draw. Ascending order keeps reports readable (checkpoint 3 before checkpoint 7).
 */
export function sampleIndices(n: number, count: number, uniform: () => number): number[] {
  const all = Array.from({ length: n }, (_, i) => i);
  if (count >= n) return all;
  for (let i = 0; i < count; i++) {
    const j = i + Math.floor(uniform() * (n - i));
    [all[i], all[j]] = [all[j]!, all[i]!];
  }
  return all.slice(0, count).sort((a, b) => a - b);
}
