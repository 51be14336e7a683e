import { type LoraConfig, numel, type PeftAdapter, type StateDict } from '@pgen/checkpoint-io';
import { TensorTokenizer } from '@pgen/tensor-tokenizer';
import { CondPdiffError } from './cond-pdiff-error';

/**
 * p-diff's view of an adapter: every tensor z-scored with its zoo statistics and the results
 * concatenated into one vector. A `flat` tokenizer whose single token holds the whole adapter
 * does exactly that, and brings its checks (same names, shapes and dtypes in every sample) and
 * its exact decoding back to PEFT tensors.
 */
export function fitAdapterTokenizer(adapters: readonly StateDict[]): TensorTokenizer {
  if (adapters.length < 2) {
    throw new CondPdiffError(
      `a zoo needs at least 2 adapters to fit (per-tensor statistics), got ${adapters.length}`,
    );
  }
  let total = 0;
  for (const tensor of adapters[0]!.values()) total += numel(tensor.shape);
  if (total === 0) throw new CondPdiffError('the adapters hold no values');
  return TensorTokenizer.fit(adapters, {
    granularity: 'flat',
    tokenSize: total,
    minElements: 1,
    logTransform: [],
  });
}

/** The normalised vectors of `adapters`, row-major [adapters.length, vectorLength]. */
export function adapterVectors(
  tokenizer: TensorTokenizer,
  adapters: readonly StateDict[],
  names: readonly string[] = [],
): Float32Array {
  const width = vectorLength(tokenizer);
  const out = new Float32Array(adapters.length * width);
  adapters.forEach((adapter, i) => {
    out.set(tokenizer.encode(adapter, names[i] ?? `adapter ${i}`).tokens, i * width);
  });
  return out;
}

/** Values in one adapter vector. */
export function vectorLength(tokenizer: TensorTokenizer): number {
  const [count, size] = tokenizer.shape;
  return count * size;
}

/** A normalised vector back to a PEFT adapter with `config` (original dtypes and order). */
export function vectorToAdapter(
  tokenizer: TensorTokenizer,
  vector: Float32Array,
  config: LoraConfig,
): PeftAdapter {
  return { config, tensors: tokenizer.decode(vector) };
}
