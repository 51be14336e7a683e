import type { StateDict } from '@pgen/checkpoint-io';
import type { Rng } from '@pgen/nn';
import type { LabelledSet } from '@pgen/task-encoder';

/** One task of a COND P-DIFF zoo. */
export interface CondPdiffTask {
  /** Unique name, e.g. `rot-045`. */
  name: string;
  /** Continuous descriptor values, e.g. `[45]` for MNIST rotated by 45°. */
  descriptor: number[];
}

/** One training adapter: its tensors (PEFT keys) and the name of its task. */
export interface CondPdiffSample {
  tensors: StateDict;
  task: string;
}

/**
 * Draws `count` labelled examples of `task` (for the `examples` condition): a fresh set every
 * training step, so the encoder learns to read the task rather than one particular set.
 */
export type TaskExampleSource = (task: CondPdiffTask, count: number, rng: Rng) => LabelledSet;

/**
 * The condition to generate for, by kind: a descriptor (for `descriptor`; a training task's
 * name also works), a training task's name (for `embedding`), or labelled examples (for
 * `examples`).
 */
export interface CondPdiffCondition {
  task?: string;
  descriptor?: number[];
  examples?: LabelledSet;
}
