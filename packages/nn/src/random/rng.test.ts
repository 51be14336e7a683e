import { describe, expect, it } from 'vitest';
import { Rng } from './rng';

describe('Rng.shuffle', () => {
  it('permutes in place, the same way for every array type given the same seed', () => {
    const numbers = Array.from({ length: 50 }, (_, i) => i);
    const typed = Int32Array.from(numbers);
    expect(new Rng(3).shuffle(numbers)).toBe(numbers);
    new Rng(3).shuffle(typed);
    expect(Array.from(typed)).toEqual(numbers);
    expect([...numbers].sort((a, b) => a - b)).toEqual(Array.from({ length: 50 }, (_, i) => i));
    expect(numbers).not.toEqual(Array.from({ length: 50 }, (_, i) => i));
    expect(new Rng(4).shuffle([...Array(50).keys()])).not.toEqual(numbers);
  });

  it('draws int(i + 1) from the last element down (Fisher–Yates), so seeded orders stay put', () => {
    const rng = new Rng(11);
    const expected = ['a', 'b', 'c', 'd', 'e'];
    for (let i = expected.length - 1; i > 0; i--) {
      const j = rng.int(i + 1);
      [expected[i], expected[j]] = [expected[j]!, expected[i]!];
    }
    expect(new Rng(11).shuffle(['a', 'b', 'c', 'd', 'e'])).toEqual(expected);
  });
});
