import type { TensorData } from '@pgen/checkpoint-io';
import { StateDictMismatchError } from './errors';
import type { TokenLayout } from './layout';
import type { TensorNormalization } from './normalizer';
import { encodeTensorInto } from './tensor-codec';
import type { TokenBlock } from './token-block';

/**
 * The generated tensors of `source` in layout order. A `Map` is read by name; any other
 * iterable of `[name, tensor]` must bring the generated tensors in state-dict order (other
 * names are skipped), which lets a lazy reader hand over one tensor at a time.
 */
function* orderedTensors(
  layout: TokenLayout,
  source: ReadonlyMap<string, TensorData> | Iterable<[string, TensorData]>,
  context: string,
): Generator<TensorData> {
  if (source instanceof Map) {
    for (const entry of layout.entries) {
      const tensor = source.get(entry.name);
      if (!tensor) throw new StateDictMismatchError(`${context} lacks tensor "${entry.name}"`);
      yield tensor;
    }
    return;
  }
  const wanted = new Set(layout.entries.map((e) => e.name));
  let next = 0;
  for (const [name, tensor] of source) {
    if (!wanted.has(name)) continue;
    const expected = layout.entries[next]?.name;
    if (name !== expected) {
      throw new StateDictMismatchError(
        `${context}: got tensor "${name}" where "${expected}" was expected; ` +
          'a streamed state dict must bring tensors in the fitted order',
      );
    }
    next++;
    yield tensor;
  }
  if (next < layout.entries.length) {
    throw new StateDictMismatchError(`${context} lacks tensor "${layout.entries[next]!.name}"`);
  }
}

/**
 * Encodes tensor by tensor, yielding each run of tokens as soon as it is complete: one block
 * per tensor for `'layer'`/`'channel'`, and for `'flat'` the tokens finished by that tensor
 * (a tensor too small to finish a token yields nothing). Only one tensor's tokens are held.
 */
export function* encodeBlocks(
  layout: TokenLayout,
  normalizations: readonly TensorNormalization[],
  padValue: number,
  source: ReadonlyMap<string, TensorData> | Iterable<[string, TensorData]>,
  context: string,
): Generator<TokenBlock> {
  const { tokenSize } = layout;
  let emitted = 0;
  // 'flat' only: the started, unfinished last token carried over to the next tensor.
  let carry: Float32Array | undefined;
  let completed: string[] = [];
  let index = 0;
  for (const tensor of orderedTensors(layout, source, context)) {
    const entry = layout.entries[index]!;
    const norm = normalizations[index]!;
    index++;
    const bufferEnd = Math.max(entry.tokenEnd, entry.completeTokenEnd, emitted);
    const buffer = new Float32Array((bufferEnd - emitted) * tokenSize);
    if (padValue !== 0) buffer.fill(padValue);
    if (carry) buffer.set(carry);
    encodeTensorInto(entry, norm, tensor, buffer, emitted, tokenSize, context);
    completed.push(entry.name);
    const end = entry.completeTokenEnd;
    carry = end < bufferEnd ? buffer.slice((end - emitted) * tokenSize) : undefined;
    if (end > emitted) {
      const count = end - emitted;
      const firstToken = emitted;
      let mask: Uint8Array | undefined;
      yield {
        firstToken,
        tokenCount: count,
        tokens: end < bufferEnd ? buffer.subarray(0, count * tokenSize) : buffer,
        // Built on first access: a consumer that does not need it pays nothing.
        get mask() {
          mask ??= layout.mask(firstToken, count);
          return mask;
        },
        tensorIndex: layout.tensorIndex.subarray(emitted, end),
        positionInTensor: layout.positionInTensor.subarray(emitted, end),
        completedTensors: completed,
      };
      completed = [];
      emitted = end;
    }
  }
}
