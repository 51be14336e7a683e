import {
  isFloatingDType,
  numel,
  type StateDict,
  type TensorData,
  toFloat32,
} from '@pgen/checkpoint-io';
import { BenchError } from './errors';

/** Which tensors of a state dict count as its parameters. */
export type TensorFilter = (name: string, tensor: TensorData) => boolean;

/**
 * The default parameters: every floating-point tensor except BatchNorm's running statistics.
 * Those are buffers, not weights a generator produces, and noise on `running_var` could make
 * it negative, which would say nothing about the weights.
 */
export const defaultParameterFilter: TensorFilter = (name, tensor) =>
  isFloatingDType(tensor.dtype) &&
  !name.endsWith('running_mean') &&
  !name.endsWith('running_var') &&
  !name.endsWith('num_batches_tracked');

/**
 * Per-tensor z-score statistics fitted on a zoo: every parameter tensor, in the zoo's order,
 * with the mean and standard deviation of its values over all zoo checkpoints. Normalising
 * per tensor keeps a layer with large weights from dominating distances, as RPG's tokens do.
 */
export interface ParameterNormalisation {
  names: string[];
  shapes: number[][];
  /** Mean of each tensor over the zoo (float64). */
  mean: Float64Array;
  /** Standard deviation of each tensor over the zoo; 1 where the tensor is constant. */
  std: Float64Array;
  /** Start of each tensor in a flattened vector; `offsets[names.length]` is the length. */
  offsets: number[];
}

/** Options of `fitParameterNormalisation`. */
export interface FitNormalisationOptions {
  /** Which tensors are parameters (default `defaultParameterFilter`). */
  filter?: TensorFilter;
  /**
   * Keep tensors that are identical in every zoo checkpoint (default false). A p-diff zoo
   * trains only a few layers and copies the rest; those frozen tensors are not generated, so
   * they are left out of distances and noise (noise on them would perturb weights the
   * generator never touches).
   */
  keepFrozen?: boolean;
  /** Names of the zoo's checkpoints, for error messages (default `checkpoint i`). */
  sources?: readonly string[];
}

/**
 * Fits per-tensor z-score statistics on the zoo's checkpoints. With two or more checkpoints,
 * tensors identical in all of them are frozen and left out unless `keepFrozen`.
 */
export function fitParameterNormalisation(
  zoo: readonly StateDict[],
  options: FitNormalisationOptions = {},
): ParameterNormalisation {
  const filter = options.filter ?? defaultParameterFilter;
  const first = zoo[0];
  if (!first) throw new BenchError('cannot fit a parameter normalisation on an empty zoo');
  const sources = zoo.map((_, i) => sourceName(options.sources, i));
  const candidates: { name: string; shape: number[] }[] = [];
  for (const [name, tensor] of first) {
    if (filter(name, tensor)) candidates.push({ name, shape: [...tensor.shape] });
  }
  if (candidates.length === 0) {
    throw new BenchError(`${sources[0]}: no parameter tensors to compare`);
  }
  const all = layout(candidates);
  const kept = candidates.filter(
    (_, t) => options.keepFrozen || zoo.length < 2 || variesAcrossZoo(zoo, all, t, sources),
  );
  if (kept.length === 0) {
    throw new BenchError(
      `${sources[0]}: every parameter tensor is identical in all ${zoo.length} zoo checkpoints; nothing to compare`,
    );
  }
  const normalisation = layout(kept);
  normalisation.names.forEach((_, t) => {
    const n = zoo.length * (normalisation.offsets[t + 1]! - normalisation.offsets[t]!);
    // Two passes (mean, then squared deviations): a one-pass E[x²] − E[x]² loses the variance
    // of tensors whose values sit close to a large mean, such as BatchNorm scales near 1.
    let sum = 0;
    zoo.forEach((sd, i) => {
      for (const v of parameterValues(sd, normalisation, t, sources[i]!)) sum += v;
    });
    const mean = sum / n;
    let squares = 0;
    zoo.forEach((sd, i) => {
      for (const v of parameterValues(sd, normalisation, t, sources[i]!))
        squares += (v - mean) ** 2;
    });
    const std = Math.sqrt(squares / n);
    normalisation.mean[t] = mean;
    // A constant tensor would divide by zero; 1 keeps it at 0 in normalised space.
    normalisation.std[t] = std > 1e-12 * Math.max(1, Math.abs(mean)) ? std : 1;
  });
  return normalisation;
}

