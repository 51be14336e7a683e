import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { writeCheckpointAtomic, writeFully } from '@pgen/checkpoint-io';
import { ZooError } from '../errors';

/** What a manifest is, for the error of a folder that has none. */
export interface ManifestKind {
  /** File name inside the zoo folder (`zoo.json`). */
  file: string;
  /** What the folder is not, when the file is missing (`a zoo`). */
  what: string;
  /** The command that makes one (`pgen zoo collect`). */
  command: string;
}

/**
 * Reads `<dir>/<kind.file>` as JSON: a missing file says what the folder is not and how to make
 * one, an unreadable or corrupt one names the file; the caller checks the parsed value.
 */
export async function readManifestJson(dir: string, kind: ManifestKind): Promise<unknown> {
  const file = join(dir, kind.file);
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw new ZooError(
      code === 'ENOENT'
        ? `${dir}: not ${kind.what} (no ${kind.file}); collect one with \`${kind.command}\``
        : `${file}: cannot read (${(error as Error).message})`,
      { cause: error },
    );
  }
  try {
    return JSON.parse(text);
  } catch (error) {
    throw new ZooError(`${file}: corrupt manifest, not valid JSON (${(error as Error).message})`, {
      cause: error,
    });
  }
}

/** Writes a manifest atomically: readers see the old or the new one, never a mix. */
export async function writeManifestJson(path: string, manifest: unknown): Promise<void> {
  const bytes = new TextEncoder().encode(`${JSON.stringify(manifest, null, 2)}\n`);
  await writeCheckpointAtomic(path, (file) => writeFully(file, bytes, 0));
}
