import { type DType, dtypeSize, isDType } from '../dtype';
import { SafetensorsError } from '../errors';
import {
  JsonNumber,
  JsonObject,
  JsonSyntaxError,
  type JsonValue,
  parseStrictJson,
} from '../strict-json';

/** The reference reader refuses headers above 100 MB (a guard against memory exhaustion). */
export const MAX_HEADER_SIZE = 100_000_000;
/** Size of the little-endian u64 header length that starts every file. */
export const HEADER_LENGTH_BYTES = 8;

/** Where one tensor lives in a safetensors file. */
export interface SafetensorsTensorInfo {
  name: string;
  dtype: DType;
  shape: number[];
  /** Byte range `[begin, end)` relative to the end of the header. */
  dataOffsets: [number, number];
}

/** A parsed and validated header. */
export interface SafetensorsHeader {
  /** JSON header length in bytes, padding included (the `n` of the format). */
  headerLength: number;
  /** Absolute file offset of the first tensor byte: `8 + headerLength`. */
  dataStart: number;
  /** Byte length of the data section, which ends the file. */
  dataLength: number;
  /** Tensors in data-offset order (the order of the bytes in the file). */
  tensors: SafetensorsTensorInfo[];
  /** The `__metadata__` map, `{}` when absent. */
  metadata: Record<string, string>;
}

const U64_LIMIT = 1n << 64n;

/**
 * Reads the header length from the first 8 bytes and checks it against the size limit and
 * the file size. Returns `n`.
 */
export function readHeaderLength(prefix: Uint8Array, fileSize: number, file: string): number {
  if (prefix.length < HEADER_LENGTH_BYTES || fileSize < HEADER_LENGTH_BYTES) {
    throw new SafetensorsError(
      file,
      'header-too-small',
      'file is shorter than the 8-byte header length',
    );
  }
  const n = new DataView(prefix.buffer, prefix.byteOffset, 8).getBigUint64(0, true);
  if (n > BigInt(MAX_HEADER_SIZE)) {
    throw new SafetensorsError(
      file,
      'header-too-large',
      `header length ${n} exceeds the ${MAX_HEADER_SIZE}-byte limit`,
    );
  }
  const length = Number(n);
  if (HEADER_LENGTH_BYTES + length > fileSize) {
    throw new SafetensorsError(
      file,
      'invalid-header-length',
      `header length ${length} runs past the end of the ${fileSize}-byte file`,
    );
  }
  return length;
}

const utf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

/**
 * Parses and validates the JSON header against `fileSize`, enforcing every rule of the
 * reference reader, in its order.
 */
export function parseHeader(
  headerBytes: Uint8Array,
  fileSize: number,
  file: string,
): SafetensorsHeader {
  let text: string;
  try {
    text = utf8.decode(headerBytes);
  } catch (cause) {
    throw new SafetensorsError(file, 'invalid-utf8', 'header is not valid UTF-8', { cause });
  }
  let json: JsonValue;
  try {
    json = parseStrictJson(text);
  } catch (cause) {
    if (cause instanceof JsonSyntaxError && cause.duplicateKey !== undefined) {
      throw new SafetensorsError(
        file,
        'duplicate-name',
        `header names "${cause.duplicateKey}" more than once`,
      );
    }
    const detail = cause instanceof Error ? cause.message : String(cause);
    throw new SafetensorsError(file, 'invalid-json', `header is not valid JSON (${detail})`, {
      cause,
    });
  }
  if (!(json instanceof JsonObject)) {
    throw new SafetensorsError(file, 'invalid-header', 'header is not a JSON object');
  }

  let metadata: Record<string, string> = {};
  const raw: { name: string; dtype: DType; shape: bigint[]; begin: bigint; end: bigint }[] = [];
  for (const [name, value] of json.entries) {
    if (name === '__metadata__') {
      metadata = parseMetadata(value, file);
      continue;
    }
    raw.push(parseTensorEntry(name, value, file));
  }

  // Like the reference, files may list tensors in any order; only the byte layout matters.
  raw.sort((a, b) => (a.begin !== b.begin ? cmp(a.begin, b.begin) : cmp(a.end, b.end)));
  let cursor = 0n;
  const tensors: SafetensorsTensorInfo[] = [];
  for (const entry of raw) {
    if (entry.begin !== cursor || entry.end < entry.begin) {
      throw new SafetensorsError(
        file,
        'invalid-offset',
        `tensor "${entry.name}" has data_offsets [${entry.begin}, ${entry.end}] but the previous tensor ends at ${cursor} (offsets must be contiguous from 0, without gaps or overlaps)`,
      );
    }
    cursor = entry.end;
    let count = 1n;
    for (const dim of entry.shape) {
      count *= dim;
      if (count >= U64_LIMIT) throw overflow(file, entry.name);
    }
    const bytes = count * BigInt(dtypeSize(entry.dtype));
    if (bytes >= U64_LIMIT) throw overflow(file, entry.name);
    if (entry.end - entry.begin !== bytes) {
      throw new SafetensorsError(
        file,
        'invalid-tensor-info',
        `tensor "${entry.name}" (${entry.dtype} [${entry.shape.join(', ')}]) needs ${bytes} bytes but data_offsets [${entry.begin}, ${entry.end}] span ${entry.end - entry.begin}`,
      );
    }
    if (entry.end > BigInt(Number.MAX_SAFE_INTEGER)) throw overflow(file, entry.name);
    tensors.push({
      name: entry.name,
      dtype: entry.dtype,
      shape: entry.shape.map(Number),
      dataOffsets: [Number(entry.begin), Number(entry.end)],
    });
  }

  const headerLength = headerBytes.length;
  const dataStart = HEADER_LENGTH_BYTES + headerLength;
  const dataLength = Number(cursor);
  if (dataStart + dataLength !== fileSize) {
    throw new SafetensorsError(
      file,
      'incomplete-buffer',
      `tensor data ends at byte ${dataStart + dataLength} but the file has ${fileSize} bytes (the data must end the file exactly)`,
    );
  }
  return { headerLength, dataStart, dataLength, tensors, metadata };
}

