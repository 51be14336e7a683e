import { writeCheckpointAtomic, writeFully } from '@pgen/checkpoint-io';

/**
 * Writes a whole file through a temporary sibling renamed into place, so an interrupted
 * report never leaves a truncated `report.json` (or plot) under its real name.
 */
export async function writeFileAtomic(path: string, contents: string | Uint8Array): Promise<void> {
  const bytes = typeof contents === 'string' ? new TextEncoder().encode(contents) : contents;
  await writeCheckpointAtomic(path, (file) => writeFully(file, bytes, 0));
}
