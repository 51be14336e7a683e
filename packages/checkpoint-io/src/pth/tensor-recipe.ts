import { allocTypedArray, dtypeSize, viewTypedArray } from '../dtype';
import { PthFormatError } from '../errors';
import { numel, type TensorData } from '../state-dict';
import { type StorageRef, storageBytes } from './storage';

/**
 * What `torch._utils._rebuild_tensor_v2` describes: a strided view of a storage. Kept as a
 * recipe until the storages are read (legacy files store them after the pickle).
 */
export interface TensorRecipe {
  readonly kind: 'tensor-recipe';
  readonly storage: StorageRef;
  readonly offset: number;
  readonly size: readonly number[];
  readonly stride: readonly number[];
}

export function isTensorRecipe(value: unknown): value is TensorRecipe {
  return (
    typeof value === 'object' &&
    value !== null &&
    (value as { kind?: unknown }).kind === 'tensor-recipe'
  );
}

function isIndexList(value: unknown): value is readonly number[] {
  return Array.isArray(value) && value.every((v) => Number.isSafeInteger(v) && v >= 0);
}

/** Checks the arguments of `_rebuild_tensor_v2(storage, offset, size, stride, ...)`. */
export function makeTensorRecipe(args: readonly unknown[], file: string): TensorRecipe {
  const [storage, offset, size, stride] = args;
  const s = storage as StorageRef | undefined;
  if (s?.kind !== 'storage') {
    throw new PthFormatError(file, 'invalid-tensor', 'tensor is not backed by a storage');
  }
  if (
    !Number.isSafeInteger(offset) ||
    (offset as number) < 0 ||
    !isIndexList(size) ||
    !isIndexList(stride) ||
    size.length !== stride.length
  ) {
    throw new PthFormatError(
      file,
      'invalid-tensor',
      'tensor has an invalid storage offset, size or stride',
    );
  }
  return { kind: 'tensor-recipe', storage: s, offset: offset as number, size, stride };
}

/**
 * Copies a strided view out of its storage into a contiguous (row-major) tensor. Handles
 * transposes, slices, stride-0 expansions and storages shared between tensors.
 */
export function materializeTensor(recipe: TensorRecipe, file: string): TensorData {
  const { storage, offset, size, stride } = recipe;
  const { dtype } = storage;
  const n = numel(size);
  if (!Number.isSafeInteger(n))
    throw new PthFormatError(file, 'invalid-tensor', 'tensor is too large');
  if (n === 0) return { dtype, shape: [...size], data: allocTypedArray(dtype, 0) };
  let last = offset;
  for (let d = 0; d < size.length; d++) last += (size[d]! - 1) * stride[d]!;
  if (last >= storage.numel) {
    throw new PthFormatError(
      file,
      'tensor-out-of-bounds',
      `a tensor of size [${size.join(', ')}] reads element ${last} of storage "${storage.key}", which has ${storage.numel}`,
    );
  }
  const bytes = storageBytes(storage, file);
  if (bytes.length < storage.numel * dtypeSize(dtype)) {
    throw new PthFormatError(
      file,
      'storage-too-small',
      `storage "${storage.key}" holds fewer bytes than its ${storage.numel} elements need`,
    );
  }
  const src = viewTypedArray(dtype, bytes.buffer, bytes.byteOffset, storage.numel);
  let contiguous = true;
  let expected = 1;
  for (let d = size.length - 1; d >= 0; d--) {
    if (size[d] !== 1 && stride[d] !== expected) contiguous = false;
    expected *= size[d]!;
  }
  if (contiguous) {
    return { dtype, shape: [...size], data: src.slice(offset, offset + n) as TensorData['data'] };
  }
  const out = allocTypedArray(dtype, n);
  const from = src as unknown as ArrayLike<number>;
  const to = out as unknown as number[];
  const rank = size.length;
  const inner = size[rank - 1]!;
  const innerStride = stride[rank - 1]!;
  const index = new Array<number>(rank).fill(0);
  let base = offset;
  for (let o = 0; o < n; o += inner) {
    for (let i = 0, j = base; i < inner; i++, j += innerStride) to[o + i] = from[j]!;
    // Advance the outer dimensions like an odometer.
    for (let d = rank - 2; d >= 0; d--) {
      index[d]!++;
      base += stride[d]!;
      if (index[d]! < size[d]!) break;
      base -= size[d]! * stride[d]!;
      index[d] = 0;
    }
  }
  return { dtype, shape: [...size], data: out };
}
