import { type FileHandle, open } from 'node:fs/promises';
import { readExactly, readInto } from '../atomic-write';
import { typedArrayFromBytes, viewOrCopy } from '../bytes';
import { SafetensorsError } from '../errors';
import type { StateDict, TensorData } from '../state-dict';
import {
  HEADER_LENGTH_BYTES,
  parseHeader,
  readHeaderLength,
  type SafetensorsHeader,
  type SafetensorsTensorInfo,
} from './header';

/** What a whole-file read returns. */
export interface SafetensorsContents {
  /** Tensors in file (data-offset) order. */
  tensors: StateDict;
  metadata: Record<string, string>;
}

/** Options of `readSafetensors`. */
export interface ReadSafetensorsOptions {
  /** Read only these tensors (default: all). Unknown names are an error. */
  names?: readonly string[];
}

/**
 * Parses a whole safetensors file held in memory. Tensor data is copied into fresh aligned
 * arrays, so the result does not alias `bytes`.
 */
export function parseSafetensors(bytes: Uint8Array, fileName = '<buffer>'): SafetensorsContents {
  const n = readHeaderLength(bytes.subarray(0, HEADER_LENGTH_BYTES), bytes.length, fileName);
  const header = parseHeader(
    bytes.subarray(HEADER_LENGTH_BYTES, HEADER_LENGTH_BYTES + n),
    bytes.length,
    fileName,
  );
  const tensors: StateDict = new Map();
  for (const info of header.tensors) {
    const [begin, end] = info.dataOffsets;
    const slice = bytes.subarray(header.dataStart + begin, header.dataStart + end);
    tensors.set(info.name, {
      dtype: info.dtype,
      shape: [...info.shape],
      data: typedArrayFromBytes(info.dtype, slice),
    });
  }
  return { tensors, metadata: header.metadata };
}

/**
 * An open safetensors file whose header has been validated. Tensors are read one at a time
 * by offset, so memory use is bounded by the largest tensor, not the file.
 */
export class SafetensorsFile {
  private readonly byName: Map<string, SafetensorsTensorInfo>;

  private constructor(
    /** The path the file was opened from. */
    readonly path: string,
    private readonly handle: FileHandle,
    /** The validated header. */
    readonly header: SafetensorsHeader,
  ) {
    this.byName = new Map(header.tensors.map((t) => [t.name, t]));
  }

  /** Opens `path` and validates its header; the data section is not read. */
  static async open(path: string): Promise<SafetensorsFile> {
    const handle = await open(path, 'r');
    try {
      const { size } = await handle.stat();
      const short = () =>
        new SafetensorsError(path, 'incomplete-buffer', 'file changed size while being read');
      const prefix = await readExactly(handle, 0, Math.min(HEADER_LENGTH_BYTES, size), short);
      const n = readHeaderLength(prefix, size, path);
      const headerBytes = await readExactly(handle, HEADER_LENGTH_BYTES, n, short);
      return new SafetensorsFile(path, handle, parseHeader(headerBytes, size, path));
    } catch (error) {
      await handle.close();
      throw error;
    }
  }

  /** Tensor names in file order. */
  get names(): string[] {
    return this.header.tensors.map((t) => t.name);
  }

  get metadata(): Record<string, string> {
    return this.header.metadata;
  }

  /** Dtype, shape and offsets of one tensor, or `undefined`. */
  info(name: string): SafetensorsTensorInfo | undefined {
    return this.byName.get(name);
  }

  /**
   * The raw little-endian bytes of one tensor, read from its offset only. With `target`
   * (at least as long as the tensor), the bytes are read into it and a view of it is
   * returned, so a loop over a large file can reuse one buffer and keep memory flat.
   */
  async readTensorBytes(name: string, target?: Uint8Array): Promise<Uint8Array> {
    const info = this.byName.get(name);
    if (!info) {
      throw new SafetensorsError(this.path, 'tensor-not-found', `no tensor named "${name}"`);
    }
    const [begin, end] = info.dataOffsets;
    const truncated = () =>
      new SafetensorsError(
        this.path,
        'incomplete-buffer',
        `file was truncated while reading "${name}"`,
      );
    if (!target)
      return readExactly(this.handle, this.header.dataStart + begin, end - begin, truncated);
    if (target.length < end - begin) {
      throw new RangeError(`target holds ${target.length} bytes; "${name}" needs ${end - begin}`);
    }
    const view = target.subarray(0, end - begin);
    await readInto(this.handle, view, this.header.dataStart + begin, truncated);
    return view;
  }

  /** Byte length of the largest tensor: the buffer size `readTensorBytes` needs to reuse. */
  get maxTensorBytes(): number {
    let max = 0;
    for (const t of this.header.tensors) max = Math.max(max, t.dataOffsets[1] - t.dataOffsets[0]);
    return max;
  }

  /** One tensor, read by random access. */
  async readTensor(name: string): Promise<TensorData> {
    const bytes = await this.readTensorBytes(name);
    const info = this.byName.get(name)!;
    // `readExactly` returns a fresh buffer at offset 0, so this views it without a copy.
    return { dtype: info.dtype, shape: [...info.shape], data: viewOrCopy(info.dtype, bytes) };
  }

  async close(): Promise<void> {
    await this.handle.close();
  }
}

/** Opens a safetensors file for random access (see `SafetensorsFile`). */
export function openSafetensors(path: string): Promise<SafetensorsFile> {
  return SafetensorsFile.open(path);
}

/** Reads every tensor (or `options.names`) of a safetensors file. */
export async function readSafetensors(
  path: string,
  options: ReadSafetensorsOptions = {},
): Promise<SafetensorsContents> {
  const file = await openSafetensors(path);
  try {
    const names = options.names ?? file.names;
    const tensors: StateDict = new Map();
    for (const name of names) tensors.set(name, await file.readTensor(name));
    return { tensors, metadata: { ...file.metadata } };
  } finally {
    await file.close();
  }
}
