import { describe, expect, it } from 'vitest';
import { DiffusionInputError } from '../errors';
import { spacedTimesteps } from './timestep-spacing';

// Expected lists computed with numpy from diffusers' definitions of each spacing.
describe('spacedTimesteps', () => {
  it('leading: multiples of ⌊T/n⌋ plus steps_offset (diffusers: [801, 601, 401, 201, 1])', () => {
    expect(Array.from(spacedTimesteps(1000, 5, 'leading', 1))).toEqual([801, 601, 401, 201, 1]);
    expect(Array.from(spacedTimesteps(1000, 7, 'leading'))).toEqual([
      852, 710, 568, 426, 284, 142, 0,
    ]);
  });

  it('linspace: evenly over [0, T − 1], rounded', () => {
    expect(Array.from(spacedTimesteps(1000, 10, 'linspace'))).toEqual([
      999, 888, 777, 666, 555, 444, 333, 222, 111, 0,
    ]);
    expect(Array.from(spacedTimesteps(1000, 7, 'linspace'))).toEqual([
      999, 832, 666, 500, 333, 166, 0,
    ]);
  });

  it('trailing: from T − 1 down in steps of T/n', () => {
    expect(Array.from(spacedTimesteps(1000, 10, 'trailing'))).toEqual([
      999, 899, 799, 699, 599, 499, 399, 299, 199, 99,
    ]);
    expect(Array.from(spacedTimesteps(1000, 7, 'trailing'))).toEqual([
      999, 856, 713, 570, 428, 285, 142,
    ]);
  });

  it('rejects step counts outside [1, T] and offsets past the end', () => {
    expect(() => spacedTimesteps(1000, 0, 'leading')).toThrow(DiffusionInputError);
    expect(() => spacedTimesteps(1000, 1001, 'leading')).toThrow(/\[1, 1000\]/);
    expect(() => spacedTimesteps(1000, 2.5, 'trailing')).toThrow(/got 2.5/);
    expect(() => spacedTimesteps(10, 10, 'leading', 1)).toThrow(/past 9/);
  });
});
