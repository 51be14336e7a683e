import { initBackend } from '@pgen/backends';
import { memory } from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { DiffusionInputError } from '../errors';
import { createGenerator, Generator } from './generator';

beforeAll(async () => {
  await initBackend({ prefer: 'cpu' });
});

describe('Generator', () => {
  it('gives the same numbers for the same seed and different ones for another seed', () => {
    const a = createGenerator(42).normals(64);
    expect(createGenerator(42).normals(64)).toEqual(a);
    const b = createGenerator(43).normals(64);
    expect(b.filter((v, i) => v === a[i]).length).toBe(0);
  });

  it('is one stream of normals however the draws are split', () => {
    const whole = createGenerator(7).normals(7);
    const g = createGenerator(7);
    const parts = [...g.normals(3), ...g.normals(1), ...g.normals(3)];
    expect(Float32Array.from(parts)).toEqual(whole);
  });

  it('fork(stream) depends only on seed and stream, not on what was drawn', () => {
    const g = createGenerator(5);
    const before = g.fork(3).normals(8);
    g.normals(100);
    expect(g.fork(3).normals(8)).toEqual(before);
    expect(g.fork(4).normals(8)).not.toEqual(before);
    expect(createGenerator(5, 3).normals(8)).toEqual(before);
  });

  it('produces standard normals: mean ≈ 0, variance ≈ 1, symmetric tails', () => {
    const n = 200_000;
    const x = createGenerator(1).normals(n);
    let sum = 0;
    let sq = 0;
    let beyond2 = 0;
    for (const v of x) {
      sum += v;
      sq += v * v;
      if (Math.abs(v) > 2) beyond2++;
    }
    const mean = sum / n;
    // Standard errors: mean 1/√n ≈ 0.0022, variance √(2/n) ≈ 0.0032; allow ~5σ.
    expect(Math.abs(mean)).toBeLessThan(0.012);
    expect(Math.abs(sq / n - mean * mean - 1)).toBeLessThan(0.016);
    // P(|Z| > 2) = 0.0455.
    expect(Math.abs(beyond2 / n - 0.0455)).toBeLessThan(0.003);
  });

  it('makes uniform integers without bias and rejects bad ranges', () => {
    const g = createGenerator(9);
    const counts = new Array<number>(6).fill(0);
    const draws = g.randint(60_000, 0, 6);
    for (const d of draws) counts[d] = (counts[d] as number) + 1;
    for (const c of counts) expect(Math.abs(c - 10_000)).toBeLessThan(500);
    expect(() => g.nextInt(3, 3)).toThrow(DiffusionInputError);
    const floats = Array.from({ length: 1000 }, () => g.nextFloat());
    expect(floats.every((f) => f >= 0 && f < 1)).toBe(true);
  });

  it('uploads randn tensors of the requested shape without leaking', async () => {
    const before = memory().numTensors;
    const t = createGenerator(3).randn([2, 3, 4]);
    expect(t.shape).toEqual([2, 3, 4]);
    expect(t.dtype).toBe('float32');
    expect(await t.data()).toEqual(createGenerator(3).normals(24));
    t.dispose();
    expect(memory().numTensors).toBe(before);
  });

  it('rejects seeds that are not non-negative safe integers', () => {
    expect(() => new Generator(-1)).toThrow(/seed must be a non-negative safe integer/);
    expect(() => new Generator(1.5)).toThrow(DiffusionInputError);
    expect(() => new Generator(0, Number.NaN)).toThrow(/stream/);
    expect(() => createGenerator(0).randn([2, -1])).toThrow(/invalid shape/);
  });

  it('keeps large seeds distinct', () => {
    const a = createGenerator(2 ** 40).normals(4);
    const b = createGenerator(2 ** 40 + 1).normals(4);
    expect(a).not.toEqual(b);
  });
});
