import {
  readSafetensors,
  type StateDict,
  type TensorData,
  writeSafetensors,
} from '@pgen/checkpoint-io';
import { StateDictMismatchError, TokenCountMismatchError } from './errors';
import { TokenLayout } from './layout';
import type { TensorNormalization } from './normalizer';
import type { FitOptions, Granularity } from './options';
import { type PositionEmbedding, sinusoidal1d, sinusoidal2d } from './position-embedding';
import { decodeAll, StreamingDecoder } from './stream-decoder';
import { encodeBlocks } from './stream-encoder';
import { encodeTensorInto } from './tensor-codec';
import type { TokenBlock } from './token-block';
import { specFromSafetensors, specToSafetensors } from './tokenizer-file';
import { TokenizerFitter } from './tokenizer-fitter';
import type { TokenizerSpec } from './tokenizer-spec';

/** Every token of one checkpoint. */
export interface EncodedTokens {
  /** Row-major `[tokenCount, tokenSize]` float32 values; padding holds `padValue`. */
  tokens: Float32Array;
  /** 1 where `tokens` holds a value, 0 where it holds padding (same layout). */
  mask: Uint8Array;
  shape: [number, number];
  /** Per token, the index of its tensor among the generated tensors. */
  tensorIndex: Int32Array;
  /** Per token, its index among the tokens of its tensor. */
  positionInTensor: Int32Array;
}

/** Which position embedding `positionEmbedding` builds. */
export type PositionEmbeddingKind = '1d' | '2d';

/** The plain-data description of a fitted tokenizer (`toJSON`). */
export interface TokenizerConfig {
  granularity: Granularity;
  tokenSize: number;
  tokenCount: number;
  padValue: number;
  tensors: Array<{
    name: string;
    dtype: string;
    shape: number[];
    tokenStart: number;
    tokenEnd: number;
    /** Without the per-element arrays of `'element-zscore'` (they are in the saved file). */
    normalization: Omit<TensorNormalization, 'elementMean' | 'elementStd'>;
  }>;
  keptAside: Array<{ name: string; dtype: string; shape: number[] }>;
  order: string[];
}

/** A state dict to encode: a `Map`, or `[name, tensor]` pairs in state-dict order (streamed). */
export type TensorSource = ReadonlyMap<string, TensorData> | Iterable<[string, TensorData]>;

/**
 * RPG's tokenizer: turns checkpoints that share one architecture into normalised float32
 * tokens of `tokenSize` values and back.
 *
 * Exactness: tokens are float32. Without normalisation, F32, F16 and BF16 tensors round-trip
 * bit for bit; F64 values come back rounded to float32 and integers exactly up to 2^24 in
 * magnitude. With normalisation the inverse is computed in float64 and matches to about 1e-7
 * of the tensor's scale (`'log-zscore'`: of each value).
 */
export class TensorTokenizer {
  readonly layout: TokenLayout;
  private readonly normalizations: TensorNormalization[];

  constructor(readonly spec: TokenizerSpec) {
    this.layout = new TokenLayout(spec.granularity, spec.tokenSize, spec.tensors);
    this.normalizations = spec.tensors.map((t) => t.normalization);
  }

  /**
   * Fits a tokenizer on a zoo: checks that every checkpoint has the same names, shapes and
   * dtypes, selects the tensors to generate and computes their statistics. `zoo` may be a lazy
   * iterable, so checkpoints can be loaded one at a time (see also `TokenizerFitter`).
   */
  static fit(zoo: Iterable<StateDict>, options: FitOptions = {}): TensorTokenizer {
    const fitter = new TokenizerFitter(options);
    for (const checkpoint of zoo) fitter.add(checkpoint);
    return new TensorTokenizer(fitter.finish());
  }

  /** Rebuilds a tokenizer from `toSafetensors` output (e.g. read back from a file). */
  static fromSafetensors(tensors: StateDict, metadata: Record<string, string>): TensorTokenizer {
    return new TensorTokenizer(specFromSafetensors(tensors, metadata));
  }

  /** Loads a tokenizer saved with `save`. */
  static async load(path: string): Promise<TensorTokenizer> {
    const { tensors, metadata } = await readSafetensors(path);
    return TensorTokenizer.fromSafetensors(tensors, metadata);
  }

  get tokenSize(): number {
    return this.layout.tokenSize;
  }

  get tokenCount(): number {
    return this.layout.tokenCount;
  }

  /** `[tokenCount, tokenSize]`. */
  get shape(): [number, number] {
    return [this.layout.tokenCount, this.layout.tokenSize];
  }

  /** Names of the generated tensors, in token order. */
  get generatedTensors(): string[] {
    return this.spec.tensors.map((t) => t.name);
  }

  /** Names of the tensors copied from the template on decode. */
  get keptAsideTensors(): string[] {
    return [...this.spec.keptAside.keys()];
  }

  /** Per token, the index of its tensor among the generated tensors. */
  get tensorIndex(): Int32Array {
    return this.layout.tensorIndex;
  }

