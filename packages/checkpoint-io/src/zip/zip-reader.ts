import { type FileHandle, open } from 'node:fs/promises';
import { inflateRawSync } from 'node:zlib';
import { readExactly } from '../atomic-write';
import { ZipFormatError } from '../errors';

/** One file of a zip archive, as its central directory describes it. */
export interface ZipEntry {
  name: string;
  /** 0 = stored (what `torch.save` writes), 8 = deflated. */
  method: number;
  compressedSize: number;
  uncompressedSize: number;
  localHeaderOffset: number;
}

const EOCD_SIGNATURE = 0x06054b50;
const ZIP64_LOCATOR_SIGNATURE = 0x07064b50;
const ZIP64_EOCD_SIGNATURE = 0x06064b50;
const CENTRAL_SIGNATURE = 0x02014b50;
const LOCAL_SIGNATURE = 0x04034b50;
const EOCD_SIZE = 22;
const MAX_COMMENT = 0xffff;

/**
 * A read-only zip archive with random access: only the central directory is read up front,
 * and each entry is read from its own offset on demand. Supports ZIP64.
 */
export class ZipArchive {
  private constructor(
    readonly path: string,
    private readonly handle: FileHandle,
    readonly size: number,
    /** Entries by name, in central-directory order. */
    readonly entries: Map<string, ZipEntry>,
  ) {}

  static async open(path: string): Promise<ZipArchive> {
    const handle = await open(path, 'r');
    try {
      const { size } = await handle.stat();
      const entries = await readCentralDirectory(handle, size, path);
      return new ZipArchive(path, handle, size, entries);
    } catch (error) {
      await handle.close();
      throw error;
    }
  }

  /** The absolute byte range of an entry's (possibly compressed) data. */
  async dataRange(entry: ZipEntry): Promise<{ start: number; end: number }> {
    const fail = (why: string) =>
      new ZipFormatError(this.path, 'invalid-local-header', `entry "${entry.name}": ${why}`);
    if (entry.localHeaderOffset + 30 > this.size) throw fail('local header lies outside the file');
    const local = await readExactly(this.handle, entry.localHeaderOffset, 30, () =>
      fail('truncated'),
    );
    const view = new DataView(local.buffer);
    if (view.getUint32(0, true) !== LOCAL_SIGNATURE) throw fail('bad local header signature');
    const start =
      entry.localHeaderOffset + 30 + view.getUint16(26, true) + view.getUint16(28, true);
    const end = start + entry.compressedSize;
    if (end > this.size) throw fail('data runs past the end of the file');
    return { start, end };
  }

  /** Reads and, if needed, inflates one entry. */
  async read(name: string): Promise<Uint8Array> {
    const entry = this.entries.get(name);
    if (!entry)
      throw new ZipFormatError(this.path, 'missing-entry', `archive has no entry "${name}"`);
    const { start, end } = await this.dataRange(entry);
    const raw = await readExactly(
      this.handle,
      start,
      end - start,
      () => new ZipFormatError(this.path, 'truncated', `entry "${name}" is truncated`),
    );
    if (entry.method === 0) {
      if (entry.compressedSize !== entry.uncompressedSize) {
        throw new ZipFormatError(
          this.path,
          'invalid-entry',
          `stored entry "${name}" has mismatched sizes`,
        );
      }
      return raw;
    }
    if (entry.method === 8) {
      try {
        const out = inflateRawSync(raw, { maxOutputLength: Math.max(1, entry.uncompressedSize) });
        if (out.length !== entry.uncompressedSize) throw new Error('size mismatch');
        return new Uint8Array(out.buffer, out.byteOffset, out.length);
      } catch (cause) {
        throw new ZipFormatError(
          this.path,
          'invalid-entry',
          `entry "${name}" does not inflate to its declared size`,
          { cause },
        );
      }
    }
    throw new ZipFormatError(
      this.path,
      'unsupported-compression',
      `entry "${name}" uses compression method ${entry.method} (only stored and deflate are supported)`,
    );
  }

  async close(): Promise<void> {
    await this.handle.close();
  }
}

function toSafe(value: bigint, path: string, what: string): number {
  if (value > BigInt(Number.MAX_SAFE_INTEGER)) {
    throw new ZipFormatError(path, 'invalid-zip64', `${what} is out of range`);
  }
  return Number(value);
}