/** A normalisation with offsets for `tensors` and statistics still to fill in. */
function layout(tensors: readonly { name: string; shape: number[] }[]): ParameterNormalisation {
  const offsets = [0];
  for (const { shape } of tensors) offsets.push(offsets[offsets.length - 1]! + numel(shape));
  return {
    names: tensors.map((t) => t.name),
    shapes: tensors.map((t) => [...t.shape]),
    offsets,
    mean: new Float64Array(tensors.length),
    std: new Float64Array(tensors.length),
  };
}

/** Whether tensor `t` differs between any zoo checkpoint and the first. */
function variesAcrossZoo(
  zoo: readonly StateDict[],
  normalisation: ParameterNormalisation,
  t: number,
  sources: readonly string[],
): boolean {
  const reference = parameterValues(zoo[0]!, normalisation, t, sources[0]!);
  for (let i = 1; i < zoo.length; i++) {
    const values = parameterValues(zoo[i]!, normalisation, t, sources[i]!);
    for (let k = 0; k < values.length; k++) if (values[k] !== reference[k]) return true;
  }
  return false;
}

/** Number of values in a normalised parameter vector. */
export function parameterCount(normalisation: ParameterNormalisation): number {
  return normalisation.offsets[normalisation.names.length]!;
}

/**
 * A state dict's parameters flattened into one vector, each tensor z-scored with the zoo's
 * statistics. The state dict must hold every parameter tensor of the zoo with the same shape.
 */
export function normalisedParameterVector(
  stateDict: StateDict,
  normalisation: ParameterNormalisation,
  source = 'state dict',
): Float32Array {
  const out = new Float32Array(parameterCount(normalisation));
  normalisation.names.forEach((_, t) => {
    const values = parameterValues(stateDict, normalisation, t, source);
    const mean = normalisation.mean[t]!;
    const std = normalisation.std[t]!;
    const offset = normalisation.offsets[t]!;
    for (let i = 0; i < values.length; i++) out[offset + i] = (values[i]! - mean) / std;
  });
  return out;
}

/** `normalisedParameterVector` of each state dict; `sources` name them in errors. */
export function normalisedParameterVectors(
  stateDicts: readonly StateDict[],
  normalisation: ParameterNormalisation,
  sources?: readonly string[],
): Float32Array[] {
  return stateDicts.map((sd, i) =>
    normalisedParameterVector(sd, normalisation, sourceName(sources, i)),
  );
}

/**
 * Maps a normalised vector back to weights (×std + mean) and puts them into a copy of
 * `template`: parameter tensors become F32 with the new values, every other tensor (buffers,
 * counters) is the template's.
 */
export function stateDictFromVector(
  vector: Float32Array,
  normalisation: ParameterNormalisation,
  template: StateDict,
): StateDict {
  if (vector.length !== parameterCount(normalisation)) {
    throw new RangeError(
      `stateDictFromVector: vector has ${vector.length} values, the parameters ${parameterCount(normalisation)}`,
    );
  }
  const replaced = new Map<string, TensorData>();
  normalisation.names.forEach((name, t) => {
    const offset = normalisation.offsets[t]!;
    const length = normalisation.offsets[t + 1]! - offset;
    const mean = normalisation.mean[t]!;
    const std = normalisation.std[t]!;
    const data = new Float32Array(length);
    for (let i = 0; i < length; i++) data[i] = vector[offset + i]! * std + mean;
    replaced.set(name, { dtype: 'F32', shape: [...normalisation.shapes[t]!], data });
  });
  const out: StateDict = new Map();
  for (const [name, tensor] of template) out.set(name, replaced.get(name) ?? tensor);
  return out;
}

function parameterValues(
  stateDict: StateDict,
  normalisation: ParameterNormalisation,
  t: number,
  source: string,
): Float32Array {
  const name = normalisation.names[t]!;
  const tensor = stateDict.get(name);
  if (!tensor) throw new BenchError(`${source}: missing parameter tensor "${name}"`);
  const want = normalisation.shapes[t]!;
  if (tensor.shape.length !== want.length || tensor.shape.some((d, i) => d !== want[i])) {
    throw new BenchError(
      `${source}: tensor "${name}" has shape [${tensor.shape.join(', ')}], the zoo's is [${want.join(', ')}]`,
    );
  }
  const values = tensor.dtype === 'F32' ? (tensor.data as Float32Array) : toFloat32(tensor);
  for (let i = 0; i < values.length; i++) {
    if (!Number.isFinite(values[i]!)) {
      throw new BenchError(`${source}: tensor "${name}" holds a non-finite value at index ${i}`);
    }
  }
  return values;
}

function sourceName(sources: readonly string[] | undefined, index: number): string {
  return sources?.[index] ?? `checkpoint ${index}`;
}
