import { describe, expect, it } from 'vitest';
import { noisyVectors, sampleIndices } from './noise-baseline';
import { seededGaussian } from './seeded-gaussian';

const zoo = Array.from({ length: 5 }, (_, i) => new Float32Array(20_000).fill(i));

describe('noise baselines', () => {
  it('is deterministic for a seed and differs between seeds', () => {
    const a = noisyVectors(zoo, { sigma: 0.05, seed: 7 });
    const b = noisyVectors(zoo, { sigma: 0.05, seed: 7 });
    const c = noisyVectors(zoo, { sigma: 0.05, seed: 8 });
    expect(a.vectors).toEqual(b.vectors);
    expect(a.vectors[0]).not.toEqual(c.vectors[0]);
  });

  it('adds zero-mean noise of standard deviation sigma to each checkpoint', () => {
    const { sourceIndices, vectors } = noisyVectors(zoo, { sigma: 0.1, seed: 1 });
    expect(sourceIndices).toEqual([0, 1, 2, 3, 4]);
    vectors.forEach((vec, k) => {
      let sum = 0;
      let squares = 0;
      for (const x of vec) {
        sum += x - k;
        squares += (x - k) ** 2;
      }
      const mean = sum / vec.length;
      // 20 000 samples: the sample mean is within 4 standard errors (0.1/√20000·4 ≈ 0.003).
      expect(Math.abs(mean)).toBeLessThan(0.003);
      expect(Math.sqrt(squares / vec.length - mean * mean)).toBeCloseTo(0.1, 2);
    });
  });

  it('gives each sigma its own stream, unchanged by the other levels', () => {
    const small = noisyVectors(zoo, { sigma: 0.01, seed: 3 });
    const large = noisyVectors(zoo, { sigma: 0.1, seed: 3 });
    // Same stream would make large noise exactly 10× the small one.
    expect((large.vectors[0]![0]! - 0) / 0.1).not.toBeCloseTo(
      (small.vectors[0]![0]! - 0) / 0.01,
      4,
    );
  });

  it('perturbs a seeded sample of distinct checkpoints when asked for fewer', () => {
    const a = noisyVectors(zoo, { sigma: 0, seed: 2, count: 3 });
    expect(a.sourceIndices).toHaveLength(3);
    expect(new Set(a.sourceIndices).size).toBe(3);
    expect(a.sourceIndices).toEqual(
      noisyVectors(zoo, { sigma: 0, seed: 2, count: 3 }).sourceIndices,
    );
    // sigma 0 leaves the copies exact.
    a.vectors.forEach((vec, k) => {
      expect(vec).toEqual(zoo[a.sourceIndices[k]!]);
    });
  });

  it('samples indices without repeats, ascending', () => {
    const picked = sampleIndices(10, 4, seededGaussian(5).uniform);
    expect(picked).toEqual([...picked].sort((x, y) => x - y));
    expect(new Set(picked).size).toBe(4);
    expect(picked.every((i) => i >= 0 && i < 10)).toBe(true);
    expect(sampleIndices(3, 9, Math.random)).toEqual([0, 1, 2]);
  });

  it('rejects a negative or non-finite sigma', () => {
    expect(() => noisyVectors(zoo, { sigma: -1 })).toThrow(/sigma/);
    expect(() => noisyVectors(zoo, { sigma: Number.NaN })).toThrow(/sigma/);
  });
});
