/** A run of consecutive tokens, as `encodeStream` yields them and a `StreamingDecoder` takes them. */
export interface TokenBlock {
  /** Index of the block's first token in the whole sequence. */
  firstToken: number;
  tokenCount: number;
  /** `tokenCount * tokenSize` values, row-major `[tokenCount, tokenSize]`. */
  tokens: Float32Array;
  /** 1 where `tokens` holds a value, 0 where it holds padding (computed on first access). */
  mask: Uint8Array;
  /** Per token, the index of its tensor among the generated tensors. */
  tensorIndex: Int32Array;
  /** Per token, its index among the tokens of its tensor. */
  positionInTensor: Int32Array;
  /** Generated tensors whose last value is in this block, in order. */
  completedTensors: string[];
}
