import { describe, expect, it } from 'vitest';
import { iou, wrongSet } from './wrong-set';

describe('wrongSet', () => {
  it('lists the indices of wrong predictions in order', () => {
    expect([...wrongSet([1, 2, 3, 4, 5], [1, 0, 3, 0, 0])]).toEqual([1, 3, 4]);
    expect([...wrongSet(Int32Array.of(7, 7), Int32Array.of(7, 7))]).toEqual([]);
  });

  it('rejects predictions and labels of different lengths', () => {
    expect(() => wrongSet([1, 2], [1])).toThrow(/2 predictions for 1 labels/);
  });
});

describe('iou', () => {
  const set = (...xs: number[]) => Int32Array.from(xs);

  it('is |A ∩ B| / |A ∪ B|', () => {
    // {1,2,3} ∩ {2,3,4,5} = {2,3}; union has 5 elements.
    expect(iou(set(1, 2, 3), set(2, 3, 4, 5))).toBeCloseTo(2 / 5, 12);
    expect(iou(set(2, 3, 4, 5), set(1, 2, 3))).toBeCloseTo(2 / 5, 12);
  });

  it('is 1 for identical sets, 0 for disjoint ones', () => {
    expect(iou(set(4, 8), set(4, 8))).toBe(1);
    expect(iou(set(1, 3), set(2, 4))).toBe(0);
    expect(iou(set(1, 3), set())).toBe(0);
  });

  it('counts two perfect models (both sets empty) as identical', () => {
    expect(iou(set(), set())).toBe(1);
  });
});
