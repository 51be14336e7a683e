import { describe, expect, it } from 'vitest';
import {
  euclideanDistance,
  nearestDistances,
  nearestNeighbourRatio,
  zooNearestDistances,
} from './nearest-neighbour';

const v = (...xs: number[]) => Float32Array.from(xs);

describe('nearest-neighbour ratio', () => {
  // Zoo on a line at 0, 1, 3, 7: nearest-neighbour distances 1, 1, 2, 4 → median 1.5.
  const zoo = [v(0, 0), v(1, 0), v(3, 0), v(7, 0)];

  it('measures Euclidean distance', () => {
    expect(euclideanDistance(v(0, 0), v(3, 4))).toBe(5);
    expect(() => euclideanDistance(v(1), v(1, 2))).toThrow(/differ/);
  });

  it("finds each zoo checkpoint's nearest other checkpoint", () => {
    expect(zooNearestDistances(zoo)).toEqual([1, 1, 2, 4]);
    expect(() => zooNearestDistances([v(1)])).toThrow(/two checkpoints/);
  });

  it('divides distance to the nearest zoo vector by the zoo median NN distance', () => {
    // (1, 0.75) is 0.75 from (1, 0); (5, 0) is 2 from both 3 and 7; (1, 0) is a copy.
    const r = nearestNeighbourRatio([v(1, 0.75), v(5, 0), v(1, 0)], zoo);
    expect(r.zooMedianDistance).toBe(1.5);
    expect(r.distances).toEqual([0.75, 2, 0]);
    expect(r.ratios).toEqual([0.5, 2 / 1.5, 0]);
  });

  it('needs references to search', () => {
    expect(() => nearestDistances([v(1)], [])).toThrow(/no reference/);
  });
});