async function readCentralDirectory(
  handle: FileHandle,
  size: number,
  path: string,
): Promise<Map<string, ZipEntry>> {
  const truncated = () => new ZipFormatError(path, 'truncated', 'archive is truncated');
  if (size < EOCD_SIZE)
    throw new ZipFormatError(path, 'missing-end-record', 'file is too small to be a zip archive');
  const tailLength = Math.min(size, EOCD_SIZE + MAX_COMMENT);
  const tailStart = size - tailLength;
  const tail = await readExactly(handle, tailStart, tailLength, truncated);
  const tv = new DataView(tail.buffer);
  let eocd = -1;
  for (let i = tailLength - EOCD_SIZE; i >= 0; i--) {
    if (tv.getUint32(i, true) === EOCD_SIGNATURE) {
      eocd = i;
      break;
    }
  }
  if (eocd < 0)
    throw new ZipFormatError(path, 'missing-end-record', 'no end-of-central-directory record');

  let count = tv.getUint16(eocd + 10, true);
  let cdSize = tv.getUint32(eocd + 12, true);
  let cdOffset = tv.getUint32(eocd + 16, true);
  if (count === 0xffff || cdSize === 0xffffffff || cdOffset === 0xffffffff) {
    const locatorAt = tailStart + eocd - 20;
    if (locatorAt < 0) throw new ZipFormatError(path, 'invalid-zip64', 'missing ZIP64 locator');
    const locator = await readExactly(handle, locatorAt, 20, truncated);
    const lv = new DataView(locator.buffer);
    if (lv.getUint32(0, true) !== ZIP64_LOCATOR_SIGNATURE) {
      throw new ZipFormatError(path, 'invalid-zip64', 'missing ZIP64 locator');
    }
    const recordAt = toSafe(lv.getBigUint64(8, true), path, 'ZIP64 record offset');
    if (recordAt + 56 > size)
      throw new ZipFormatError(path, 'invalid-zip64', 'ZIP64 record lies outside the file');
    const record = await readExactly(handle, recordAt, 56, truncated);
    const rv = new DataView(record.buffer);
    if (rv.getUint32(0, true) !== ZIP64_EOCD_SIGNATURE) {
      throw new ZipFormatError(path, 'invalid-zip64', 'bad ZIP64 end record signature');
    }
    count = toSafe(rv.getBigUint64(32, true), path, 'entry count');
    cdSize = toSafe(rv.getBigUint64(40, true), path, 'central directory size');
    cdOffset = toSafe(rv.getBigUint64(48, true), path, 'central directory offset');
  }
  if (cdOffset + cdSize > size) {
    throw new ZipFormatError(
      path,
      'invalid-central-directory',
      'central directory lies outside the file',
    );
  }
  const cd = await readExactly(handle, cdOffset, cdSize, truncated);
  const view = new DataView(cd.buffer);
  const decoder = new TextDecoder('utf-8', { fatal: false });
  const entries = new Map<string, ZipEntry>();
  let p = 0;
  for (let i = 0; i < count; i++) {
    if (p + 46 > cd.length || view.getUint32(p, true) !== CENTRAL_SIGNATURE) {
      throw new ZipFormatError(
        path,
        'invalid-central-directory',
        `central directory entry ${i} is malformed`,
      );
    }
    const method = view.getUint16(p + 10, true);
    let compressedSize = view.getUint32(p + 20, true);
    let uncompressedSize = view.getUint32(p + 24, true);
    const nameLength = view.getUint16(p + 28, true);
    const extraLength = view.getUint16(p + 30, true);
    const commentLength = view.getUint16(p + 32, true);
    let localHeaderOffset = view.getUint32(p + 42, true);
    const end = p + 46 + nameLength + extraLength + commentLength;
    if (end > cd.length) {
      throw new ZipFormatError(
        path,
        'invalid-central-directory',
        `central directory entry ${i} is truncated`,
      );
    }
    const name = decoder.decode(cd.subarray(p + 46, p + 46 + nameLength));
    // ZIP64 extended information holds, in this order, only the fields saturated above.
    let e = p + 46 + nameLength;
    const extraEnd = e + extraLength;
    while (e + 4 <= extraEnd) {
      const id = view.getUint16(e, true);
      const len = view.getUint16(e + 2, true);
      if (e + 4 + len > extraEnd) break;
      if (id === 0x0001) {
        let q = e + 4;
        const next = (what: string): number => {
          if (q + 8 > e + 4 + len)
            throw new ZipFormatError(path, 'invalid-zip64', `entry "${name}": short ZIP64 field`);
          const v = toSafe(view.getBigUint64(q, true), path, what);
          q += 8;
          return v;
        };
        if (uncompressedSize === 0xffffffff) uncompressedSize = next('uncompressed size');
        if (compressedSize === 0xffffffff) compressedSize = next('compressed size');
        if (localHeaderOffset === 0xffffffff) localHeaderOffset = next('local header offset');
      }
      e += 4 + len;
    }
    if (localHeaderOffset + compressedSize > size) {
      throw new ZipFormatError(
        path,
        'invalid-central-directory',
        `entry "${name}" lies outside the file`,
      );
    }
    entries.set(name, { name, method, compressedSize, uncompressedSize, localHeaderOffset });
    p = end;
  }
  return entries;
}
