/**
 * Element types a StateDict tensor can hold, spelled as safetensors spells them.
 *
 * F16 and BF16 are kept as their raw 16-bit patterns (`Uint16Array`) so that a
 * read-then-write round trip is bit-exact; convert with `toFloat32` when values are needed.
 */
export type DType =
  | 'F64'
  | 'F32'
  | 'F16'
  | 'BF16'
  | 'I64'
  | 'U64'
  | 'I32'
  | 'U32'
  | 'I16'
  | 'U16'
  | 'I8'
  | 'U8'
  | 'BOOL';

/** The typed array that holds the elements of each dtype. */
export interface DTypeArrayMap {
  F64: Float64Array;
  F32: Float32Array;
  F16: Uint16Array;
  BF16: Uint16Array;
  I64: BigInt64Array;
  U64: BigUint64Array;
  I32: Int32Array;
  U32: Uint32Array;
  I16: Int16Array;
  U16: Uint16Array;
  I8: Int8Array;
  U8: Uint8Array;
  BOOL: Uint8Array;
}

export type TypedArrayFor<D extends DType> = DTypeArrayMap[D];
export type AnyTypedArray = DTypeArrayMap[DType];

type ArrayCtor = {
  new (length: number): AnyTypedArray;
  new (buffer: ArrayBufferLike, byteOffset?: number, length?: number): AnyTypedArray;
  readonly BYTES_PER_ELEMENT: number;
};

const ARRAY_CTOR: Record<DType, ArrayCtor> = {
  F64: Float64Array,
  F32: Float32Array,
  F16: Uint16Array,
  BF16: Uint16Array,
  I64: BigInt64Array,
  U64: BigUint64Array,
  I32: Int32Array,
  U32: Uint32Array,
  I16: Int16Array,
  U16: Uint16Array,
  I8: Int8Array,
  U8: Uint8Array,
  BOOL: Uint8Array,
} as unknown as Record<DType, ArrayCtor>;

/** Every supported dtype, in no particular order. */
export const DTYPES: readonly DType[] = Object.keys(ARRAY_CTOR) as DType[];

/** Thrown when a file or caller names a dtype pgen does not know; never a silent cast. */
export class UnknownDTypeError extends Error {
  /** The CLI prints this error's message alone (exit code 2). */
  readonly userFacing = true;
  constructor(
    readonly dtype: string,
    context?: string,
  ) {
    super(`${context ? `${context}: ` : ''}unknown dtype "${dtype}" (known: ${DTYPES.join(', ')})`);
    this.name = 'UnknownDTypeError';
  }
}

export function isDType(value: string): value is DType {
  return Object.hasOwn(ARRAY_CTOR, value);
}

/** Narrows a string to a DType or throws `UnknownDTypeError`. */
export function assertDType(value: string, context?: string): DType {
  if (!isDType(value)) throw new UnknownDTypeError(value, context);
  return value;
}

/** Size of one element in bytes. */
export function dtypeSize(dtype: DType): number {
  return ARRAY_CTOR[dtype].BYTES_PER_ELEMENT;
}

export function isFloatingDType(dtype: DType): boolean {
  return dtype === 'F64' || dtype === 'F32' || dtype === 'F16' || dtype === 'BF16';
}

/** A zero-filled typed array of `length` elements of `dtype`. */
export function allocTypedArray<D extends DType>(dtype: D, length: number): TypedArrayFor<D> {
  return new ARRAY_CTOR[dtype](length) as TypedArrayFor<D>;
}

/**
 * Views (no copy) `byteLength` bytes of `buffer` from `byteOffset` as `dtype` elements.
 * The offset must be aligned to the element size; callers that cannot guarantee it copy first.
 */
export function viewTypedArray<D extends DType>(
  dtype: D,
  buffer: ArrayBufferLike,
  byteOffset: number,
  length: number,
): TypedArrayFor<D> {
  return new ARRAY_CTOR[dtype](buffer, byteOffset, length) as TypedArrayFor<D>;
}
