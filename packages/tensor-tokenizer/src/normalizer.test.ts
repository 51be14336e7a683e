import { describe, expect, it } from 'vitest';
import { denormalizeInto, NormalizationStatistics, normalizeInto } from './normalizer';
import { RunningMoments } from './running-moments';

describe('RunningMoments', () => {
  it('merges arrays into the mean and population variance of their union', () => {
    const parts = [[1, 2, 3], [10], [4, 4, 4, 4, 100]];
    const all = parts.flat();
    const moments = new RunningMoments();
    for (const part of parts) moments.add(part);
    const mean = all.reduce((s, v) => s + v, 0) / all.length;
    const variance = all.reduce((s, v) => s + (v - mean) ** 2, 0) / all.length;
    expect(moments.count).toBe(all.length);
    expect(moments.mean).toBeCloseTo(mean, 12);
    expect(moments.variance).toBeCloseTo(variance, 10);
  });
});

describe('NormalizationStatistics', () => {
  it('replaces a zero std by 1', () => {
    const stats = new NormalizationStatistics('zscore', 0.05);
    stats.add([2, 2, 2]);
    stats.add([2]);
    expect(stats.finish()).toMatchObject({ mean: 2, std: 1 });
  });

  it('log-zscore scales by the zoo mean before the log and inverts to positive values', () => {
    const stats = new NormalizationStatistics('log-zscore', 0.05);
    stats.add([0.5, 1.5, 0]);
    stats.add([1, 2, 1]);
    const norm = stats.finish();
    expect(norm.logScale).toBeCloseTo(1, 12);
    const values = new Float64Array([0.5, 1.5, 0, 3]);
    const tokens = new Float32Array(4);
    normalizeInto(norm, values, 0, tokens, 0, 4);
    const back = new Float64Array(4);
    denormalizeInto(norm, tokens, 0, back, 0, 4, Number.MIN_VALUE);
    for (const i of [0, 1, 3])
      expect(Math.abs(back[i]! - values[i]!) / values[i]!).toBeLessThan(1e-6);
    expect(back[2]).toBeGreaterThan(0);
    expect(back[2]).toBeLessThan(1e-6);
  });
});
