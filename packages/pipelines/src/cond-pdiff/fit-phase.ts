import { AdamW, cosineWithWarmup, type Rng } from '@pgen/nn';
import * as tf from '@tensorflow/tfjs-core';
import { CondPdiffError } from './cond-pdiff-error';

/** Reported after every optimiser step of a fit phase. */
export interface CondPdiffFitProgress {
  phase: 'autoencoder' | 'diffusion';
  /** Steps done (1-based) and in all, in this phase. */
  step: number;
  steps: number;
  loss: number;
  /** Seconds left in this phase at the mean pace so far. */
  etaSeconds: number;
}

/** One training step's work: the loss closure for `minimize`, and the batch tensors it reads. */
export interface PhaseStep {
  loss: () => tf.Scalar;
  inputs: tf.Tensor[];
}

/** What {@link runFitPhase} trains. */
export interface FitPhaseOptions {
  phase: CondPdiffFitProgress['phase'];
  /** Names the phase in the divergence error (`autoencoder training`). */
  label: string;
  params: tf.Variable[];
  steps: number;
  /** Peak learning rate of the cosine schedule (2% warm-up). */
  lr: number;
  /** Builds step `step`'s batch and loss (0-based). */
  step: (step: number) => PhaseStep;
  onProgress?: (progress: CondPdiffFitProgress) => void;
}

/**
 * The optimisation loop both COND P-DIFF phases share: AdamW without weight decay, a cosine
 * schedule, gradient clipping at 1, a divergence check and progress after every step. Returns
 * the last step's loss.
 */
export async function runFitPhase(options: FitPhaseOptions): Promise<number> {
  const { steps, lr } = options;
  const optimizer = new AdamW(options.params, { lr, weightDecay: 0 });
  const schedule = cosineWithWarmup({
    baseLr: lr,
    warmupSteps: Math.floor(steps * 0.02),
    totalSteps: steps + 1,
  });
  const started = Date.now();
  let finalLoss = Number.NaN;
  try {
    for (let step = 0; step < steps; step++) {
      const work = options.step(step);
      optimizer.setLearningRate(schedule(step));
      const { loss } = optimizer.minimize(work.loss, { clipNorm: 1 });
      finalLoss = (await loss.data())[0]!;
      tf.dispose([...work.inputs, loss]);
      if (!Number.isFinite(finalLoss)) {
        throw new CondPdiffError(
          `${options.label} diverged: loss ${finalLoss} at step ${step + 1}`,
        );
      }
      const elapsed = (Date.now() - started) / 1000;
      options.onProgress?.({
        phase: options.phase,
        step: step + 1,
        steps,
        loss: finalLoss,
        etaSeconds: (elapsed / (step + 1)) * (steps - step - 1),
      });
    }
  } finally {
    optimizer.dispose();
  }
  return finalLoss;
}

/**
 * Copies `batch` rows of `source` ([count, dim] row-major), drawn uniformly with replacement,
 * into `into`; returns the drawn row indices.
 */
export function drawRows(
  source: Float32Array,
  count: number,
  into: Float32Array,
  rng: Rng,
): Int32Array {
  const dim = source.length / count;
  const batch = into.length / dim;
  const drawn = new Int32Array(batch);
  for (let r = 0; r < batch; r++) {
    const i = rng.int(count);
    into.set(source.subarray(i * dim, (i + 1) * dim), r * dim);
    drawn[r] = i;
  }
  return drawn;
}
