import {
  asDenoiser,
  createGenerator,
  type DdpmScheduler,
  type DenoiserModule,
  diffusionTrainingLoss,
} from '@pgen/diffusion-core';
import { AdamW, cosineWithWarmup, Rng } from '@pgen/nn';
import type { AnyTaskEncoder } from '@pgen/task-encoder';
import * as tf from '@tensorflow/tfjs-core';
import type { CondPdiffFitProgress } from './autoencoder-fit';
import type { CondPdiffConfig } from './cond-pdiff-config';
import { CondPdiffError } from './cond-pdiff-error';
import type { CondPdiffTask, TaskExampleSource } from './cond-pdiff-task';
import { encodeTrainingTasks } from './condition-encoder';

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
  const params = [...denoiser.parameters(), ...encoder.parameters()];
  const optimizer = new AdamW(params, { lr: config.diffusionLr, weightDecay: 0 });
  const schedule = cosineWithWarmup({
    baseLr: config.diffusionLr,
    warmupSteps: Math.floor(config.diffusionSteps * 0.02),
    totalSteps: config.diffusionSteps + 1,
  });
  const model = asDenoiser(denoiser);
  const rng = new Rng(config.seed + 2);
  const batch = Math.min(config.diffusionBatchSize, count);
  const rows = new Float32Array(batch * dim);
  const started = Date.now();
  let finalLoss = Number.NaN;
  denoiser.train();
  encoder.train();
  try {
    for (let step = 0; step < config.diffusionSteps; step++) {
      const distinct: number[] = [];
      const slot = new Map<number, number>();
      const rowTask = new Int32Array(batch);
      for (let r = 0; r < batch; r++) {
        const i = rng.int(count);
        rows.set(latents.subarray(i * dim, (i + 1) * dim), r * dim);
        const task = taskOf[i]!;
        if (!slot.has(task)) {
          slot.set(task, distinct.length);
          distinct.push(task);
        }
        rowTask[r] = slot.get(task)!;
      }
      const x0 = tf.tensor2d(rows, [batch, dim]);
      const gatherIndex = tf.tensor1d(rowTask, 'int32');
      const noise = createGenerator(config.seed, 1 + step);
      optimizer.setLearningRate(schedule(step));
      const { loss } = optimizer.minimize(
        () =>
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
          }),
        { clipNorm: 1 },
      );
      finalLoss = (await loss.data())[0]!;
      tf.dispose([x0, gatherIndex, loss]);
      if (!Number.isFinite(finalLoss)) {
        throw new CondPdiffError(
          `latent diffusion diverged: loss ${finalLoss} at step ${step + 1}`,
        );
      }
      const elapsed = (Date.now() - started) / 1000;
      onProgress?.({
        phase: 'diffusion',
        step: step + 1,
        steps: config.diffusionSteps,
        loss: finalLoss,
        etaSeconds: (elapsed / (step + 1)) * (config.diffusionSteps - step - 1),
      });
    }
  } finally {
    optimizer.dispose();
    denoiser.eval();
    encoder.eval();
  }
  return finalLoss;
}
