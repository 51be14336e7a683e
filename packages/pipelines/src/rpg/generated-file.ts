import type { TensorData } from '@pgen/checkpoint-io';
import { SafetensorsStreamWriter, type TensorDeclaration } from '@pgen/checkpoint-io';
import type { TensorTokenizer } from '@pgen/tensor-tokenizer';

/** Every tensor a decoded model holds (generated and kept aside), in state-dict order. */
export function modelDeclarations(tokenizer: TensorTokenizer): TensorDeclaration[] {
  const { tensors, keptAside, order } = tokenizer.spec;
  const generated = new Map(tensors.map((t) => [t.name, t]));
  return order.map((name) => {
    const t = generated.get(name) ?? keptAside.get(name)!;
    return { name, dtype: t.dtype, shape: [...t.shape] };
  });
}

/**
 * Writes a safetensors file tensor by tensor as `tensors` yields them, so a model never has to
 * exist in memory at once. The file appears under its name only when complete; on any error
 * the partial file is removed.
 */
export async function writeTensorStream(
  path: string,
  declarations: TensorDeclaration[],
  tensors: AsyncIterable<[string, TensorData]>,
  metadata: Record<string, string> = {},
): Promise<void> {
  const writer = await SafetensorsStreamWriter.create(path, declarations, { metadata });
  try {
    for await (const [name, tensor] of tensors) await writer.writeTensor(name, tensor.data);
    await writer.close();
  } catch (error) {
    await writer.abort();
    throw error;
  }
}
