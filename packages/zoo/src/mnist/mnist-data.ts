import { ZooError } from '../errors';

/** Side of an MNIST image in pixels. */
export const MNIST_SIDE = 28;
/** Pixels per MNIST image. */
export const MNIST_PIXELS = MNIST_SIDE * MNIST_SIDE;
/** Digit classes. */
export const MNIST_CLASSES = 10;

/** Images and labels held in plain typed arrays, so datasets cost no tfjs memory until batched. */
export interface MnistData {
  /** [count, 28, 28] row-major, values in [0, 1]. */
  images: Float32Array;
  /** One class per image: the digit, or 0/1 in a binary task view. */
  labels: Int32Array;
  /** Number of images. */
  count: number;
}

/** The images at `indices`, in that order (copied). */
export function selectMnist(data: MnistData, indices: ArrayLike<number>): MnistData {
  const count = indices.length;
  const images = new Float32Array(count * MNIST_PIXELS);
  const labels = new Int32Array(count);
  for (let i = 0; i < count; i++) {
    const src = indices[i]!;
    if (!(src >= 0 && src < data.count)) {
      throw new ZooError(`selectMnist: index ${src} is outside the dataset of ${data.count}`);
    }
    images.set(
      data.images.subarray(src * MNIST_PIXELS, (src + 1) * MNIST_PIXELS),
      i * MNIST_PIXELS,
    );
    labels[i] = data.labels[src]!;
  }
  return { images, labels, count };
}

/** The first `count` images (copied); handy for quick tests and benchmarks. */
export function headMnist(data: MnistData, count: number): MnistData {
  const n = Math.min(count, data.count);
  return selectMnist(
    data,
    Array.from({ length: n }, (_, i) => i),
  );
}

/** How many images each label has, indexed by label. */
export function countLabels(data: MnistData): number[] {
  const counts: number[] = [];
  for (const label of data.labels) counts[label] = (counts[label] ?? 0) + 1;
  return Array.from(counts, (c) => c ?? 0);
}
