import { type OpenedLoraZoo, readLoraZoo } from '@pgen/zoo';
import { CondPdiffError } from './cond-pdiff-error';
import type { CondPdiffFitInput } from './cond-pdiff-pipeline';
import type { CondPdiffSample, CondPdiffTask } from './cond-pdiff-task';

/** Which of a LoRA zoo's adapters to train on. */
export interface LoraZooSelection {
  /** Rotation angles left out of training (held-out tasks); default none. */
  excludeAngles?: readonly number[];
  /** Use only every k-th saved adapter of each task, newest first (default 1: all of them). */
  adapterStride?: number;
}

/** A LoRA zoo as COND P-DIFF training input, plus the opened zoo for evaluation. */
export interface LoraZooInput extends CondPdiffFitInput {
  zoo: OpenedLoraZoo;
}

/**
 * Reads a rotated-MNIST LoRA zoo (`pgen zoo lora`) as COND P-DIFF input: each task becomes
 * `{ name: 'rot-015', descriptor: [15] }` and each of its saved adapters a sample. Every
 * adapter must share the first one's PEFT config (rank, alpha, targets); a mismatch names the
 * folder. Excluded angles must exist in the zoo, so a typo in a held-out list is caught.
 */
export async function readLoraZooInput(
  dir: string,
  selection: LoraZooSelection = {},
): Promise<LoraZooInput> {
  const zoo = await readLoraZoo(dir);
  const exclude = new Set(selection.excludeAngles ?? []);
  const stride = selection.adapterStride ?? 1;
  if (!Number.isInteger(stride) || stride < 1) {
    throw new CondPdiffError(`adapterStride must be a positive integer, got ${stride}`);
  }
  const angles = new Set(zoo.manifest.tasks.map((t) => t.angle));
  for (const angle of exclude) {
    if (!angles.has(angle)) {
      throw new CondPdiffError(
        `${dir}: held-out angle ${angle}° is not a task of this zoo (angles: ${[...angles].join(', ')})`,
      );
    }
  }
  const chainSkip = new Set(zoo.manifest.chain?.skip ?? []);
  const startingPoints = [...exclude].filter((a) => zoo.manifest.chain && !chainSkip.has(a));
  if (startingPoints.length > 0) {
    // A seen task started from a held-out task's adapter would carry it into training.
    throw new CondPdiffError(
      `${dir}: was trained as a chain that starts later tasks from held-out angle(s) ` +
        `${startingPoints.join(', ')}°; collect it with those angles in --chain-skip`,
    );
  }
  const tasks: CondPdiffTask[] = [];
  const samples: CondPdiffSample[] = [];
  let loraConfig: CondPdiffFitInput['loraConfig'] | undefined;
  let reference = '';
  for (const task of zoo.manifest.tasks) {
    if (exclude.has(task.angle)) continue;
    tasks.push({ name: task.name, descriptor: [task.angle] });
    const entries = [...task.adapters].reverse().filter((_, i) => i % stride === 0);
    for (const entry of entries) {
      const adapter = await zoo.loadAdapter(entry);
      const json = JSON.stringify({ ...adapter.config, raw: undefined });
      if (!loraConfig) {
        loraConfig = adapter.config;
        reference = json;
      } else if (json !== reference) {
        throw new CondPdiffError(
          `${zoo.adapterPath(entry)}: its adapter config differs from the zoo's first adapter`,
        );
      }
      samples.push({ task: task.name, tensors: adapter.tensors });
    }
  }
  if (!loraConfig || tasks.length === 0) {
    throw new CondPdiffError(
      `${dir}: no adapters to train on (every task finished and not excluded)`,
    );
  }
  return { zoo, tasks, samples, loraConfig };
}
