import { expect } from 'vitest';
import { toFloat32 } from '../half';
import type { StateDict } from '../state-dict';
import { type ExpectedTensor, TORCH_DTYPE } from './fixtures';

/** Checks dtype, shape, float64 sum and first four values of every expected tensor. */
export function expectMatchesExpected(
  tensors: StateDict,
  expected: Record<string, ExpectedTensor>,
  prefix = '',
): void {
  expect(new Set(tensors.keys())).toEqual(new Set(Object.keys(expected).map((k) => prefix + k)));
  for (const [name, want] of Object.entries(expected)) {
    const t = tensors.get(prefix + name)!;
    expect(t.dtype, name).toBe(TORCH_DTYPE[want.dtype]);
    expect(t.shape, name).toEqual(want.shape);
    const values = toFloat32(t);
    let sum = 0;
    for (const v of values) sum += v;
    expect(sum, name).toBeCloseTo(want.sum, 3);
    expect(Array.from(values.subarray(0, 4)), name).toEqual(want.first.map((v) => Math.fround(v)));
  }
}
