import { gather, reshape, type Tensor, tensor, tensor1d, tidy } from '@tensorflow/tfjs-core';
import { DiffusionInputError } from '../errors';

/**
 * Timesteps, one per batch row: an int32 tensor of shape [batch], a plain array, or one number
 * for every row.
 */
export type Timesteps = Tensor | readonly number[] | number;

/**
 * Looks up `table[t]` for each batch row and shapes it [batch, 1, …, 1] to broadcast against a
 * tensor of rank `rank`. Plain-number timesteps are checked here; an int32 tensor is gathered
 * on the backend, where cpu and wasm reject an out-of-range index but WebGPU does not, so pass
 * arrays where that matters.
 */
export function rowCoefficients(
  table: Float64Array,
  timesteps: Timesteps,
  batch: number,
  rank: number,
): Tensor {
  const broadcastShape = [batch, ...new Array<number>(Math.max(rank - 1, 0)).fill(1)];
  if (typeof timesteps === 'number') {
    const value = table[checkTimestep(timesteps, table.length)] as number;
    return tensor(new Float32Array(batch).fill(value), broadcastShape);
  }
  if (Array.isArray(timesteps) || ArrayBuffer.isView(timesteps)) {
    const list = timesteps as readonly number[];
    if (list.length !== batch) {
      throw new DiffusionInputError(`${list.length} timesteps for a batch of ${batch} rows`);
    }
    const values = new Float32Array(batch);
    for (let i = 0; i < batch; i++) {
      values[i] = table[checkTimestep(list[i] as number, table.length)] as number;
    }
    return tensor(values, broadcastShape);
  }
  const t = timesteps as Tensor;
  if (t.dtype !== 'int32' || t.rank !== 1 || t.shape[0] !== batch) {
    throw new DiffusionInputError(
      `timesteps tensor must be int32 of shape [${batch}], got ${t.dtype} [${t.shape.join(', ')}]`,
    );
  }
  return tidy(() => reshape(gather(tensor1d(Float32Array.from(table)), t), broadcastShape));
}

/** Checks that `t` is an integer timestep in [0, T) and returns it. */
export function checkTimestep(t: number, numTrainTimesteps: number): number {
  if (!Number.isInteger(t) || t < 0 || t >= numTrainTimesteps) {
    throw new DiffusionInputError(
      `timestep ${t} is outside the schedule [0, ${numTrainTimesteps - 1}]`,
    );
  }
  return t;
}
