import { readFile } from 'node:fs/promises';
import { dirname, isAbsolute, join, normalize, sep } from 'node:path';
import { viewOrCopy } from '../bytes';
import { TfjsWeightsError } from '../errors';
import { f16BitsToNumber } from '../half';
import { numel, type StateDict, type TensorData } from '../state-dict';
import type { TfjsModelJson, TfjsWeightSpec } from './weights-manifest';

/** What `readTfjsWeights` returns. */
export interface TfjsWeights {
  tensors: StateDict;
  /** `format`, `generatedBy` and `convertedBy` of `model.json`, as strings. */
  metadata: Record<string, string>;
  /** `modelTopology`, untouched (null when absent). */
  modelTopology: unknown;
}

const BYTES: Record<string, number> = {
  float32: 4,
  int32: 4,
  bool: 1,
  uint8: 1,
  uint16: 2,
  float16: 2,
};

function validateManifest(json: unknown, file: string): TfjsModelJson {
  const bad = (why: string) => new TfjsWeightsError(file, 'invalid-manifest', why);
  if (typeof json !== 'object' || json === null) throw bad('model.json is not a JSON object');
  const manifest = (json as TfjsModelJson).weightsManifest;
  if (!Array.isArray(manifest)) throw bad('model.json has no "weightsManifest" array');
  for (const group of manifest) {
    if (!Array.isArray(group?.paths) || !group.paths.every((p) => typeof p === 'string'))
      throw bad('a weight group has no "paths"');
    if (!Array.isArray(group.weights)) throw bad('a weight group has no "weights"');
    for (const w of group.weights) {
      if (
        typeof w?.name !== 'string' ||
        !Array.isArray(w.shape) ||
        !w.shape.every((d) => Number.isSafeInteger(d) && d >= 0)
      ) {
        throw bad(`weight ${JSON.stringify(w?.name)} has an invalid name or shape`);
      }
    }
  }
  return json as TfjsModelJson;
}

/** Shard paths are relative to model.json; anything escaping its folder is refused. */
function shardPath(base: string, relative: string, file: string): string {
  const full = normalize(join(base, relative));
  if (
    isAbsolute(relative) ||
    !(full === base || full.startsWith(base.endsWith(sep) ? base : base + sep))
  ) {
    throw new TfjsWeightsError(
      file,
      'invalid-shard-path',
      `shard path "${relative}" leaves the model folder`,
    );
  }
  return full;
}

function decodeWeight(spec: TfjsWeightSpec, bytes: Uint8Array, file: string): TensorData {
  const shape = [...spec.shape];
  const n = numel(shape);
  const q = spec.quantization;
  if (q) {
    if (spec.dtype !== 'float32') {
      throw new TfjsWeightsError(
        file,
        'unsupported-dtype',
        `weight "${spec.name}": quantized ${spec.dtype} is not supported`,
      );
    }
    const out = new Float32Array(n);
    if (q.dtype === 'float16') {
      const bits = viewOrCopy('F16', bytes) as Uint16Array;
      for (let i = 0; i < n; i++) out[i] = f16BitsToNumber(bits[i]!);
    } else {
      const scale = q.scale ?? 1;
      const min = q.min ?? 0;
      const codes = q.dtype === 'uint8' ? bytes : (viewOrCopy('U16', bytes) as Uint16Array);
      for (let i = 0; i < n; i++) out[i] = codes[i]! * scale + min;
    }
    return { dtype: 'F32', shape, data: out };
  }
  switch (spec.dtype) {
    case 'float32':
      return { dtype: 'F32', shape, data: viewOrCopy('F32', bytes) };
    case 'int32':
      return { dtype: 'I32', shape, data: viewOrCopy('I32', bytes) };
    case 'bool':
      return { dtype: 'BOOL', shape, data: viewOrCopy('BOOL', bytes) };
    default:
      throw new TfjsWeightsError(
        file,
        'unsupported-dtype',
        `weight "${spec.name}" has unsupported dtype ${String(spec.dtype)}`,
      );
  }
}

/**
 * Reads the weights of a tfjs model (`model.json` + binary shards). Quantized weights are
 * dequantized to F32, as tfjs itself does.
 */
export async function readTfjsWeights(modelJsonPath: string): Promise<TfjsWeights> {
  let json: unknown;
  try {
    json = JSON.parse(await readFile(modelJsonPath, 'utf8'));
  } catch (cause) {
    if ((cause as NodeJS.ErrnoException).code) throw cause;
    throw new TfjsWeightsError(modelJsonPath, 'invalid-manifest', 'model.json is not valid JSON', {
      cause,
    });
  }
  const model = validateManifest(json, modelJsonPath);
  const base = normalize(dirname(modelJsonPath));
  const tensors: StateDict = new Map();
  for (const group of model.weightsManifest) {
    const shards = await Promise.all(
      group.paths.map((p) => readFile(shardPath(base, p, modelJsonPath))),
    );
    const data = new Uint8Array(Buffer.concat(shards));
    let offset = 0;
    for (const spec of group.weights) {
      const size = BYTES[spec.quantization?.dtype ?? spec.dtype];
      if (size === undefined) {
        throw new TfjsWeightsError(
          modelJsonPath,
          'unsupported-dtype',
          `weight "${spec.name}" has unsupported dtype ${String(spec.dtype)}`,
        );
      }
      const length = numel(spec.shape) * size;
      if (offset + length > data.length) {
        throw new TfjsWeightsError(
          modelJsonPath,
          'truncated-shard',
          `weight "${spec.name}" runs past the end of its shards (${group.paths.join(', ')})`,
        );
      }
      if (tensors.has(spec.name)) {
        throw new TfjsWeightsError(
          modelJsonPath,
          'duplicate-name',
          `weight "${spec.name}" appears twice`,
        );
      }
      tensors.set(
        spec.name,
        decodeWeight(spec, data.subarray(offset, offset + length), modelJsonPath),
      );
      offset += length;
    }
    if (offset !== data.length) {
      throw new TfjsWeightsError(
        modelJsonPath,
        'trailing-bytes',
        `shards ${group.paths.join(', ')} hold ${data.length - offset} bytes more than the manifest describes`,
      );
    }
  }
  const metadata: Record<string, string> = {};
  for (const key of ['format', 'generatedBy', 'convertedBy'] as const) {
    const v = model[key];
    if (typeof v === 'string') metadata[key] = v;
  }
  return { tensors, metadata, modelTopology: model.modelTopology ?? null };
}
