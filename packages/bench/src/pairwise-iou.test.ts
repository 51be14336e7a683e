import { describe, expect, it } from 'vitest';
import { maxIouWithZoo, meanIouBetween, meanIouWithin } from './pairwise-iou';

const set = (...xs: number[]) => Int32Array.from(xs);

describe('pairwise IoU', () => {
  // Pairwise IoUs: a–b = 1/3 ({1} of {0,1,2}), a–c = 0, b–c = 1/2 ({2} of {1,2}).
  const a = set(0, 1);
  const b = set(1, 2);
  const c = set(2);

  it('averages distinct pairs within a set, never a model with itself', () => {
    expect(meanIouWithin([a, b, c])).toBeCloseTo((1 / 3 + 0 + 1 / 2) / 3, 12);
    expect(meanIouWithin([a, a])).toBe(1);
    expect(meanIouWithin([a])).toBeNaN();
  });

  it('averages every cross pair between two sets', () => {
    // a–c = 0, a–b = 1/3, with zoo [a] and generated [c, b].
    expect(meanIouBetween([a], [c, b])).toBeCloseTo(1 / 6, 12);
    expect(meanIouBetween([], [a])).toBeNaN();
  });

  it("takes each generated model's best match in the zoo", () => {
    expect(maxIouWithZoo([a, c], [b, c])).toEqual([1 / 3, 1]);
    expect(() => maxIouWithZoo([a], [])).toThrow(/no models/);
  });
});
