import { ParameterAutoencoder } from '@pgen/latent-ae';
import { Rng } from '@pgen/nn';
import * as tf from '@tensorflow/tfjs-core';
import type { CondPdiffConfig } from './cond-pdiff-config';
import { type CondPdiffFitProgress, drawRows, runFitPhase } from './fit-phase';

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
  const rng = new Rng(config.seed + 1);
  const rows = new Float32Array(Math.min(config.aeBatchSize, count) * dim);
  let finalLoss: number;
  try {
    autoencoder.train();
    finalLoss = await runFitPhase({
      phase: 'autoencoder',
      label: 'autoencoder training',
      params: autoencoder.parameters(),
      steps: config.aeSteps,
      lr: config.aeLr,
      step: () => {
        drawRows(vectors, count, rows, rng);
        const x = tf.tensor2d(rows, [rows.length / dim, dim]);
        return { loss: () => autoencoder.loss(x), inputs: [x] };
      },
      onProgress,
    });
  } catch (error) {
    autoencoder.dispose();
    throw error;
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
