import { allocTypedArray, type DType, dtypeSize, type TypedArrayFor } from './dtype';

/** One named tensor: row-major (C-contiguous) elements of `dtype`, `shape` in PyTorch order. */
export interface TensorData<D extends DType = DType> {
  dtype: D;
  shape: number[];
  data: TypedArrayFor<D>;
}

/**
 * An ordered map from tensor name to tensor, as `torch.nn.Module.state_dict()` returns it.
 * Iteration order is insertion order, which the writers keep.
 */
export type StateDict = Map<string, TensorData>;

/** Number of elements of a shape; `[]` (a scalar) has one. */
export function numel(shape: readonly number[]): number {
  let n = 1;
  for (const d of shape) n *= d;
  return n;
}

/** Byte length of a tensor's data. */
export function byteLength(tensor: TensorData): number {
  return numel(tensor.shape) * dtypeSize(tensor.dtype);
}

/** Makes a tensor, checking that `data` holds exactly `numel(shape)` elements. */
export function makeTensor<D extends DType>(
  dtype: D,
  shape: number[],
  data?: TypedArrayFor<D>,
): TensorData<D> {
  const n = numel(shape);
  const values = data ?? allocTypedArray(dtype, n);
  if (values.length !== n) {
    throw new RangeError(
      `tensor of shape [${shape.join(', ')}] needs ${n} elements, got ${values.length}`,
    );
  }
  return { dtype, shape: [...shape], data: values };
}
