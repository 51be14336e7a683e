import { writeCheckpointAtomic, writeFully } from '../atomic-write';
import { bytesOf } from '../bytes';
import { isDType } from '../dtype';
import { SafetensorsError } from '../errors';
import { numel, type StateDict, type TensorData } from '../state-dict';
import { planSafetensorsLayout, type SafetensorsLayout } from './layout';

/** Options of the safetensors writers. */
export interface WriteSafetensorsOptions {
  /** String→string `__metadata__`; omitted from the file when empty (default `{}`). */
  metadata?: Record<string, string>;
}

function checkTensor(name: string, tensor: TensorData, file: string): void {
  if (!isDType(tensor.dtype)) {
    throw new SafetensorsError(
      file,
      'unknown-dtype',
      `tensor "${name}" has unknown dtype "${tensor.dtype}"`,
    );
  }
  if (tensor.data.length !== numel(tensor.shape)) {
    throw new SafetensorsError(
      file,
      'invalid-tensor',
      `tensor "${name}" of shape [${tensor.shape.join(', ')}] holds ${tensor.data.length} elements`,
    );
  }
}

function plan(
  tensors: StateDict,
  metadata: Record<string, string> | undefined,
  file: string,
): SafetensorsLayout {
  const declarations = [];
  for (const [name, tensor] of tensors) {
    checkTensor(name, tensor, file);
    declarations.push({ name, dtype: tensor.dtype, shape: tensor.shape });
  }
  return planSafetensorsLayout(declarations, metadata, file);
}

/**
 * Serializes tensors to the exact bytes the reference `safetensors.serialize` produces for
 * the same tensors and metadata.
 */
export function serializeSafetensors(
  tensors: StateDict,
  metadata?: Record<string, string>,
): Uint8Array {
  const layout = plan(tensors, metadata, '<buffer>');
  const out = new Uint8Array(layout.fileSize);
  out.set(layout.headerBytes, 0);
  for (const entry of layout.entries) out.set(bytesOf(tensors.get(entry.name)!.data), entry.begin);
  return out;
}

/**
 * Writes a safetensors file atomically (temporary sibling, then rename). Tensor bytes are
 * written straight from their arrays, never concatenated in memory.
 */
export async function writeSafetensors(
  path: string,
  tensors: StateDict,
  options: WriteSafetensorsOptions = {},
): Promise<void> {
  const layout = plan(tensors, options.metadata, path);
  await writeCheckpointAtomic(path, async (file) => {
    await writeFully(file, layout.headerBytes, 0);
    for (const entry of layout.entries) {
      await writeFully(file, bytesOf(tensors.get(entry.name)!.data), entry.begin);
    }
  });
}
