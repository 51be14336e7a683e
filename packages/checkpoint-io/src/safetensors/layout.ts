import { type DType, dtypeSize, isDType } from '../dtype';
import { SafetensorsError } from '../errors';
import { numel } from '../state-dict';
import { HEADER_LENGTH_BYTES, MAX_HEADER_SIZE } from './header';

/** A tensor as a writer needs it declared: no data yet. */
export interface TensorDeclaration {
  name: string;
  dtype: DType;
  shape: readonly number[];
}

/** Where each declared tensor goes, and the exact header bytes (length prefix included). */
export interface SafetensorsLayout {
  /** Declarations in file order, each with its absolute byte range. */
  entries: { name: string; dtype: DType; shape: number[]; begin: number; end: number }[];
  /** The 8-byte length followed by the space-padded JSON header. */
  headerBytes: Uint8Array;
  /** Total file size. */
  fileSize: number;
}

/**
 * The reference orders tensors by dtype alignment, largest first, then by name, so that
 * every tensor starts aligned. This is the order of its `Dtype` enum (alignment order).
 */
const ALIGNMENT_RANK: Record<DType, number> = {
  BOOL: 0,
  U8: 1,
  I8: 2,
  I16: 3,
  U16: 4,
  F16: 5,
  BF16: 6,
  I32: 7,
  U32: 8,
  F32: 9,
  F64: 10,
  I64: 11,
  U64: 12,
};

const utf8 = new TextEncoder();

/** Names compare as the reference compares them: by UTF-8 bytes. */
function compareNames(a: string, b: string): number {
  return Buffer.compare(Buffer.from(a, 'utf8'), Buffer.from(b, 'utf8'));
}

/**
 * Computes the reference layout: order, offsets and the header, padded with spaces to a
 * multiple of 8 bytes. Validates names, dtypes and shapes; `file` names the output in errors.
 */
export function planSafetensorsLayout(
  declarations: Iterable<TensorDeclaration>,
  metadata: Record<string, string> | undefined,
  file: string,
): SafetensorsLayout {
  const list = [...declarations];
  const seen = new Set<string>();
  for (const d of list) {
    if (d.name === '__metadata__') {
      throw new SafetensorsError(file, 'invalid-tensor', 'a tensor cannot be named "__metadata__"');
    }
    if (seen.has(d.name)) {
      throw new SafetensorsError(file, 'duplicate-name', `tensor "${d.name}" is declared twice`);
    }
    seen.add(d.name);
    if (!isDType(d.dtype)) {
      throw new SafetensorsError(
        file,
        'unknown-dtype',
        `tensor "${d.name}" has unknown dtype "${d.dtype}"`,
      );
    }
    if (!d.shape.every((x) => Number.isSafeInteger(x) && x >= 0)) {
      throw new SafetensorsError(
        file,
        'invalid-tensor',
        `tensor "${d.name}" has an invalid shape [${d.shape.join(', ')}]`,
      );
    }
  }
  list.sort(
    (a, b) => ALIGNMENT_RANK[b.dtype] - ALIGNMENT_RANK[a.dtype] || compareNames(a.name, b.name),
  );

  const parts: string[] = [];
  if (metadata && Object.keys(metadata).length > 0) {
    for (const [k, v] of Object.entries(metadata)) {
      if (typeof v !== 'string') {
        throw new SafetensorsError(
          file,
          'invalid-metadata',
          `metadata value of "${k}" is not a string`,
        );
      }
    }
    parts.push(`"__metadata__":${JSON.stringify(metadata)}`);
  }
  let offset = 0;
  const relative: { name: string; dtype: DType; shape: number[]; begin: number; end: number }[] =
    [];
  for (const d of list) {
    const size = numel(d.shape) * dtypeSize(d.dtype);
    if (!Number.isSafeInteger(size)) {
      throw new SafetensorsError(file, 'validation-overflow', `tensor "${d.name}" is too large`);
    }
    const begin = offset;
    offset += size;
    relative.push({ name: d.name, dtype: d.dtype, shape: [...d.shape], begin, end: offset });
    parts.push(
      `${JSON.stringify(d.name)}:{"dtype":"${d.dtype}","shape":[${d.shape.join(',')}],"data_offsets":[${begin},${offset}]}`,
    );
  }
  const json = utf8.encode(`{${parts.join(',')}}`);
  const padded = Math.ceil(json.length / HEADER_LENGTH_BYTES) * HEADER_LENGTH_BYTES;
  if (padded > MAX_HEADER_SIZE) {
    throw new SafetensorsError(
      file,
      'header-too-large',
      `header would be ${padded} bytes, over the ${MAX_HEADER_SIZE}-byte limit`,
    );
  }
  const headerBytes = new Uint8Array(HEADER_LENGTH_BYTES + padded).fill(0x20, HEADER_LENGTH_BYTES);
  new DataView(headerBytes.buffer).setBigUint64(0, BigInt(padded), true);
  headerBytes.set(json, HEADER_LENGTH_BYTES);
  const dataStart = headerBytes.length;
  return {
    entries: relative.map((e) => ({ ...e, begin: e.begin + dataStart, end: e.end + dataStart })),
    headerBytes,
    fileSize: dataStart + offset,
  };
}
