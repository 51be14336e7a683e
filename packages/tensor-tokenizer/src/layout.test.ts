import { describe, expect, it } from 'vitest';
import { TokenLayout } from './layout';

const TENSORS = [
  { name: 'conv.weight', shape: [4, 2, 3], dtype: 'F32' as const }, // 24 values, rows of 6
  { name: 'conv.bias', shape: [4], dtype: 'F32' as const },
  { name: 'fc.weight', shape: [3, 5], dtype: 'F32' as const }, // 15 values, rows of 5
];

describe('TokenLayout', () => {
  it("'layer' gives each tensor its own tokens, padding the last", () => {
    const layout = new TokenLayout('layer', 10, TENSORS);
    expect(layout.entries.map((e) => [e.tokenStart, e.tokenEnd])).toEqual([
      [0, 3],
      [3, 4],
      [4, 6],
    ]);
    expect(Array.from(layout.tensorIndex)).toEqual([0, 0, 0, 1, 2, 2]);
    expect(Array.from(layout.positionInTensor)).toEqual([0, 1, 2, 0, 0, 1]);
    const mask = layout.mask();
    const realPerToken = Array.from({ length: 6 }, (_, t) =>
      mask.subarray(t * 10, t * 10 + 10).reduce((s, v) => s + v, 0),
    );
    expect(realPerToken).toEqual([10, 10, 4, 4, 10, 5]);
  });

  it("'flat' packs tensors back to back and pads only the end", () => {
    const layout = new TokenLayout('flat', 10, TENSORS);
    expect(layout.tokenCount).toBe(5); // 43 values
    expect(layout.entries.map((e) => e.valueOffset)).toEqual([0, 24, 28]);
    expect(Array.from(layout.tensorIndex)).toEqual([0, 0, 0, 2, 2]);
    expect(Array.from(layout.positionInTensor)).toEqual([0, 1, 2, 0, 1]);
    expect(layout.mask().reduce((s, v) => s + v, 0)).toBe(43);
    expect(Array.from(layout.mask(4, 1))).toEqual([1, 1, 1, 0, 0, 0, 0, 0, 0, 0]);
  });

  it("'channel' gives each row of dim 0 its own token, a 1-D tensor one row", () => {
    const layout = new TokenLayout('channel', 6, TENSORS);
    expect(layout.entries.map((e) => [e.rows, e.rowLength, e.tokenStart, e.tokenEnd])).toEqual([
      [4, 6, 0, 4],
      [1, 4, 4, 5],
      [3, 5, 5, 8],
    ]);
    const mask = layout.mask(5, 3);
    expect(Array.from(mask.subarray(0, 6))).toEqual([1, 1, 1, 1, 1, 0]);
  });

  it("'channel' splits rows longer than a token over several tokens", () => {
    const layout = new TokenLayout('channel', 4, [TENSORS[0]!]);
    expect(layout.tokenCount).toBe(8);
    expect(Array.from(layout.mask(0, 2))).toEqual([1, 1, 1, 1, 1, 1, 0, 0]);
  });
});
