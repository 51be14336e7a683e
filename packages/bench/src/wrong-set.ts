/**
 * The test examples a model gets wrong, as a sorted list of example indices. p-diff measures
 * how alike two models behave by how much these sets overlap, which sees through weight-space
 * symmetries that make parameter distances misleading.
 */
export type WrongSet = Int32Array;

/** Indices `i` (ascending) where `predictions[i] !== labels[i]`. */
export function wrongSet(predictions: ArrayLike<number>, labels: ArrayLike<number>): WrongSet {
  if (predictions.length !== labels.length) {
    throw new RangeError(`wrongSet: ${predictions.length} predictions for ${labels.length} labels`);
  }
  const out: number[] = [];
  for (let i = 0; i < labels.length; i++) if (predictions[i] !== labels[i]) out.push(i);
  return Int32Array.from(out);
}

/**
 * Intersection over union of two wrong sets (sorted, as `wrongSet` makes them). Two models
 * that both classify everything correctly behave identically, so the IoU of two empty sets
 * is 1, not 0/0.
 */
export function iou(a: WrongSet, b: WrongSet): number {
  let i = 0;
  let j = 0;
  let common = 0;
  while (i < a.length && j < b.length) {
    const x = a[i]!;
    const y = b[j]!;
    if (x === y) {
      common++;
      i++;
      j++;
    } else if (x < y) i++;
    else j++;
  }
  const union = a.length + b.length - common;
  return union === 0 ? 1 : common / union;
}
