import type { TensorData } from '@pgen/checkpoint-io';
import {
  asDenoiser,
  type DenoiserModule,
  type SamplerKind,
  type Scheduler,
  sampleChunks,
} from '@pgen/diffusion-core';
import { Rng } from '@pgen/nn';
import type { LabelledSet } from '@pgen/task-encoder';
import type { TensorTokenizer } from '@pgen/tensor-tokenizer';
import * as tf from '@tensorflow/tfjs-core';
import type { PrototypeNetwork, RpgTaskInput } from './prototype-network';

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
  /** Task code (or soft code), for a task-code-conditioned network. */
  taskCode?: string | readonly number[];
  /** Labelled examples of the task, for a task-examples-conditioned network. */
  taskExamples?: LabelledSet;
}

/** The network's task input for one model, from the options. */
function taskInput(options: RpgSampleOptions): RpgTaskInput | undefined {
  if (options.taskExamples) return [options.taskExamples];
  return options.taskCode ? [options.taskCode] : undefined;
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
 * a random permutation state, then the tokens sampled `chunkSize` at a time, each chunk's
 * prototypes computed by the prior just before (window by window, its state carried between
 * windows) and each chunk fed to the tokenizer's streaming decoder. Only one chunk of tokens,
 * its prototypes and the tensor being filled are held at a time, so memory stays flat in the
 * model size (a Transformer prior, which cannot carry a state, runs once over every position).
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
  const checkpoint = network.randomCheckpoint(new Rng(options.seed));
  const prototypes = new PrototypeWindows(parts, checkpoint, taskInput(options));
  const decoder = tokenizer.createDecoder();
  try {
    const chunks = sampleChunks({
      scheduler,
      model: asDenoiser(denoiser),
      shape: [tokenCount, tokenSize],
      condition: (start, end) => prototypes.window(start, end),
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
    checkpoint.dispose();
  }
}

/**
 * Prototypes of consecutive windows [start, end) of one model's positions, asked for in order.
 * A segmentable prior runs each window from the state the previous one left; otherwise the
 * prior runs once over every position and windows are slices of that.
 */
class PrototypeWindows {
  private state: tf.Tensor[] | undefined;
  private all: tf.Tensor | undefined;
  private next = 0;

  constructor(
    private readonly parts: RpgSamplingParts,
    private readonly checkpoint: tf.Tensor,
    private readonly task: RpgTaskInput | undefined,
  ) {}

  /**
   * [end − start, dModel]; belongs to the caller. `previousTokens` [1, end − start, tokenSize]
   * holds the clean token before each position, for a teacher-forced network.
   */
  window(start: number, end: number, previousTokens?: tf.Tensor): tf.Tensor {
    const { network, positions } = this.parts;
    const total = this.parts.tokenizer.shape[0];
    const dPos = positions.length / total;
    if (!network.segmentable) {
      this.all ??= tf.tidy(() => {
        const all = tf.tensor2d(positions, [total, dPos]);
        return tf.squeeze(network.forward(all, this.checkpoint, undefined, this.task), [0]);
      });
      return tf.slice(this.all, [start, 0], [end - start, -1]);
    }
    if (start !== this.next) {
      throw new Error(
        `prototype windows must come in order: asked for ${start}, next is ${this.next}`,
      );
    }
    const out = tf.tidy(() =>
      network.forwardWindow({
        positions: tf.tensor2d(positions.subarray(start * dPos, end * dPos), [end - start, dPos]),
        checkpoint: this.checkpoint,
        offset: start,
        total,
        previousTokens,
        task: this.task,
        state: this.state,
      }),
    );
    if (this.state) tf.dispose(this.state);
    this.state = out.state;
    this.next = end;
    const prototypes = tf.squeeze(out.output, [0]);
    out.output.dispose();
    return prototypes;
  }

  dispose(): void {
    if (this.state) tf.dispose(this.state);
    this.all?.dispose();
  }
}

/**
 * Generation for a teacher-forced prior: prototype p depends on token p − 1, so tokens are
 * sampled one at a time. A segmentable prior advances one position per token from its carried
 * state (cost linear in the tokens); a Transformer reruns over the sequence so far (quadratic).
 * Holds the tokenizer's padding mask, since padding of a fed-back token is zeroed as in
 * training: memory is linear in the model size here.
 */
async function* sampleTeacherForced(
  parts: RpgSamplingParts,
  options: RpgSampleOptions,
): AsyncGenerator<[string, TensorData]> {
  const { tokenizer, network, denoiser, scheduler } = parts;
  const [tokenCount, tokenSize] = tokenizer.shape;
  const dPos = parts.positions.length / tokenCount;
  const mask = tokenizer.mask();
  const task = taskInput(options);
  const checkpoint = network.randomCheckpoint(new Rng(options.seed));
  // Only the Transformer fallback needs the whole sequence and every position at once.
  const sequence = network.segmentable ? undefined : new Float32Array(tokenCount * tokenSize);
  const positions = network.segmentable
    ? undefined
    : tf.tensor2d(parts.positions, [tokenCount, dPos]);
  const windows = network.segmentable ? new PrototypeWindows(parts, checkpoint, task) : undefined;
  let previous = new Float32Array(tokenSize);
  const decoder = tokenizer.createDecoder();
  try {
    for (let p = 0; p < tokenCount; p++) {
      let prototype: tf.Tensor;
      if (sequence && positions) {
        prototype = tf.tidy(() => {
          const tokens = tf.tensor3d(sequence, [1, tokenCount, tokenSize]);
          return tf.slice(
            tf.squeeze(network.forward(positions, checkpoint, tokens, task), [0]),
            [p, 0],
            [1, -1],
          );
        });
      } else {
        const before = tf.tensor3d(previous, [1, 1, tokenSize]);
        try {
          prototype = windows!.window(p, p + 1, before);
        } finally {
          before.dispose();
        }
      }
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
      const clean = new Float32Array(tokenSize);
      for (let j = 0; j < tokenSize; j++) {
        clean[j] = mask[p * tokenSize + j] ? values[j]! : 0;
      }
      sequence?.set(clean, p * tokenSize);
      previous = clean;
      yield* decoder.push(values);
    }
    yield* decoder.finish();
  } finally {
    positions?.dispose();
    windows?.dispose();
    checkpoint.dispose();
  }
}
