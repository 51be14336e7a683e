import { ParameterAutoencoder } from '@pgen/latent-ae';
import { AdamW, cosineWithWarmup, Rng } from '@pgen/nn';
import * as tf from '@tensorflow/tfjs-core';
import type { CondPdiffConfig } from './cond-pdiff-config';
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

/**
 * Trains p-diff's autoencoder on normalised adapter vectors [count, dim]: random mini-batches,
 * AdamW with a cosine schedule, the model's own input and latent noise (training mode). Ends in
 * eval mode and returns the last step's reconstruction loss.
 */
export async function fitAutoencoder(
  vectors: Float32Array,
  count: number,
  config: CondPdiffConfig,
  onProgress?: (progress: CondPdiffFitProgress) => void,
): Promise<{ autoencoder: ParameterAutoencoder; finalLoss: number }> {
  const dim = vectors.length / count;
  const autoencoder = new ParameterAutoencoder({
    inputDim: dim,
    channels: config.aeChannels,
    kernelSize: config.aeKernelSize,
    latentDim: config.latentDim,
    inputNoise: config.inputNoise,
    latentNoise: config.latentNoise,
    variational: config.variational,
    klWeight: config.klWeight,
    seed: config.seed,
  });
  const optimizer = new AdamW(autoencoder.parameters(), { lr: config.aeLr, weightDecay: 0 });
  const schedule = cosineWithWarmup({
    baseLr: config.aeLr,
    warmupSteps: Math.floor(config.aeSteps * 0.02),
    totalSteps: config.aeSteps + 1,
  });
  const rng = new Rng(config.seed + 1);
  const batch = Math.min(config.aeBatchSize, count);
  const rows = new Float32Array(batch * dim);
  const started = Date.now();
  let finalLoss = Number.NaN;
  try {
    autoencoder.train();
    for (let step = 0; step < config.aeSteps; step++) {
      for (let r = 0; r < batch; r++) {
        const i = rng.int(count);
        rows.set(vectors.subarray(i * dim, (i + 1) * dim), r * dim);
      }
      const x = tf.tensor2d(rows, [batch, dim]);
      optimizer.setLearningRate(schedule(step));
      const { loss } = optimizer.minimize(() => autoencoder.loss(x), { clipNorm: 1 });
      finalLoss = (await loss.data())[0]!;
      tf.dispose([x, loss]);
      if (!Number.isFinite(finalLoss)) {
        throw new CondPdiffError(
          `autoencoder training diverged: loss ${finalLoss} at step ${step + 1}`,
        );
      }
      const elapsed = (Date.now() - started) / 1000;
      onProgress?.({
        phase: 'autoencoder',
        step: step + 1,
        steps: config.aeSteps,
        loss: finalLoss,
        etaSeconds: (elapsed / (step + 1)) * (config.aeSteps - step - 1),
      });
    }
  } catch (error) {
    autoencoder.dispose();
    throw error;
  } finally {
    optimizer.dispose();
  }
  autoencoder.eval();
  return { autoencoder, finalLoss };
}

/** Latent means of `vectors` [count, dim] in eval mode, [count, latentDim], in batches. */
export async function encodeLatents(
  autoencoder: ParameterAutoencoder,
  vectors: Float32Array,
  count: number,
  batch = 64,
): Promise<Float32Array> {
  const dim = vectors.length / count;
  const latentDim = autoencoder.config.latentDim;
  const out = new Float32Array(count * latentDim);
  for (let start = 0; start < count; start += batch) {
    const end = Math.min(count, start + batch);
    const x = tf.tensor2d(vectors.subarray(start * dim, end * dim), [end - start, dim]);
    const z = autoencoder.encode(x, { training: false });
    out.set(await z.data(), start * latentDim);
    tf.dispose([x, z]);
  }
  return out;
}

/** Decodes latents [count, latentDim] to vectors [count, dim] in batches (eval mode). */
export async function decodeLatents(
  autoencoder: ParameterAutoencoder,
  latents: Float32Array,
  count: number,
  batch = 64,
): Promise<Float32Array> {
  const latentDim = autoencoder.config.latentDim;
  const dim = autoencoder.config.inputDim;
  const out = new Float32Array(count * dim);
  for (let start = 0; start < count; start += batch) {
    const end = Math.min(count, start + batch);
    const z = tf.tensor2d(latents.subarray(start * latentDim, end * latentDim), [
      end - start,
      latentDim,
    ]);
    const x = autoencoder.decode(z);
    out.set(await x.data(), start * dim);
    tf.dispose([x, z]);
  }
  return out;
}
