import type { StateDict, TensorData } from '@pgen/checkpoint-io';
import { TokenCountMismatchError, TokenizerError } from './errors';
import type { TokenLayout } from './layout';
import type { TensorNormalization } from './normalizer';
import { TensorAssembler } from './tensor-codec';

function copyTensor(tensor: TensorData): TensorData {
  return { dtype: tensor.dtype, shape: [...tensor.shape], data: tensor.data.slice() } as TensorData;
}

/**
 * Turns tokens back into tensors as they arrive: `push` blocks of whole tokens in order, get
 * back every tensor they finish; `finish` checks the count and returns the rest. Tensors come
 * out in the original state-dict order, kept-aside ones (copied from the template) included.
 * Blocks are read in place and not kept: the decoder holds only the tensor being filled.
 */
export class StreamingDecoder {
  private received = 0;
  private nextEntry = 0;
  private nextName = 0;
  private current: TensorAssembler | undefined;
  private finished = false;

  constructor(
    private readonly layout: TokenLayout,
    private readonly normalizations: readonly TensorNormalization[],
    private readonly keptAside: ReadonlyMap<string, TensorData>,
    private readonly order: readonly string[],
  ) {}

  /** Tokens received so far. */
  get tokensReceived(): number {
    return this.received;
  }

  /** Adds the next tokens (`[n, tokenSize]`, row-major); returns the tensors now complete. */
  push(tokens: Float32Array): Array<[string, TensorData]> {
    if (this.finished) throw new TokenizerError('push after finish: this decoder is done');
    const { tokenSize, tokenCount } = this.layout;
    if (tokens.length % tokenSize !== 0) {
      throw new TokenCountMismatchError(
        `a token block must hold whole tokens of ${tokenSize} values, got ${tokens.length} values`,
      );
    }
    const count = tokens.length / tokenSize;
    if (this.received + count > tokenCount) {
      throw new TokenCountMismatchError(
        `the fitted layout has ${tokenCount} tokens of ${tokenSize} values, ` +
          `got ${this.received + count} tokens so far`,
      );
    }
    const srcFirst = this.received * tokenSize;
    this.received += count;
    const out: Array<[string, TensorData]> = [];
    this.fillAndEmit(tokens, srcFirst, out);
    return out;
  }

  /** Feeds `tokens` (global value `srcFirst` on) to the tensors they touch; emits finished ones. */
  private fillAndEmit(
    tokens: Float32Array,
    srcFirst: number,
    out: Array<[string, TensorData]>,
  ): void {
    const { entries } = this.layout;
    while (this.nextEntry < entries.length) {
      const entry = entries[this.nextEntry]!;
      if (entry.tokenStart >= this.received && entry.tokenEnd > entry.tokenStart) break;
      this.current ??= new TensorAssembler(entry, this.normalizations[this.nextEntry]!);
      this.current.fill(tokens, srcFirst);
      if (entry.tokenEnd > this.received) break;
      this.emitKeptAsideBefore(entry.name, out);
      out.push([entry.name, this.current.finish()]);
      this.current = undefined;
      this.nextName++;
      this.nextEntry++;
    }
  }

  /** Checks that every token arrived; returns the kept-aside tensors not yet emitted. */
  finish(): Array<[string, TensorData]> {
    const { tokenCount, tokenSize } = this.layout;
    if (this.received !== tokenCount) {
      throw new TokenCountMismatchError(
        `the fitted layout has ${tokenCount} tokens of ${tokenSize} values, ` +
          `got ${this.received} tokens`,
      );
    }
    this.finished = true;
    const out: Array<[string, TensorData]> = [];
    // Tensors with no values own no tokens; any still pending after the last one finish here.
    this.fillAndEmit(new Float32Array(0), this.received * tokenSize, out);
    this.emitKeptAsideBefore(undefined, out);
    return out;
  }

  private emitKeptAsideBefore(name: string | undefined, out: Array<[string, TensorData]>): void {
    while (this.nextName < this.order.length && this.order[this.nextName] !== name) {
      const keptName = this.order[this.nextName]!;
      out.push([keptName, copyTensor(this.keptAside.get(keptName)!)]);
      this.nextName++;
    }
  }
}

/** Decodes a whole token buffer at once (the non-streaming path) into a state dict. */
export function decodeAll(decoder: StreamingDecoder, tokens: Float32Array): StateDict {
  return new Map([...decoder.push(tokens), ...decoder.finish()]);
}
