import { Linear, Module, Rng } from '@pgen/nn';
import * as tf from '@tensorflow/tfjs-core';
import { TaskEncoderError } from './errors';
import type { TextEmbeddingFunction } from './hashed-ngram-embedding';
import { finiteNumber, positiveInt } from './options';
import type { TaskEncoder, TaskEncoderConfig } from './task-encoder';

export interface TextConditionEncoderOptions {
  /**
   * The text model: any function from texts to one `embeddingDim`-wide vector each (a sentence
   * transformer, an API call, `hashedNgramEmbedding`). It is not saved with the encoder.
   */
  embed: TextEmbeddingFunction;
  /** Width of the vectors `embed` returns. */
  embeddingDim: number;
  /** Width of the condition vector. */
  outputDim: number;
  /** Seed of the initial projection (default 0). */
  seed?: number;
}

/**
 * Conditions on text ("classify 3 against the rest") through a user-supplied embedding
 * function, projected by a trained Linear (`proj`) to `outputDim`. The embedding function is
 * code, not weights, so `saveTaskEncoder` stores only the projection and its config, and
 * `loadTaskEncoder` needs the same function passed back in (`{ embed }`).
 */
export class TextConditionEncoder extends Module implements TaskEncoder<readonly string[]> {
  readonly config: TaskEncoderConfig;
  readonly embeddingDim: number;
  readonly outputDim: number;
  readonly embed: TextEmbeddingFunction;
  readonly proj: Linear;

  constructor(options: TextConditionEncoderOptions) {
    super();
    const owner = 'TextConditionEncoder';
    if (typeof options.embed !== 'function') {
      throw new TaskEncoderError(`${owner}: embed must be a function from texts to vectors`);
    }
    const embeddingDim = positiveInt(owner, 'embeddingDim', options.embeddingDim);
    const outputDim = positiveInt(owner, 'outputDim', options.outputDim);
    const seed = finiteNumber(owner, 'seed', options.seed ?? 0);
    this.config = { _class_name: 'TextConditionEncoder', embeddingDim, outputDim, seed };
    this.embed = options.embed;
    this.embeddingDim = embeddingDim;
    this.outputDim = outputDim;
    this.proj = this.addModule('proj', new Linear(embeddingDim, outputDim, { rng: new Rng(seed) }));
  }

  /**
   * Condition vectors [texts.length, outputDim]. Asynchronous because `embed` may be; to train
   * the projection, call `embedTexts` first and `project` inside the gradient closure.
   */
  async encode(texts: readonly string[]): Promise<tf.Tensor> {
    const embeddings = await this.embedTexts(texts);
    return this.project(embeddings);
  }

  /** Runs the embedding function and checks its output: one finite vector per text. */
  async embedTexts(texts: readonly string[]): Promise<Float32Array> {
    const owner = 'TextConditionEncoder';
    if (texts.length === 0) throw new TaskEncoderError(`${owner}: no texts to encode`);
    const vectors = await this.embed([...texts]);
    if (!Array.isArray(vectors) || vectors.length !== texts.length) {
      throw new TaskEncoderError(
        `${owner}: the embedding function returned ${Array.isArray(vectors) ? vectors.length : 'no array of'} vectors for ${texts.length} texts`,
      );
    }
    const out = new Float32Array(texts.length * this.embeddingDim);
    vectors.forEach((v, i) => {
      if (v?.length !== this.embeddingDim) {
        throw new TaskEncoderError(
          `${owner}: the embedding of text ${i} has ${v?.length} values, expected embeddingDim ${this.embeddingDim}`,
        );
      }
      for (let k = 0; k < v.length; k++) {
        if (!Number.isFinite(v[k])) {
          throw new TaskEncoderError(`${owner}: the embedding of text ${i} is not finite`);
        }
      }
      out.set(v, i * this.embeddingDim);
    });
    return out;
  }

  /** The trained projection of embeddings (row-major [batch, embeddingDim]); synchronous. */
  project(embeddings: Float32Array): tf.Tensor {
    const batch = embeddings.length / this.embeddingDim;
    if (!Number.isInteger(batch) || batch === 0) {
      throw new TaskEncoderError(
        `TextConditionEncoder: ${embeddings.length} values are not whole rows of ${this.embeddingDim}`,
      );
    }
    return tf.tidy(() => this.proj.forward(tf.tensor2d(embeddings, [batch, this.embeddingDim])));
  }
}
