import { ZooError } from '../errors';
import { MNIST_CLASSES, type MnistData } from './mnist-data';

/**
 * Checks a 10-bit class code (RPG's unseen-task study) and returns the set of positive digits:
 * character i is class i's bit, so `0010000000` is the task "is it a 2?".
 */
export function parseTaskCode(code: string): Set<number> {
  if (!/^[01]{10}$/.test(code)) {
    throw new ZooError(`task code "${code}" must be ${MNIST_CLASSES} characters of 0 and 1`);
  }
  const positive = new Set<number>();
  for (let i = 0; i < MNIST_CLASSES; i++) if (code[i] === '1') positive.add(i);
  return positive;
}

/**
 * The same images with binary labels: 1 where the image's class has its bit set in `code`,
 * else 0. Images are shared with `data`, not copied.
 */
export function binaryTaskView(data: MnistData, code: string): MnistData {
  const positive = parseTaskCode(code);
  const labels = new Int32Array(data.count);
  for (let i = 0; i < data.count; i++) labels[i] = positive.has(data.labels[i]!) ? 1 : 0;
  return { images: data.images, labels, count: data.count };
}

/**
 * `count` distinct task codes drawn with a seeded generator, excluding the trivial all-0 and
 * all-1 codes and any in `exclude` (held-out tasks), so a tasks zoo gets varied, reproducible
 * tasks.
 */
export function randomTaskCodes(
  count: number,
  rng: { int(n: number): number },
  exclude: ReadonlySet<string> = new Set(),
): string[] {
  const max = 2 ** MNIST_CLASSES - 2;
  const excluded = [...exclude].filter((c) => /^(?!0+$|1+$)[01]{10}$/.test(c)).length;
  if (count > max - excluded) {
    throw new ZooError(`at most ${max - excluded} distinct non-trivial task codes exist here`);
  }
  const seen = new Set<string>();
  while (seen.size < count) {
    const value = 1 + rng.int(max);
    // Bit i of the integer is class i, so the string is the integer's bits written low to high.
    const code = Array.from({ length: MNIST_CLASSES }, (_, i) =>
      (value >> i) & 1 ? '1' : '0',
    ).join('');
    if (!exclude.has(code)) seen.add(code);
  }
  return [...seen];
}
