import { readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { readSafetensors, type StateDict } from '@pgen/checkpoint-io';
import { type ArchName, readZoo, type ZooManifest } from '@pgen/zoo';
import { BenchError } from './errors';

/** A folder of state dicts: a zoo (with `zoo.json`) or any folder of `.safetensors` files. */
export interface CheckpointSet {
  dir: string;
  /** The zoo's manifest; absent for a plain folder. */
  manifest?: ZooManifest;
  /** The architecture, when the folder says (a zoo's manifest). */
  arch?: ArchName;
  /** A name per checkpoint (its file), in the set's order. */
  names: string[];
  /** Reads checkpoint `index`. */
  load(index: number): Promise<StateDict>;
}

/**
 * Opens a folder of checkpoints. A folder with `zoo.json` is read as a zoo (its manifest's
 * order and architecture); any other folder contributes its `.safetensors` files, sorted by
 * name with numbers compared as numbers (`gen-2` before `gen-10`), so generator outputs need
 * no manifest.
 */
export async function openCheckpointSet(dir: string): Promise<CheckpointSet> {
  const info = await stat(dir).catch(() => undefined);
  if (!info?.isDirectory()) throw new BenchError(`${dir}: no such folder`);
  const isZoo = await stat(join(dir, 'zoo.json')).then(
    (s) => s.isFile(),
    () => false,
  );
  if (isZoo) {
    const zoo = await readZoo(dir);
    if (zoo.manifest.checkpoints.length === 0)
      throw new BenchError(`${dir}: the zoo holds no checkpoints`);
    return {
      dir,
      manifest: zoo.manifest,
      arch: zoo.manifest.arch,
      names: zoo.manifest.checkpoints.map((c) => c.file),
      load: (index) => zoo.loadCheckpoint(index),
    };
  }
  const files = (await readdir(dir))
    .filter((f) => f.endsWith('.safetensors') && !f.startsWith('.'))
    .sort((a, b) => a.localeCompare(b, 'en', { numeric: true }));
  if (files.length === 0) {
    throw new BenchError(`${dir}: no zoo.json and no .safetensors files to evaluate`);
  }
  return {
    dir,
    names: files,
    load: async (index) => (await readSafetensors(join(dir, files[index]!))).tensors,
  };
}
