import { resolve } from 'node:path';
import { type CheckpointFormat, detectCheckpointFormat, readCheckpoint } from '../checkpoint';
import { CheckpointError } from '../errors';
import { openSafetensors } from '../safetensors/reader';
import { SafetensorsStreamWriter } from '../safetensors/stream-writer';
import { writeSafetensors } from '../safetensors/writer';

/** Options of `convertToSafetensors`. */
export interface ConvertOptions {
  /** Extra metadata, laid over what the input carries (default none). */
  metadata?: Record<string, string>;
}

/** What a conversion did. */
export interface ConvertSummary {
  input: string;
  output: string;
  format: CheckpointFormat;
  tensors: number;
}

/**
 * Converts any readable checkpoint to safetensors, atomically. A safetensors input is
 * streamed tensor by tensor; other formats are read whole, then written. Tensor names are
 * kept (nested .pth names joined with dots); metadata is kept as safetensors metadata.
 */
export async function convertToSafetensors(
  input: string,
  output: string,
  options: ConvertOptions = {},
): Promise<ConvertSummary> {
  if (resolve(input) === resolve(output)) {
    throw new CheckpointError(output, 'same-path', 'output path is the input file');
  }
  const format = await detectCheckpointFormat(input);
  if (format === 'safetensors') {
    const source = await openSafetensors(input);
    try {
      const writer = await SafetensorsStreamWriter.create(output, source.header.tensors, {
        metadata: { ...source.metadata, ...options.metadata },
      });
      try {
        for (const name of source.names)
          await writer.writeTensor(name, await source.readTensorBytes(name));
        await writer.close();
      } catch (error) {
        await writer.abort();
        throw error;
      }
      return { input, output, format, tensors: source.names.length };
    } finally {
      await source.close();
    }
  }
  const { tensors, metadata } = await readCheckpoint(input);
  await writeSafetensors(output, tensors, { metadata: { ...metadata, ...options.metadata } });
  return { input, output, format, tensors: tensors.size };
}
