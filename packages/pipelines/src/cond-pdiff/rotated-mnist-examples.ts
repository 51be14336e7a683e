import type { Rng } from '@pgen/nn';
import { MNIST_PIXELS, type MnistData, rotateMnist, selectMnist } from '@pgen/zoo';
import { CondPdiffError } from './cond-pdiff-error';
import type { CondPdiffTask, TaskExampleSource } from './cond-pdiff-task';

/**
 * Labelled examples of rotated-MNIST tasks, for the `examples` condition: `count` digits drawn
 * without replacement from `data` (the training split), rotated by the task's angle (its first
 * descriptor value, degrees counter-clockwise), labelled with their digit; 784 values each in
 * [0, 1]. Only the drawn digits are rotated, so a step costs `count` rotations, not a dataset.
 */
export function rotatedMnistExamples(data: MnistData): TaskExampleSource {
  return (task: CondPdiffTask, count: number, rng: Rng) => {
    if (count > data.count) {
      throw new CondPdiffError(`${count} examples per task asked of ${data.count} images`);
    }
    const angle = task.descriptor[0];
    if (angle === undefined || !Number.isFinite(angle)) {
      throw new CondPdiffError(`task "${task.name}" has no rotation angle to draw examples with`);
    }
    const chosen = new Set<number>();
    while (chosen.size < count) chosen.add(rng.int(data.count));
    const rotated = rotateMnist(selectMnist(data, [...chosen]), angle);
    return { features: rotated.images.subarray(0, count * MNIST_PIXELS), labels: rotated.labels };
  };
}
