import { describe, expect, it } from 'vitest';
import { accuracySummary, median } from './accuracy-summary';

describe('accuracySummary', () => {
  it('summarises an odd count', () => {
    const s = accuracySummary([0.9, 0.5, 0.75]);
    expect(s).toMatchObject({ count: 3, best: 0.9, median: 0.75, min: 0.5 });
    expect(s.mean).toBeCloseTo(0.7166666666666667, 12);
  });

  it('takes the mean of the middle pair as the median of an even count', () => {
    const s = accuracySummary([0.4, 0.1, 0.3, 0.2]);
    expect(s.median).toBeCloseTo(0.25, 12);
    expect(s.mean).toBeCloseTo(0.25, 12);
    expect(s.best).toBe(0.4);
    expect(s.min).toBe(0.1);
  });

  it('handles a single value and rejects none', () => {
    expect(accuracySummary([0.8])).toEqual({
      count: 1,
      best: 0.8,
      mean: 0.8,
      median: 0.8,
      min: 0.8,
    });
    expect(() => accuracySummary([])).toThrow(/no accuracies/);
  });

  it('sorts numerically, not as strings', () => {
    expect(median([1, 2, 10])).toBe(2);
    expect(accuracySummary([10, 9, 100]).median).toBe(10);
  });
});
