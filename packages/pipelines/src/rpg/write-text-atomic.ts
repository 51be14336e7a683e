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
