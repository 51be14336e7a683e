/** A seeded source of standard-normal samples, with the uniform stream it draws from. */
export interface SeededGaussian {
  /** The next N(0, 1) sample. */
  (): number;
  /** The next uniform sample in [0, 1). */
  uniform(): number;
}

/**
 * Seeded standard-normal samples: mulberry32 for uniforms, Box–Muller for the normals. Noise
 * baselines must be reproducible run to run, and `Math.random` cannot be seeded.
 */
export function seededGaussian(seed: number): SeededGaussian {
  let state = seed >>> 0;
  const uniform = (): number => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  let spare: number | undefined;
  const normal = (): number => {
    if (spare !== undefined) {
      const out = spare;
      spare = undefined;
      return out;
    }
    // 1 - u keeps the log's argument in (0, 1]: uniform() can return exactly 0.
    const radius = Math.sqrt(-2 * Math.log(1 - uniform()));
    const angle = 2 * Math.PI * uniform();
    spare = radius * Math.sin(angle);
    return radius * Math.cos(angle);
  };
  normal.uniform = uniform;
  return normal;
}

/**
 * One 32-bit seed from a base seed and a label (for example a noise level), so that each
 * noise level draws an independent stream that does not shift when another level is added.
 */
export function deriveSeed(seed: number, label: string): number {
  // FNV-1a over the label, folded with the seed.
  let h = (0x811c9dc5 ^ (seed >>> 0)) >>> 0;
  for (let i = 0; i < label.length; i++) {
    h ^= label.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h;
}
