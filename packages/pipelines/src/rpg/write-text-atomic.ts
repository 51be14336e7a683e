import { mkdir } from 'node:fs/promises';
import { dirname } from 'node:path';
import { writeCheckpointAtomic } from '@pgen/checkpoint-io';

/** Writes a text file (JSON, Markdown) through a renamed temporary, creating its folder. */
export async function writeTextAtomic(path: string, text: string): Promise<void> {
  await mkdir(dirname(path), { recursive: true });
  await writeCheckpointAtomic(path, async (handle) => {
    await handle.writeFile(text);
  });
}

/** Writes a binary file (a PNG plot) the same way. */
export async function writeBytesAtomic(path: string, bytes: Uint8Array): Promise<void> {
  await mkdir(dirname(path), { recursive: true });
  await writeCheckpointAtomic(path, async (handle) => {
    await handle.writeFile(bytes);
  });
}