function cmp(a: bigint, b: bigint): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

function overflow(file: string, name: string): SafetensorsError {
  return new SafetensorsError(
    file,
    'validation-overflow',
    `tensor "${name}": shape × dtype size overflows`,
  );
}

function parseMetadata(value: JsonValue, file: string): Record<string, string> {
  const out: Record<string, string> = {};
  if (value === null) return out;
  if (!(value instanceof JsonObject)) {
    throw new SafetensorsError(file, 'invalid-metadata', '__metadata__ is not a JSON object');
  }
  for (const [key, v] of value.entries) {
    if (typeof v !== 'string') {
      throw new SafetensorsError(
        file,
        'invalid-metadata',
        `__metadata__ value of "${key}" is not a string (metadata must map strings to strings)`,
      );
    }
    Object.defineProperty(out, key, {
      value: v,
      enumerable: true,
      writable: true,
      configurable: true,
    });
  }
  return out;
}

function parseTensorEntry(
  name: string,
  value: JsonValue,
  file: string,
): { name: string; dtype: DType; shape: bigint[]; begin: bigint; end: bigint } {
  const bad = (what: string): SafetensorsError =>
    new SafetensorsError(file, 'invalid-header', `tensor "${name}": ${what}`);
  if (!(value instanceof JsonObject)) throw bad('entry is not a JSON object');
  let dtype: JsonValue | undefined;
  let shape: JsonValue | undefined;
  let offsets: JsonValue | undefined;
  for (const [key, v] of value.entries) {
    if (key === 'dtype') dtype = v;
    else if (key === 'shape') shape = v;
    else if (key === 'data_offsets') offsets = v;
  }
  if (typeof dtype !== 'string') throw bad('missing or non-string "dtype"');
  if (!isDType(dtype)) {
    throw new SafetensorsError(
      file,
      'unknown-dtype',
      `tensor "${name}" has unknown dtype "${dtype}"`,
    );
  }
  if (!Array.isArray(shape)) throw bad('missing or non-array "shape"');
  if (!Array.isArray(offsets) || offsets.length !== 2) {
    throw bad('"data_offsets" must be an array of two integers');
  }
  const toU64 = (v: JsonValue, what: string): bigint => {
    if (!(v instanceof JsonNumber) || !/^(0|[1-9]\d*)$/.test(v.raw)) {
      throw bad(`${what} must be a non-negative integer`);
    }
    const n = BigInt(v.raw);
    if (n >= U64_LIMIT) throw bad(`${what} ${v.raw} does not fit in 64 bits`);
    return n;
  };
  return {
    name,
    dtype,
    shape: shape.map((d) => toU64(d, 'shape entry')),
    begin: toU64(offsets[0]!, 'data_offsets[0]'),
    end: toU64(offsets[1]!, 'data_offsets[1]'),
  };
}
