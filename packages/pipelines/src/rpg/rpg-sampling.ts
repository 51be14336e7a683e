import type { TensorData } from '@pgen/checkpoint-io';
import {
  asDenoiser,
  type DenoiserModule,
  type SamplerKind,
  type Scheduler,
  sampleChunks,
} from '@pgen/diffusion-core';
import { Rng } from '@pgen/nn';
import type { TensorTokenizer } from '@pgen/tensor-tokenizer';
import * as tf from '@tensorflow/tfjs-core';
import type { PrototypeNetwork } from './prototype-network';

/** Options of one generated model. */
export interface RpgSampleOptions {
  /** Seed of this model's permutation state and diffusion noise. */
  seed: number;
  /** Denoising steps (default 50). */
  steps?: number;
  /** `ddim` (default, deterministic) or `ddpm`. */
  sampler?: SamplerKind;
  /** Tokens denoised at once (default 256); tfjs memory follows this, not the model size. */
  chunkSize?: number;
  /** Task code, for a task-conditioned network. */
  taskCode?: string;
}

/** What generating one model needs from a fitted pipeline. */
export interface RpgSamplingParts {
  tokenizer: TensorTokenizer;
  network: PrototypeNetwork;
  denoiser: DenoiserModule;
  scheduler: Scheduler;
  /** [tokenCount, dPos] position embeddings, row-major. */
  positions: Float32Array;
}

/**
 * Generates one model, yielding its tensors in state-dict order as soon as each is complete:
 * a random permutation state, the prior run once for every prototype, then the tokens sampled
 * `chunkSize` at a time, each chunk fed to the tokenizer's streaming decoder. Only one chunk
 * of tokens and the tensor being filled are held at a time.
 */
export async function* sampleRpgModel(
  parts: RpgSamplingParts,
  options: RpgSampleOptions,
): AsyncGenerator<[string, TensorData]> {
  if (parts.network.teacherForced) {
    yield* sampleTeacherForced(parts, options);
    return;
  }
  const { tokenizer, network, denoiser, scheduler } = parts;
  const [tokenCount, tokenSize] = tokenizer.shape;
  const dPos = parts.positions.length / tokenCount;
  const prototypes = tf.tidy(() => {
    const checkpoint = network.randomCheckpoint(new Rng(options.seed));
    const positions = tf.tensor2d(parts.positions, [tokenCount, dPos]);
    const codes = options.taskCode ? [options.taskCode] : undefined;
    return tf.squeeze(network.forward(positions, checkpoint, undefined, codes), [0]);
  });
  const decoder = tokenizer.createDecoder();
  try {
    const chunks = sampleChunks({
      scheduler,
      model: asDenoiser(denoiser),
      shape: [tokenCount, tokenSize],
      condition: (start, end) => tf.slice(prototypes, [start, 0], [end - start, -1]),
      steps: options.steps ?? 50,
      sampler: options.sampler ?? 'ddim',
      seed: options.seed,
      chunkSize: options.chunkSize ?? 256,
    });
    for await (const chunk of chunks) {
      let values: Float32Array;
      try {
        values = (await chunk.samples.data()) as Float32Array;
      } finally {
        chunk.samples.dispose();
      }
      yield* decoder.push(values);
    }
    yield* decoder.finish();
  } finally {
    prototypes.dispose();
  }
}

/**
 * Generation for a teacher-forced prior: prototype p depends on token p − 1, so tokens are
 * sampled one at a time, each after a prior pass over the sequence generated so far (later
 * positions hold zeros, which a causal prior never reads for p). Costs one prior pass per
 * token and holds the whole normalised sequence: memory is linear in the model size here.
 */
async function* sampleTeacherForced(
  parts: RpgSamplingParts,
  options: RpgSampleOptions,
): AsyncGenerator<[string, TensorData]> {
  const { tokenizer, network, denoiser, scheduler } = parts;
  const [tokenCount, tokenSize] = tokenizer.shape;
  const dPos = parts.positions.length / tokenCount;
  const mask = tokenizer.mask();
  const sequence = new Float32Array(tokenCount * tokenSize);
  const positions = tf.tensor2d(parts.positions, [tokenCount, dPos]);
  const checkpoint = network.randomCheckpoint(new Rng(options.seed));
  const decoder = tokenizer.createDecoder();
  try {
    for (let p = 0; p < tokenCount; p++) {
      const prototype = tf.tidy(() => {
        const tokens = tf.tensor3d(sequence, [1, tokenCount, tokenSize]);
        const codes = options.taskCode ? [options.taskCode] : undefined;
        return tf.slice(
          tf.squeeze(network.forward(positions, checkpoint, tokens, codes), [0]),
          [p, 0],
          [1, -1],
        );
      });
      let values: Float32Array;
      try {
        const chunks = sampleChunks({
          scheduler,
          model: asDenoiser(denoiser),
          shape: [1, tokenSize],
          condition: () => tf.clone(prototype),
          steps: options.steps ?? 50,
          sampler: options.sampler ?? 'ddim',
          // One seed per token, derived from the model's, so tokens get independent noise.
          seed: (options.seed * 7919 + p) % 2 ** 32,
          chunkSize: 1,
        });
        values = new Float32Array(tokenSize);
        for await (const chunk of chunks) {
          try {
            values = (await chunk.samples.data()) as Float32Array;
          } finally {
            chunk.samples.dispose();
          }
        }
      } finally {
        prototype.dispose();
      }
      for (let j = 0; j < tokenSize; j++) {
        sequence[p * tokenSize + j] = mask[p * tokenSize + j] ? values[j]! : 0;
      }
      yield* decoder.push(values);
    }
    yield* decoder.finish();
  } finally {
    positions.dispose();
    checkpoint.dispose();
  }
}
