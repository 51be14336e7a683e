import { median } from './accuracy-summary';

/** Euclidean distance between two vectors of the same length (float64 accumulation). */
export function euclideanDistance(a: Float32Array, b: Float32Array): number {
  if (a.length !== b.length) {
    throw new RangeError(`euclideanDistance: lengths ${a.length} and ${b.length} differ`);
  }
  let sum = 0;
  for (let i = 0; i < a.length; i++) {
    const d = a[i]! - b[i]!;
    sum += d * d;
  }
  return Math.sqrt(sum);
}

/** For each query, the distance to its nearest reference vector. */
export function nearestDistances(
  queries: readonly Float32Array[],
  references: readonly Float32Array[],
): number[] {
  if (references.length === 0) throw new RangeError('nearestDistances: no reference vectors');
  return queries.map((q) => {
    let best = Number.POSITIVE_INFINITY;
    for (const r of references) best = Math.min(best, euclideanDistance(q, r));
    return best;
  });
}

/** For each zoo vector, the distance to its nearest other zoo vector (needs two or more). */
export function zooNearestDistances(zoo: readonly Float32Array[]): number[] {
  if (zoo.length < 2) {
    throw new RangeError('zooNearestDistances: a zoo needs two checkpoints to have neighbours');
  }
  const best = new Array<number>(zoo.length).fill(Number.POSITIVE_INFINITY);
  for (let i = 0; i < zoo.length; i++) {
    for (let j = i + 1; j < zoo.length; j++) {
      const d = euclideanDistance(zoo[i]!, zoo[j]!);
      if (d < best[i]!) best[i] = d;
      if (d < best[j]!) best[j] = d;
    }
  }
  return best;
}

/** Nearest-neighbour distances of a generated set, relative to the zoo's own spacing. */
export interface NearestNeighbourRatio {
  /** Each generated vector's distance to its nearest zoo vector. */
  distances: number[];
  /** Median over the zoo of each checkpoint's distance to its nearest other checkpoint. */
  zooMedianDistance: number;
  /** `distances[i] / zooMedianDistance`. */
  ratios: number[];
}

/**
 * Distance from each generated model to its nearest zoo checkpoint, divided by the median
 * nearest-neighbour distance inside the zoo. About 1 means "as far from the zoo as zoo models
 * are from each other"; near 0 means a copy of a zoo checkpoint. Dividing by the zoo's own
 * spacing makes the number comparable across architectures of different sizes.
 */
export function nearestNeighbourRatio(
  generated: readonly Float32Array[],
  zoo: readonly Float32Array[],
  zooDistances: readonly number[] = zooNearestDistances(zoo),
): NearestNeighbourRatio {
  const zooMedianDistance = median(Float64Array.from(zooDistances).sort());
  const distances = nearestDistances(generated, zoo);
  return { distances, zooMedianDistance, ratios: distances.map((d) => d / zooMedianDistance) };
}
