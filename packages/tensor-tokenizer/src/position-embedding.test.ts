import { describe, expect, it } from 'vitest';
import { TokenizerConfigError } from './errors';
import { sinusoidal1d, sinusoidal2d } from './position-embedding';

describe('sinusoidal1d', () => {
  it('is the Transformer encoding: sin and cos of position / 10000^(2k/dim)', () => {
    const { data, shape } = sinusoidal1d([0, 3, 50], 6);
    expect(shape).toEqual([3, 6]);
    for (const [row, pos] of [0, 3, 50].entries()) {
      for (let k = 0; k < 3; k++) {
        const angle = pos / 10000 ** ((2 * k) / 6);
        expect(data[row * 6 + 2 * k]).toBeCloseTo(Math.sin(angle), 6);
        expect(data[row * 6 + 2 * k + 1]).toBeCloseTo(Math.cos(angle), 6);
      }
    }
  });

  it('rejects odd or non-positive widths', () => {
    expect(() => sinusoidal1d([0], 5)).toThrow(TokenizerConfigError);
    expect(() => sinusoidal1d([0], 0)).toThrow(TokenizerConfigError);
  });
});

describe('sinusoidal2d', () => {
  it('encodes rows in the first half of the channels and columns in the second', () => {
    const rows = [0, 0, 1, 2];
    const cols = [0, 1, 0, 0];
    const { data, shape } = sinusoidal2d(rows, cols, 8);
    expect(shape).toEqual([4, 8]);
    const row = (i: number) => Array.from(data.subarray(i * 8, i * 8 + 8));
    const rowHalf = sinusoidal1d(rows, 4).data;
    const colHalf = sinusoidal1d(cols, 4).data;
    for (let i = 0; i < 4; i++) {
      expect(row(i).slice(0, 4)).toEqual(Array.from(rowHalf.subarray(i * 4, i * 4 + 4)));
      expect(row(i).slice(4)).toEqual(Array.from(colHalf.subarray(i * 4, i * 4 + 4)));
    }
    expect(row(0)).not.toEqual(row(1));
    expect(row(1).slice(0, 4)).toEqual(row(0).slice(0, 4));
  });

  it('works for widths whose halves are odd (the last channel of each half is a sine)', () => {
    const { data } = sinusoidal2d([2], [5], 6);
    expect(data[2]).toBeCloseTo(Math.sin(2 / 10000 ** (2 / 3)), 6);
    expect(data[5]).toBeCloseTo(Math.sin(5 / 10000 ** (2 / 3)), 6);
  });

  it('rejects rows and columns of different lengths', () => {
    expect(() => sinusoidal2d([0, 1], [0], 4)).toThrow(/as many rows as columns/);
  });
});
