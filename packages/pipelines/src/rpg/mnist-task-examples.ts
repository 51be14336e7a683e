import type { Rng } from '@pgen/nn';
import type { LabelledSet } from '@pgen/task-encoder';
import { MNIST_PIXELS, type MnistData, parseTaskCode } from '@pgen/zoo';

/**
 * A source of labelled examples of binary MNIST tasks, for the `task-examples` condition:
 * `count` digits drawn (without replacement) from `data`, each labelled 1 when its digit's
 * bit is set in the task code, pixels in [0, 1] as 784 values per example.
 */
export function mnistTaskExamples(
  data: MnistData,
  count: number,
): (code: string, rng: Rng) => LabelledSet {
  if (count > data.count) {
    throw new Error(`${count} examples per task asked of ${data.count} images`);
  }
  return (code, rng) => {
    const positive = parseTaskCode(code);
    const features = new Float32Array(count * MNIST_PIXELS);
    const labels = new Int32Array(count);
    const chosen = new Set<number>();
    while (chosen.size < count) chosen.add(rng.int(data.count));
    let k = 0;
    for (const i of chosen) {
      features.set(
        data.images.subarray(i * MNIST_PIXELS, (i + 1) * MNIST_PIXELS),
        k * MNIST_PIXELS,
      );
      labels[k] = positive.has(data.labels[i]!) ? 1 : 0;
      k++;
    }
    return { features, labels };
  };
}
