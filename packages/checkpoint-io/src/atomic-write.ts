import { randomBytes } from 'node:crypto';
import { type FileHandle, open, rename, unlink } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';

/**
 * A hidden sibling of `path` to write into before renaming. Being in the same folder keeps
 * the rename atomic (same file system).
 */
export function tempPathFor(path: string): string {
  const suffix = `${process.pid}.${randomBytes(4).toString('hex')}`;
  return join(dirname(path), `.${basename(path)}.${suffix}.tmp`);
}

/** Removes a file, ignoring that it may already be gone. */
export async function removeQuietly(path: string): Promise<void> {
  await unlink(path).catch(() => undefined);
}

/**
 * Writes `path` atomically: `write` fills a temporary sibling, which is flushed to disk and
 * renamed over `path` only when `write` succeeds. On any failure the temporary file is
 * removed and `path` is untouched, so a crash never leaves a truncated file under its name.
 */
export async function writeCheckpointAtomic(
  path: string,
  write: (file: FileHandle) => Promise<void>,
): Promise<void> {
  const temp = tempPathFor(path);
  const file = await open(temp, 'wx');
  try {
    await write(file);
    await file.sync();
    await file.close();
    await rename(temp, path);
  } catch (error) {
    await file.close().catch(() => undefined);
    await removeQuietly(temp);
    throw error;
  }
}

/** Writes all of `bytes` at `position`, looping over short writes. */
export async function writeFully(
  file: FileHandle,
  bytes: Uint8Array,
  position: number,
): Promise<void> {
  let done = 0;
  while (done < bytes.length) {
    const want = Math.min(bytes.length - done, MAX_IO_CHUNK);
    const { bytesWritten } = await file.write(bytes, done, want, position + done);
    done += bytesWritten;
  }
}

/** The largest single read or write Node accepts is below 2 GiB; bigger ranges are chunked. */
const MAX_IO_CHUNK = 1 << 30;

/** Fills all of `target` from `position`; a file that ends first is an error. */
export async function readInto(
  file: FileHandle,
  target: Uint8Array,
  position: number,
  onShort: () => Error,
): Promise<void> {
  let done = 0;
  while (done < target.length) {
    const want = Math.min(target.length - done, MAX_IO_CHUNK);
    const { bytesRead } = await file.read(target, done, want, position + done);
    if (bytesRead === 0) throw onShort();
    done += bytesRead;
  }
}

/** Reads exactly `length` bytes at `position` into a fresh buffer; short files are an error. */
export async function readExactly(
  file: FileHandle,
  position: number,
  length: number,
  onShort: () => Error,
): Promise<Uint8Array> {
  const out = new Uint8Array(length);
  await readInto(file, out, position, onShort);
  return out;
}
