import { type FileHandle, open, rename } from 'node:fs/promises';
import { removeQuietly, tempPathFor, writeFully } from '../atomic-write';
import { bytesOf } from '../bytes';
import type { AnyTypedArray } from '../dtype';
import { SafetensorsError } from '../errors';
import { planSafetensorsLayout, type SafetensorsLayout, type TensorDeclaration } from './layout';
import type { WriteSafetensorsOptions } from './writer';

type Entry = SafetensorsLayout['entries'][number];

/**
 * Writes a safetensors file one tensor at a time, so a model larger than memory can be
 * produced. All names, dtypes and shapes are declared up front (the header comes first in
 * the file); tensors may then be written in any order. Output goes to a temporary sibling
 * that `close()` renames into place once every tensor is written; `abort()` removes it.
 *
 * ```ts
 * const writer = await SafetensorsStreamWriter.create('out.safetensors', decls);
 * for (const d of decls) await writer.writeTensor(d.name, generate(d));
 * await writer.close();
 * ```
 */
export class SafetensorsStreamWriter {
  private readonly pending: Map<string, Entry>;
  private finished = false;

  private constructor(
    /** The final path. */
    readonly path: string,
    private readonly tempPath: string,
    private readonly handle: FileHandle,
    layout: SafetensorsLayout,
  ) {
    this.pending = new Map(layout.entries.map((e) => [e.name, e]));
  }

  /** Opens the temporary file and writes the header for `declarations`. */
  static async create(
    path: string,
    declarations: Iterable<TensorDeclaration>,
    options: WriteSafetensorsOptions = {},
  ): Promise<SafetensorsStreamWriter> {
    const layout = planSafetensorsLayout(declarations, options.metadata, path);
    const tempPath = tempPathFor(path);
    const handle = await open(tempPath, 'wx');
    try {
      await writeFully(handle, layout.headerBytes, 0);
    } catch (error) {
      await handle.close().catch(() => undefined);
      await removeQuietly(tempPath);
      throw error;
    }
    return new SafetensorsStreamWriter(path, tempPath, handle, layout);
  }

  /** Names declared but not written yet. */
  get remaining(): string[] {
    return [...this.pending.keys()];
  }

  /**
   * Writes one declared tensor: a typed array of its dtype, or its raw little-endian bytes
   * (`Uint8Array`). The byte length must match the declaration exactly.
   */
  async writeTensor(name: string, data: AnyTypedArray): Promise<void> {
    if (this.finished) {
      throw new SafetensorsError(
        this.path,
        'invalid-tensor',
        `writer is closed; cannot write "${name}"`,
      );
    }
    const entry = this.pending.get(name);
    if (!entry) {
      throw new SafetensorsError(
        this.path,
        'tensor-not-found',
        `tensor "${name}" was not declared, or was already written`,
      );
    }
    const bytes = bytesOf(data);
    if (bytes.length !== entry.end - entry.begin) {
      throw new SafetensorsError(
        this.path,
        'invalid-tensor',
        `tensor "${name}" (${entry.dtype} [${entry.shape.join(', ')}]) needs ${entry.end - entry.begin} bytes, got ${bytes.length}`,
      );
    }
    await writeFully(this.handle, bytes, entry.begin);
    this.pending.delete(name);
  }

  /** Flushes and renames the file into place; fails (and aborts) if a tensor is missing. */
  async close(): Promise<void> {
    if (this.finished) return;
    if (this.pending.size > 0) {
      const missing = this.remaining;
      await this.abort();
      throw new SafetensorsError(
        this.path,
        'invalid-tensor',
        `closed before writing ${missing.length} declared tensor(s): ${missing.slice(0, 5).join(', ')}`,
      );
    }
    this.finished = true;
    try {
      await this.handle.sync();
      await this.handle.close();
      await rename(this.tempPath, this.path);
    } catch (error) {
      await this.handle.close().catch(() => undefined);
      await removeQuietly(this.tempPath);
      throw error;
    }
  }

  /** Discards everything written; the final path is never touched. */
  async abort(): Promise<void> {
    this.finished = true;
    await this.handle.close().catch(() => undefined);
    await removeQuietly(this.tempPath);
  }
}
