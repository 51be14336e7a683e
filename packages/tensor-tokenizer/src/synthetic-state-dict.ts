import {
  type DType,
  fromFloat32,
  numel,
  type StateDict,
  type TensorData,
} from '@pgen/checkpoint-io';

/** A small seeded PRNG (mulberry32), so synthetic zoos are reproducible. */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Fills `out` with normal values of the given mean and std (Box–Muller). */
export function fillNormal(
  out: Float32Array,
  random: () => number,
  mean = 0,
  std = 1,
): Float32Array {
  for (let i = 0; i < out.length; i += 2) {
    const r = Math.sqrt(-2 * Math.log(1 - random()));
    const a = 2 * Math.PI * random();
    out[i] = mean + std * r * Math.cos(a);
    if (i + 1 < out.length) out[i + 1] = mean + std * r * Math.sin(a);
  }
  return out;
}

/** One tensor of a synthetic checkpoint: floats drawn around `mean`, integers as given. */
export interface SyntheticTensor {
  name: string;
  shape: number[];
  dtype?: DType;
  mean?: number;
  std?: number;
  /** Draw |x| instead of x (variances). */
  positive?: boolean;
}

/** A random checkpoint with the given tensors; integer dtypes hold small random integers. */
export function syntheticStateDict(tensors: readonly SyntheticTensor[], seed: number): StateDict {
  const random = seededRandom(seed);
  const stateDict: StateDict = new Map();
  for (const spec of tensors) {
    const dtype = spec.dtype ?? 'F32';
    const values = fillNormal(new Float32Array(numel(spec.shape)), random, spec.mean, spec.std);
    if (spec.positive) for (let i = 0; i < values.length; i++) values[i] = Math.abs(values[i]!);
    stateDict.set(spec.name, toDType(values, spec.shape, dtype));
  }
  return stateDict;
}

function toDType(values: Float32Array, shape: number[], dtype: DType): TensorData {
  switch (dtype) {
    case 'F32':
    case 'F16':
    case 'BF16':
    case 'F64':
      return fromFloat32(values, shape, dtype);
    case 'I64':
      return { dtype, shape, data: BigInt64Array.from(values, (v) => BigInt(Math.round(v * 100))) };
    case 'BOOL':
      return { dtype, shape, data: Uint8Array.from(values, (v) => (v > 0 ? 1 : 0)) };
    case 'I32':
      return { dtype, shape, data: Int32Array.from(values, (v) => Math.round(v * 100)) };
    default:
      throw new TypeError(`syntheticStateDict: no generator for ${dtype}`);
  }
}

/** A small CNN with BatchNorm, named as torchvision names them. */
export const SMALL_CNN: readonly SyntheticTensor[] = [
  { name: 'conv1.weight', shape: [8, 3, 3, 3], std: 0.2 },
  { name: 'bn1.weight', shape: [8], mean: 1, std: 0.1 },
  { name: 'bn1.bias', shape: [8], std: 0.1 },
  { name: 'bn1.running_mean', shape: [8], std: 0.5 },
  { name: 'bn1.running_var', shape: [8], mean: 0, std: 2, positive: true },
  { name: 'bn1.num_batches_tracked', shape: [], dtype: 'I64', mean: 5 },
  { name: 'conv2.weight', shape: [16, 8, 3, 3], std: 0.1 },
  { name: 'fc.weight', shape: [10, 64], std: 0.05 },
  { name: 'fc.bias', shape: [10], std: 0.01 },
  { name: 'logit_scale', shape: [], mean: 2.5 },
];

/** A zoo of `count` synthetic checkpoints of one architecture. */
export function syntheticZoo(
  tensors: readonly SyntheticTensor[],
  count: number,
  seed = 1,
): StateDict[] {
  return Array.from({ length: count }, (_, i) => syntheticStateDict(tensors, seed + i * 7919));
}
