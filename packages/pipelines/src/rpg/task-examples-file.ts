import { readSafetensors, type TensorData } from '@pgen/checkpoint-io';
import type { LabelledSet } from '@pgen/task-encoder';
import { MNIST_PIXELS } from '@pgen/zoo';
import { RpgError } from './rpg-error';

/**
 * Reads labelled examples of a task from a safetensors file: `images` [n, 28, 28] or [n, 784]
 * (F32 in [0, 1], or U8 0–255) and `labels` [n] (integers 0…numClasses−1: by default 0 or 1,
 * a binary task's classes; digits 0–9 for rotated MNIST). Anything else is one error naming the
 * file and the problem.
 */
export async function readTaskExamples(
  path: string,
  options: { numClasses?: number } = {},
): Promise<LabelledSet> {
  const numClasses = options.numClasses ?? 2;
  let tensors: Map<string, TensorData>;
  try {
    tensors = (await readSafetensors(path)).tensors;
  } catch (error) {
    throw new RpgError(`${path}: cannot read task examples (${(error as Error).message})`);
  }
  const images = tensors.get('images');
  const labels = tensors.get('labels');
  if (!images || !labels) {
    throw new RpgError(
      `${path}: needs tensors "images" and "labels", found ${[...tensors.keys()].join(', ') || 'none'}`,
    );
  }
  const n = images.shape[0] ?? 0;
  const perImage = images.shape.slice(1).reduce((a, b) => a * b, 1);
  if (n < 1 || perImage !== MNIST_PIXELS) {
    throw new RpgError(
      `${path}: images has shape [${images.shape}], expected [n, 28, 28] or [n, 784]`,
    );
  }
  if (labels.shape.length !== 1 || labels.shape[0] !== n) {
    throw new RpgError(`${path}: labels has shape [${labels.shape}], expected [${n}]`);
  }
  let features: Float32Array;
  if (images.dtype === 'U8') {
    features = Float32Array.from(images.data as Uint8Array, (v) => v / 255);
  } else if (images.dtype === 'F32') {
    features = images.data as Float32Array;
    const bad = features.findIndex((v) => !(v >= 0 && v <= 1));
    if (bad >= 0) {
      throw new RpgError(
        `${path}: images value ${features[bad]} at index ${bad} is outside [0, 1]`,
      );
    }
  } else {
    throw new RpgError(`${path}: images must be F32 or U8, got ${images.dtype}`);
  }
  const ints = Int32Array.from(labels.data as ArrayLike<number | bigint>, Number);
  const badLabel = ints.findIndex((v) => !(v >= 0 && v < numClasses));
  if (badLabel >= 0 || !['I32', 'I64', 'U8', 'I8'].includes(labels.dtype)) {
    throw new RpgError(
      `${path}: labels must be integers ${numClasses === 2 ? '0 or 1' : `0…${numClasses - 1}`} (${labels.dtype}${badLabel >= 0 ? `, found ${ints[badLabel]} at ${badLabel}` : ''})`,
    );
  }
  return { features, labels: ints };
}
