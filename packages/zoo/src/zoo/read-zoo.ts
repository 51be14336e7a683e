import { access } from 'node:fs/promises';
import { join } from 'node:path';
import { readSafetensors, type StateDict } from '@pgen/checkpoint-io';
import { ZooError } from '../errors';
import { readManifest, type ZooManifest } from './manifest';

/** An opened zoo: its manifest, and its checkpoints on demand. */
export interface OpenedZoo {
  manifest: ZooManifest;
  /** The state dict of checkpoint `index` (in manifest order). */
  loadCheckpoint(index: number): Promise<StateDict>;
}

/**
 * Opens a zoo folder written by `collectZoo`: reads and checks `zoo.json`, and checks every
 * listed checkpoint file exists, so a half-deleted zoo fails here with the file named.
 */
export async function readZoo(dir: string): Promise<OpenedZoo> {
  const manifest = await readManifest(dir);
  for (const entry of manifest.checkpoints) {
    try {
      await access(join(dir, entry.file));
    } catch {
      throw new ZooError(`${join(dir, entry.file)}: checkpoint listed in zoo.json is missing`);
    }
  }
  return {
    manifest,
    async loadCheckpoint(index: number): Promise<StateDict> {
      const entry = manifest.checkpoints[index];
      if (!entry) {
        throw new ZooError(
          `${dir}: no checkpoint ${index} (the zoo has ${manifest.checkpoints.length})`,
        );
      }
      return (await readSafetensors(join(dir, entry.file))).tensors;
    },
  };
}
