/**
 * Per-dimension mean and standard deviation of the training latents. The diffusion model works
 * on standardised latents, so its unit-variance noise matches the data whatever scale the
 * autoencoder settled on (Stable Diffusion's scaling factor, per dimension).
 */
export interface LatentStatistics {
  mean: number[];
  std: number[];
}

export function latentStatistics(latents: Float32Array, count: number): LatentStatistics {
  const dim = latents.length / count;
  const mean = new Array<number>(dim).fill(0);
  const std = new Array<number>(dim).fill(0);
  for (let i = 0; i < count; i++) for (let d = 0; d < dim; d++) mean[d]! += latents[i * dim + d]!;
  for (let d = 0; d < dim; d++) mean[d]! /= count;
  for (let i = 0; i < count; i++) {
    for (let d = 0; d < dim; d++) std[d]! += (latents[i * dim + d]! - mean[d]!) ** 2;
  }
  // A dimension the zoo never moves gets std 1, so it stays put instead of blowing up.
  for (let d = 0; d < dim; d++) {
    const s = Math.sqrt(std[d]! / Math.max(1, count - 1));
    std[d] = s > 1e-8 ? s : 1;
  }
  return { mean, std };
}

/** (z − mean) / std, row by row, into a new array. */
export function standardizeLatents(latents: Float32Array, stats: LatentStatistics): Float32Array {
  const dim = stats.mean.length;
  const out = new Float32Array(latents.length);
  for (let i = 0; i < latents.length; i++) {
    const d = i % dim;
    out[i] = (latents[i]! - stats.mean[d]!) / stats.std[d]!;
  }
  return out;
}

/** The inverse of {@link standardizeLatents}. */
export function unstandardizeLatents(values: Float32Array, stats: LatentStatistics): Float32Array {
  const dim = stats.mean.length;
  const out = new Float32Array(values.length);
  for (let i = 0; i < values.length; i++) {
    const d = i % dim;
    out[i] = values[i]! * stats.std[d]! + stats.mean[d]!;
  }
  return out;
}
