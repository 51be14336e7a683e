import { iou, type WrongSet } from './wrong-set';

/**
 * Mean IoU over all unordered pairs of distinct models of one set (original–original or
 * generated–generated); a model's IoU with itself is always 1 and would inflate the mean.
 * NaN when the set has fewer than two models: there is no pair to compare.
 */
export function meanIouWithin(sets: readonly WrongSet[]): number {
  let sum = 0;
  let pairs = 0;
  for (let i = 0; i < sets.length; i++) {
    for (let j = i + 1; j < sets.length; j++) {
      sum += iou(sets[i]!, sets[j]!);
      pairs++;
    }
  }
  return pairs === 0 ? Number.NaN : sum / pairs;
}

/** Mean IoU over every (a, b) pair with `a` from the first set and `b` from the second. */
export function meanIouBetween(a: readonly WrongSet[], b: readonly WrongSet[]): number {
  let sum = 0;
  for (const x of a) for (const y of b) sum += iou(x, y);
  const pairs = a.length * b.length;
  return pairs === 0 ? Number.NaN : sum / pairs;
}

/**
 * For each generated model, its highest IoU with any zoo model: near 1 means it behaves like
 * a copy of some training checkpoint (memorised), lower means genuinely new behaviour.
 */
export function maxIouWithZoo(generated: readonly WrongSet[], zoo: readonly WrongSet[]): number[] {
  if (zoo.length === 0) throw new RangeError('maxIouWithZoo: the zoo has no models');
  return generated.map((g) => {
    let best = Number.NEGATIVE_INFINITY;
    for (const z of zoo) best = Math.max(best, iou(g, z));
    return best;
  });
}
