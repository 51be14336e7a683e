import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { writeCheckpointAtomic, writeFully } from '../atomic-write';
import { bytesOf } from '../bytes';
import { TfjsWeightsError } from '../errors';
import { toFloat32 } from '../half';
import type { StateDict, TensorData } from '../state-dict';
import type { TfjsModelJson, TfjsWeightSpec } from './weights-manifest';

/** Options of `writeTfjsWeights`. */
export interface WriteTfjsWeightsOptions {
  /** Maximum shard size in bytes (default 4 MiB, as the tfjs converter uses). */
  shardSizeBytes?: number;
  /** `modelTopology` to store in model.json (default null: weights only). */
  modelTopology?: unknown;
  /** model.json `format` (default `layers-model` when a topology is given, else `weights-only`). */
  format?: string;
  /** model.json `generatedBy` (default `@pgen/checkpoint-io`). */
  generatedBy?: string;
}

const INT32_MIN = -(2 ** 31);
const INT32_MAX = 2 ** 31 - 1;

/**
 * tfjs holds float32, int32 and bool only: floats become float32 (F16/BF16 exactly, F64
 * rounded) and integers int32 (values outside int32 are an error, never wrapped).
 */
function toTfjs(
  name: string,
  t: TensorData,
  file: string,
): { dtype: TfjsWeightSpec['dtype']; bytes: Uint8Array } {
  switch (t.dtype) {
    case 'F32':
      return { dtype: 'float32', bytes: bytesOf(t.data) };
    case 'F64':
    case 'F16':
    case 'BF16':
      return { dtype: 'float32', bytes: bytesOf(toFloat32(t)) };
    case 'BOOL':
      return { dtype: 'bool', bytes: bytesOf(t.data) };
    case 'I32':
      return { dtype: 'int32', bytes: bytesOf(t.data) };
    default: {
      const out = new Int32Array(t.data.length);
      for (let i = 0; i < out.length; i++) {
        const v = Number(t.data[i]!);
        if (v < INT32_MIN || v > INT32_MAX) {
          throw new TfjsWeightsError(
            file,
            'value-out-of-range',
            `tensor "${name}" (${t.dtype}) holds ${v}, outside tfjs's int32 range`,
          );
        }
        out[i] = v;
      }
      return { dtype: 'int32', bytes: bytesOf(out) };
    }
  }
}

/**
 * Writes `model.json` and `group1-shardNofM.bin` files into `dir`, in the layout tfjs'
 * `tf.loadLayersModel`/`tf.io.loadWeights` read. Every file is written atomically; the
 * shards come first so model.json never points at missing shards.
 */
export async function writeTfjsWeights(
  dir: string,
  tensors: StateDict,
  options: WriteTfjsWeightsOptions = {},
): Promise<void> {
  const shardSize = options.shardSizeBytes ?? 4 * 1024 * 1024;
  if (!Number.isSafeInteger(shardSize) || shardSize <= 0)
    throw new RangeError('shardSizeBytes must be a positive integer');
  const modelJsonPath = join(dir, 'model.json');
  const weights: TfjsWeightSpec[] = [];
  const chunks: Uint8Array[] = [];
  let total = 0;
  for (const [name, t] of tensors) {
    const { dtype, bytes } = toTfjs(name, t, modelJsonPath);
    weights.push({ name, shape: [...t.shape], dtype });
    chunks.push(bytes);
    total += bytes.length;
  }
  const shardCount = Math.max(1, Math.ceil(total / shardSize));
  const paths = Array.from(
    { length: shardCount },
    (_, i) => `group1-shard${i + 1}of${shardCount}.bin`,
  );
  await mkdir(dir, { recursive: true });

  // Stream the concatenated weight bytes into fixed-size shards without joining them.
  let chunk = 0;
  let within = 0;
  for (let s = 0; s < shardCount; s++) {
    const size = Math.min(shardSize, total - s * shardSize);
    await writeCheckpointAtomic(join(dir, paths[s]!), async (file) => {
      let written = 0;
      while (written < size) {
        const current = chunks[chunk]!;
        const take = Math.min(current.length - within, size - written);
        await writeFully(file, current.subarray(within, within + take), written);
        written += take;
        within += take;
        if (within === current.length) {
          chunk++;
          within = 0;
        }
      }
    });
  }
  const model: TfjsModelJson = {
    format: options.format ?? (options.modelTopology ? 'layers-model' : 'weights-only'),
    generatedBy: options.generatedBy ?? '@pgen/checkpoint-io',
    convertedBy: null,
    modelTopology: options.modelTopology ?? null,
    weightsManifest: [{ paths, weights }],
  };
  const text = new TextEncoder().encode(`${JSON.stringify(model)}\n`);
  await writeCheckpointAtomic(modelJsonPath, (file) => writeFully(file, text, 0));
}
