import { type DType, dtypeSize } from '../dtype';
import { PthFormatError } from '../errors';

/** A PyTorch storage referenced by a pickle; its bytes are attached once they are read. */
export interface StorageRef {
  readonly kind: 'storage';
  readonly key: string;
  readonly dtype: DType;
  /** Number of elements. */
  readonly numel: number;
  /** Little-endian bytes at offset 0 of their own buffer (so aligned), once loaded. */
  bytes?: Uint8Array;
  /** Legacy files may declare a storage as a window of another one. */
  viewOf?: { root: StorageRef; offset: number };
}

/** `torch.<Name>Storage` classes and the dtype of their elements. */
export const STORAGE_DTYPES: Readonly<Record<string, DType>> = {
  DoubleStorage: 'F64',
  FloatStorage: 'F32',
  HalfStorage: 'F16',
  BFloat16Storage: 'BF16',
  LongStorage: 'I64',
  IntStorage: 'I32',
  ShortStorage: 'I16',
  CharStorage: 'I8',
  ByteStorage: 'U8',
  BoolStorage: 'BOOL',
};

/** The bytes of a storage, resolving legacy views; fails if they were never loaded. */
export function storageBytes(storage: StorageRef, file: string): Uint8Array {
  if (storage.viewOf) {
    const { root, offset } = storage.viewOf;
    const size = dtypeSize(storage.dtype);
    const rootBytes = storageBytes(root, file);
    const begin = offset * size;
    const end = begin + storage.numel * size;
    if (end > rootBytes.length) {
      throw new PthFormatError(
        file,
        'storage-out-of-bounds',
        `storage view "${storage.key}" runs past storage "${root.key}"`,
      );
    }
    // A fresh copy keeps the result aligned whatever the view's offset.
    return rootBytes.slice(begin, end);
  }
  if (!storage.bytes) {
    throw new PthFormatError(
      file,
      'missing-storage',
      `storage "${storage.key}" has no data in the file`,
    );
  }
  return storage.bytes;
}

/** Copies bytes into a fresh buffer (offset 0, so aligned for any element size). */
export function alignedCopy(bytes: Uint8Array): Uint8Array {
  const copy = new Uint8Array(bytes.length);
  copy.set(bytes);
  return copy;
}
