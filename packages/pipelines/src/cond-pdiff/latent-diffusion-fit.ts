import {
  asDenoiser,
  createGenerator,
  type DdpmScheduler,
  type DenoiserModule,
  diffusionTrainingLoss,
} from '@pgen/diffusion-core';
import { Rng } from '@pgen/nn';
import type { AnyTaskEncoder } from '@pgen/task-encoder';
import * as tf from '@tensorflow/tfjs-core';
import type { CondPdiffConfig } from './cond-pdiff-config';
import type { CondPdiffTask, TaskExampleSource } from './cond-pdiff-task';
import { encodeTrainingTasks } from './condition-encoder';
import { type CondPdiffFitProgress, drawRows, runFitPhase } from './fit-phase';

/** What {@link fitLatentDiffusion} trains, in place. */
export interface LatentDiffusionParts {
  denoiser: DenoiserModule;
  encoder: AnyTaskEncoder;
  scheduler: DdpmScheduler;
  /** Standardised latents, row-major [count, latentDim]. */
  latents: Float32Array;
  /** Index into `tasks` of each latent's task. */
  taskOf: Int32Array;
  tasks: readonly CondPdiffTask[];
  examples?: TaskExampleSource;
}

/**
 * Trains the latent denoiser and the task encoder jointly, with one AdamW over both: each step
 * draws a batch of latents, encodes each distinct task of the batch once (descriptor, embedding
 * or a fresh example set) and trains on the scheduler's target conditioned on those vectors.
 * Returns the last step's loss; leaves both modules in eval mode.
 */
export async function fitLatentDiffusion(
  parts: LatentDiffusionParts,
  config: CondPdiffConfig,
  onProgress?: (progress: CondPdiffFitProgress) => void,
): Promise<number> {
  const { denoiser, encoder, scheduler, latents, taskOf, tasks } = parts;
  const count = taskOf.length;
  const dim = latents.length / count;
  const model = asDenoiser(denoiser);
  const rng = new Rng(config.seed + 2);
  const rows = new Float32Array(Math.min(config.diffusionBatchSize, count) * dim);
  denoiser.train();
  encoder.train();
  try {
    return await runFitPhase({
      phase: 'diffusion',
      label: 'latent diffusion',
      params: [...denoiser.parameters(), ...encoder.parameters()],
      steps: config.diffusionSteps,
      lr: config.diffusionLr,
      step: (step) => {
        // Each distinct task of the batch is encoded once; rows gather their task's vector.
        const distinct: number[] = [];
        const slot = new Map<number, number>();
        const rowTask = Int32Array.from(drawRows(latents, count, rows, rng), (i) => {
          const task = taskOf[i]!;
          if (!slot.has(task)) {
            slot.set(task, distinct.length);
            distinct.push(task);
          }
          return slot.get(task)!;
        });
        const x0 = tf.tensor2d(rows, [rowTask.length, dim]);
        const gatherIndex = tf.tensor1d(rowTask, 'int32');
        const noise = createGenerator(config.seed, 1 + step);
        const loss = () =>
          tf.tidy(() => {
            const perTask = encodeTrainingTasks(
              encoder,
              config,
              tasks,
              distinct,
              parts.examples,
              rng,
            );
            return diffusionTrainingLoss({
              scheduler,
              model,
              x0,
              condition: tf.gather(perTask, gatherIndex),
              rng: noise,
            });
          });
        return { loss, inputs: [x0, gatherIndex] };
      },
      onProgress,
    });
  } finally {
    denoiser.eval();
    encoder.eval();
  }
}
