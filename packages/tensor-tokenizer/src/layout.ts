import { type DType, numel } from '@pgen/checkpoint-io';
import { TokenizerConfigError } from './errors';
import { splitRows } from './granularity';
import type { Granularity } from './options';

/** Name, shape and dtype of one generated tensor, in the order tokens hold them. */
export interface TensorSignature {
  name: string;
  shape: number[];
  dtype: DType;
}

/** Where one generated tensor lives in the token sequence. */
export interface LayoutEntry extends TensorSignature {
  /** Index among the generated tensors (the "tensor index" of its tokens). */
  index: number;
  numel: number;
  rows: number;
  rowLength: number;
  /** Values between the starts of consecutive rows in the flat token buffer. */
  rowStride: number;
  /** Position of the tensor's first value in the flat token buffer (token * tokenSize + column). */
  valueOffset: number;
  /** First token holding a value of this tensor. */
  tokenStart: number;
  /** One past the last token holding a value of this tensor. */
  tokenEnd: number;
  /**
   * Tokens before this index are complete once this tensor is written. Equals `tokenEnd`
   * except in `'flat'`, where the last token may still receive the next tensor's values.
   */
  completeTokenEnd: number;
}

/**
 * The fitted token layout: for every generated tensor its token range and padding, and for
 * every token the tensor it belongs to and its position inside that tensor.
 */
export class TokenLayout {
  readonly entries: readonly LayoutEntry[];
  readonly tokenCount: number;
  /** Values held by real (unpadded) positions. */
  readonly valueCount: number;
  /** Per token, the index of the tensor it belongs to (in `'flat'`: of its first value). */
  readonly tensorIndex: Int32Array;
  /** Per token, its index among the tokens of that tensor. */
  readonly positionInTensor: Int32Array;

  constructor(
    readonly granularity: Granularity,
    readonly tokenSize: number,
    tensors: readonly TensorSignature[],
  ) {
    if (!Number.isInteger(tokenSize) || tokenSize < 1) {
      throw new TokenizerConfigError(`tokenSize must be a positive integer, got ${tokenSize}`);
    }
    const entries: LayoutEntry[] = [];
    let cursor = 0;
    let valueCount = 0;
    for (const [index, tensor] of tensors.entries()) {
      const n = numel(tensor.shape);
      const split = splitRows(granularity, tensor.shape, tokenSize);
      const flat = granularity === 'flat';
      const valueOffset = flat ? cursor : cursor * tokenSize;
      const rowStride = flat ? split.rowLength : split.tokensPerRow * tokenSize;
      const tokenStart = flat ? Math.floor(cursor / tokenSize) : cursor;
      const tokenEnd =
        n === 0
          ? tokenStart
          : flat
            ? Math.ceil((cursor + n) / tokenSize)
            : cursor + split.rows * split.tokensPerRow;
      const completeTokenEnd = flat ? Math.floor((cursor + n) / tokenSize) : tokenEnd;
      entries.push({
        ...tensor,
        shape: [...tensor.shape],
        index,
        numel: n,
        rows: split.rows,
        rowLength: split.rowLength,
        rowStride,
        valueOffset,
        tokenStart,
        tokenEnd,
        completeTokenEnd,
      });
      cursor = flat ? cursor + n : tokenEnd;
      valueCount += n;
    }
    const tokenCount = granularity === 'flat' ? Math.ceil(cursor / tokenSize) : cursor;
    const last = entries.at(-1);
    if (last) last.completeTokenEnd = tokenCount;
    this.entries = entries;
    this.tokenCount = tokenCount;
    this.valueCount = valueCount;
    this.tensorIndex = new Int32Array(tokenCount);
    this.positionInTensor = new Int32Array(tokenCount);
    this.assignTokensToTensors();
  }

  private assignTokensToTensors(): void {
    if (this.granularity !== 'flat') {
      for (const entry of this.entries) {
        for (let t = entry.tokenStart; t < entry.tokenEnd; t++) {
          this.tensorIndex[t] = entry.index;
          this.positionInTensor[t] = t - entry.tokenStart;
        }
      }
      return;
    }
    // In 'flat' a token belongs to the tensor holding its first value.
    let entryIndex = 0;
    let firstTokenOfEntry = 0;
    let previous = -1;
    for (let t = 0; t < this.tokenCount; t++) {
      const firstValue = t * this.tokenSize;
      while (entryIndex < this.entries.length - 1) {
        const entry = this.entries[entryIndex]!;
        if (firstValue < entry.valueOffset + entry.numel) break;
        entryIndex++;
      }
      if (entryIndex !== previous) {
        firstTokenOfEntry = t;
        previous = entryIndex;
      }
      this.tensorIndex[t] = entryIndex;
      this.positionInTensor[t] = t - firstTokenOfEntry;
    }
  }

  /** Total length of the flat token buffer (`tokenCount * tokenSize`). */
  get bufferLength(): number {
    return this.tokenCount * this.tokenSize;
  }

  /** The mask (1 = value, 0 = padding) of tokens `[firstToken, firstToken + count)`. */
  mask(firstToken = 0, count = this.tokenCount - firstToken): Uint8Array {
    const { tokenSize } = this;
    const mask = new Uint8Array(count * tokenSize);
    const lo = firstToken * tokenSize;
    const hi = lo + mask.length;
    for (const entry of this.entries) {
      if (entry.tokenEnd <= firstToken || entry.tokenStart >= firstToken + count) continue;
      for (let r = 0; r < entry.rows; r++) {
        const start = entry.valueOffset + r * entry.rowStride;
        const from = Math.max(start, lo);
        const to = Math.min(start + entry.rowLength, hi);
        if (from < to) mask.fill(1, from - lo, to - lo);
      }
    }
    return mask;
  }
}
