import { Rng } from '@pgen/nn';
import * as tf from '@tensorflow/tfjs-core';
import { MNIST_PIXELS, MNIST_SIDE, type MnistData } from '../mnist/mnist-data';

/**
 * A seed derived from (seed, a, b) by integer hashing. Training draws its batch order and
 * augmentation from `Rng(mixSeed(seed, epoch, step))` instead of one running generator, so a
 * resumed run draws exactly what an uninterrupted one would have.
 */
export function mixSeed(seed: number, a: number, b = 0): number {
  let h = (seed ^ 0x9e3779b9) >>> 0;
  for (const v of [a, b]) {
    h = Math.imul(h ^ (v >>> 0), 0x85ebca6b) >>> 0;
    h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35) >>> 0;
    h = (h ^ (h >>> 16)) >>> 0;
  }
  return h;
}

/** The image order of one epoch: a seeded permutation of 0…count−1. */
export function epochOrder(count: number, seed: number, epoch: number): Int32Array {
  const rng = new Rng(mixSeed(seed, epoch, 0x0e0c));
  return rng.shuffle(Int32Array.from({ length: count }, (_, i) => i));
}

/**
 * Copies image `src` of `images` into `out` at `dst`, shifted by (dy, dx) pixels with zero fill:
 * the ±2 px translation that helps an 8,000-image training set.
 */
function copyShifted(
  images: Float32Array,
  src: number,
  out: Float32Array,
  dst: number,
  dy: number,
  dx: number,
): void {
  const from = src * MNIST_PIXELS;
  const to = dst * MNIST_PIXELS;
  for (let y = 0; y < MNIST_SIDE; y++) {
    const sy = y - dy;
    if (sy < 0 || sy >= MNIST_SIDE) continue;
    const x0 = Math.max(0, dx);
    const x1 = Math.min(MNIST_SIDE, MNIST_SIDE + dx);
    const row = images.subarray(from + sy * MNIST_SIDE + x0 - dx, from + sy * MNIST_SIDE + x1 - dx);
    out.set(row, to + y * MNIST_SIDE + x0);
  }
}

export interface BatchOptions {
  /** Largest random translation in pixels on each axis (default 0: none). */
  maxShift?: number;
  /** Source of the shifts (required when `maxShift` > 0). */
  rng?: Rng;
}

/**
 * The images at `indices` as an NHWC tensor [n, 28, 28, 1] and their labels as int32 [n],
 * optionally randomly translated. The caller disposes both.
 */
export function makeBatch(
  data: MnistData,
  indices: ArrayLike<number>,
  options: BatchOptions = {},
): { images: tf.Tensor4D; labels: tf.Tensor1D } {
  const n = indices.length;
  const maxShift = options.maxShift ?? 0;
  const pixels = new Float32Array(n * MNIST_PIXELS);
  const labels = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    const src = indices[i]!;
    labels[i] = data.labels[src]!;
    if (maxShift > 0 && options.rng) {
      const span = 2 * maxShift + 1;
      copyShifted(
        data.images,
        src,
        pixels,
        i,
        options.rng.int(span) - maxShift,
        options.rng.int(span) - maxShift,
      );
    } else {
      pixels.set(
        data.images.subarray(src * MNIST_PIXELS, (src + 1) * MNIST_PIXELS),
        i * MNIST_PIXELS,
      );
    }
  }
  return {
    images: tf.tensor4d(pixels, [n, MNIST_SIDE, MNIST_SIDE, 1]),
    labels: tf.tensor1d(labels, 'int32'),
  };
}
