import { TaskEncoderError } from './errors';

/**
 * A handful of labelled examples of one task, e.g. 32 digits and their labels. `features` is
 * either one row-major array of `labels.length × inputSize` values (a slice of an image array
 * works as is) or one array of `inputSize` values per example.
 */
export interface LabelledSet {
  features: ArrayLike<number> | readonly ArrayLike<number>[];
  /** Class of each example, integers in 0…numClasses−1. */
  labels: ArrayLike<number>;
}

/** Sets packed for one batched forward pass. */
export interface PackedSets {
  /** Every example of every set, row-major [total, inputSize]. */
  inputs: Float32Array;
  /** One-hot labels, row-major [total, numClasses]. */
  oneHot: Float32Array;
  /** Mean-pooling weights, row-major [sets, total]: 1/|set| where the example is in the set. */
  pool: Float32Array;
  total: number;
}

/**
 * Checks and packs labelled sets. Sets may differ in size; the pooling matrix is the mask that
 * keeps each set's mean to its own examples, so no padding is needed.
 */
export function packLabelledSets(
  sets: readonly LabelledSet[],
  inputSize: number,
  numClasses: number,
  owner = 'DatasetEncoder',
): PackedSets {
  if (sets.length === 0) throw new TaskEncoderError(`${owner}: no sets to encode`);
  const sizes = sets.map((set, s) => {
    const count = set?.labels?.length ?? 0;
    if (count === 0) {
      throw new TaskEncoderError(
        `${owner}: set ${s} has no examples; a task needs at least one labelled example`,
      );
    }
    return count;
  });
  const total = sizes.reduce((a, b) => a + b, 0);
  const inputs = new Float32Array(total * inputSize);
  const oneHot = new Float32Array(total * numClasses);
  const pool = new Float32Array(sets.length * total);
  let row = 0;
  sets.forEach((set, s) => {
    const count = sizes[s]!;
    writeFeatures(set.features, count, inputSize, inputs, row * inputSize, `${owner}: set ${s}`);
    for (let i = 0; i < count; i++) {
      const label = set.labels[i]!;
      if (!Number.isInteger(label) || label < 0 || label >= numClasses) {
        throw new TaskEncoderError(
          `${owner}: set ${s}, example ${i} has label ${String(label)}, not a class in 0…${numClasses - 1}`,
        );
      }
      oneHot[(row + i) * numClasses + label] = 1;
      pool[s * total + row + i] = 1 / count;
    }
    row += count;
  });
  return { inputs, oneHot, pool, total };
}

function writeFeatures(
  features: LabelledSet['features'],
  count: number,
  inputSize: number,
  out: Float32Array,
  offset: number,
  where: string,
): void {
  // A plain array of numbers is the flat form; an array of arrays holds one row per example.
  const perExample =
    Array.isArray(features) && features.length > 0 && typeof features[0] !== 'number';
  if (perExample) {
    const rows = features as readonly ArrayLike<number>[];
    if (rows.length !== count) {
      throw new TaskEncoderError(`${where} has ${rows.length} feature rows for ${count} labels`);
    }
    rows.forEach((r, i) => {
      if (r?.length !== inputSize) {
        throw new TaskEncoderError(
          `${where}, example ${i} has ${r?.length} feature values, expected ${inputSize}`,
        );
      }
      copyFinite(r, out, offset + i * inputSize, where);
    });
    return;
  }
  const flat = features as ArrayLike<number>;
  if (flat?.length !== count * inputSize) {
    throw new TaskEncoderError(
      `${where} has ${flat?.length} feature values for ${count} examples of ${inputSize} (expected ${count * inputSize})`,
    );
  }
  copyFinite(flat, out, offset, where);
}

function copyFinite(values: ArrayLike<number>, out: Float32Array, offset: number, where: string) {
  for (let k = 0; k < values.length; k++) {
    const v = values[k]!;
    if (!Number.isFinite(v)) {
      throw new TaskEncoderError(`${where} has a non-finite feature value (${String(v)})`);
    }
    out[offset + k] = v;
  }
}
