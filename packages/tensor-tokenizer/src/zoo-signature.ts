import type { DType, StateDict } from '@pgen/checkpoint-io';
import { describeCheckpoint, formatShape, ZooMismatchError } from './errors';

/**
 * Checks that `checkpoint` has exactly the names, shapes and dtypes of `reference` (checkpoint
 * #0), and throws `ZooMismatchError` naming the checkpoint, the tensor and the first difference.
 * Order is not compared: tensors are looked up by name.
 */
export function assertSameSignature(
  reference: ReadonlyMap<string, { dtype: DType; shape: readonly number[] }>,
  checkpoint: StateDict,
  index: number,
  name?: string,
  referenceName?: string,
): void {
  const where = describeCheckpoint(index, name);
  const first = describeCheckpoint(0, referenceName);
  for (const [tensorName, expected] of reference) {
    const actual = checkpoint.get(tensorName);
    if (!actual) {
      throw new ZooMismatchError(`${where} lacks tensor "${tensorName}" that ${first} has`);
    }
    if (actual.dtype !== expected.dtype) {
      throw new ZooMismatchError(
        `${where}: tensor "${tensorName}" is ${actual.dtype}, ${first} has ${expected.dtype}`,
      );
    }
    const sameShape =
      actual.shape.length === expected.shape.length &&
      actual.shape.every((d, i) => d === expected.shape[i]);
    if (!sameShape) {
      throw new ZooMismatchError(
        `${where}: tensor "${tensorName}" has shape ${formatShape(actual.shape)}, ` +
          `${first} has ${formatShape(expected.shape)}`,
      );
    }
  }
  for (const tensorName of checkpoint.keys()) {
    if (!reference.has(tensorName)) {
      throw new ZooMismatchError(`${where} has tensor "${tensorName}" that ${first} lacks`);
    }
  }
}