  /** Per token, its index among the tokens of its tensor. */
  get positionInTensor(): Int32Array {
    return this.layout.positionInTensor;
  }

  /** The mask of the whole sequence: 1 = value, 0 = padding, `[tokenCount, tokenSize]`. */
  mask(): Uint8Array {
    return this.layout.mask();
  }

  /** Encodes a whole state dict (`context` names it in error messages). */
  encode(stateDict: TensorSource, context = 'state dict'): EncodedTokens {
    const { tokenSize } = this.layout;
    const tokens = new Float32Array(this.layout.bufferLength);
    if (this.spec.padValue !== 0) tokens.fill(this.spec.padValue);
    if (stateDict instanceof Map) {
      for (const [i, entry] of this.layout.entries.entries()) {
        const tensor = stateDict.get(entry.name);
        if (!tensor) throw new StateDictMismatchError(`${context} lacks tensor "${entry.name}"`);
        encodeTensorInto(entry, this.normalizations[i]!, tensor, tokens, 0, tokenSize, context);
      }
    } else {
      for (const block of this.encodeStream(stateDict, context)) {
        tokens.set(block.tokens, block.firstToken * tokenSize);
      }
    }
    return {
      tokens,
      mask: this.layout.mask(),
      shape: this.shape,
      tensorIndex: this.layout.tensorIndex,
      positionInTensor: this.layout.positionInTensor,
    };
  }

  /**
   * Encodes tensor by tensor, yielding token blocks as they complete, so that only one
   * tensor's tokens exist at a time. Blocks come in order and cover every token once.
   */
  encodeStream(stateDict: TensorSource, context = 'state dict'): Generator<TokenBlock> {
    return encodeBlocks(this.layout, this.normalizations, this.spec.padValue, stateDict, context);
  }

  /**
   * Decodes a whole token sequence (`[tokenCount, tokenSize]` row-major, or any array of that
   * many values) into a state dict in the original order and dtypes, kept-aside tensors included.
   */
  decode(tokens: Float32Array | { tokens: Float32Array }): StateDict {
    const values = tokens instanceof Float32Array ? tokens : tokens.tokens;
    const { tokenCount, tokenSize } = this.layout;
    if (values.length !== tokenCount * tokenSize) {
      throw new TokenCountMismatchError(
        `the fitted layout has ${tokenCount} tokens of ${tokenSize} values ` +
          `(${tokenCount * tokenSize} values), got ${values.length} values` +
          (values.length % tokenSize === 0 ? ` (${values.length / tokenSize} tokens)` : ''),
      );
    }
    return decodeAll(this.createDecoder(), values);
  }

  /** A decoder that takes token blocks in order and emits finished tensors (see `StreamingDecoder`). */
  createDecoder(): StreamingDecoder {
    return new StreamingDecoder(
      this.layout,
      this.normalizations,
      this.spec.keptAside,
      this.spec.order,
    );
  }

  /**
   * Fixed sinusoidal position embeddings `[tokenCount, dim]` for the fitted layout: `'2d'`
   * (default, as RPG) encodes the tensor index in the first half of the channels and the token's
   * index inside its tensor in the second half; `'1d'` encodes the token's index in the sequence.
   */
  positionEmbedding(dim: number, kind: PositionEmbeddingKind = '2d'): PositionEmbedding {
    if (kind === '1d') {
      const positions = Int32Array.from({ length: this.layout.tokenCount }, (_, i) => i);
      return sinusoidal1d(positions, dim);
    }
    return sinusoidal2d(this.layout.tensorIndex, this.layout.positionInTensor, dim);
  }

  /** The tokenizer as safetensors content: statistics as tensors, configuration as metadata. */
  toSafetensors(): { tensors: StateDict; metadata: Record<string, string> } {
    return specToSafetensors(this.spec);
  }

  /**
   * Saves the tokenizer as one safetensors file (written atomically): statistics and the
   * kept-aside template as tensors, the configuration as metadata.
   */
  async save(path: string): Promise<void> {
    const { tensors, metadata } = this.toSafetensors();
    await writeSafetensors(path, tensors, { metadata });
  }

  toJSON(): TokenizerConfig {
    return {
      granularity: this.spec.granularity,
      tokenSize: this.layout.tokenSize,
      tokenCount: this.layout.tokenCount,
      padValue: this.spec.padValue,
      tensors: this.layout.entries.map((e, i) => ({
        name: e.name,
        dtype: e.dtype,
        shape: [...e.shape],
        tokenStart: e.tokenStart,
        tokenEnd: e.tokenEnd,
        normalization: describeNormalization(this.normalizations[i]!),
      })),
      keptAside: [...this.spec.keptAside].map(([name, t]) => ({
        name,
        dtype: t.dtype,
        shape: [...t.shape],
      })),
      order: [...this.spec.order],
    };
  }
}

/** A normalisation as plain JSON: per-element statistics would be as large as the tensor. */
function describeNormalization(
  norm: TensorNormalization,
): Omit<TensorNormalization, 'elementMean' | 'elementStd'> {
  const { elementMean: _mean, elementStd: _std, ...rest } = norm;
  return rest;
}
