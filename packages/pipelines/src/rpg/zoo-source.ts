import { access, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { readSafetensors, type StateDict } from '@pgen/checkpoint-io';
import { MANIFEST_FILE, readZoo } from '@pgen/zoo';
import { RpgError } from './rpg-error';

/** A zoo's checkpoints with the file each came from (for error messages). */
export interface LoadedZoo {
  checkpoints: StateDict[];
  names: string[];
  /** Each checkpoint's 10-bit task code, when zoo.json records them (a `tasks` zoo). */
  taskCodes?: string[];
}

/**
 * Reads every checkpoint of a zoo folder: the files `zoo.json` lists when it has one (a zoo
 * from `pgen zoo collect`), else every `.safetensors` file in name order. Checks that all
 * checkpoints share tensor names, shapes and dtypes, since RPG tokenises one fixed layout.
 */
export async function loadZooDir(dir: string): Promise<LoadedZoo> {
  try {
    await access(dir);
  } catch {
    throw new RpgError(`${dir}: zoo folder does not exist`);
  }
  let hasManifest = true;
  try {
    await access(join(dir, MANIFEST_FILE));
  } catch {
    hasManifest = false;
  }
  const checkpoints: StateDict[] = [];
  const names: string[] = [];
  let taskCodes: string[] | undefined;
  if (hasManifest) {
    const zoo = await readZoo(dir);
    const codes = zoo.manifest.checkpoints.map((c) => c.taskCode);
    if (codes.every((c) => c !== undefined)) taskCodes = codes as string[];
    for (let i = 0; i < zoo.manifest.checkpoints.length; i++) {
      checkpoints.push(await zoo.loadCheckpoint(i));
      names.push(join(dir, zoo.manifest.checkpoints[i]!.file));
    }
  } else {
    const files = (await readdir(dir)).filter((f) => f.endsWith('.safetensors')).sort();
    for (const file of files) {
      checkpoints.push((await readSafetensors(join(dir, file))).tensors);
      names.push(join(dir, file));
    }
  }
  if (checkpoints.length === 0) {
    throw new RpgError(`${dir}: no checkpoints (expected zoo.json or .safetensors files)`);
  }
  checkSameLayout(checkpoints, names);
  return { checkpoints, names, taskCodes };
}

/** Refuses a zoo whose checkpoints differ in tensor names, shapes or dtypes, naming the first. */
export function checkSameLayout(
  checkpoints: readonly StateDict[],
  names?: readonly string[],
): void {
  const first = checkpoints[0];
  if (!first) throw new RpgError('the zoo is empty');
  const label = (i: number) => names?.[i] ?? `checkpoint ${i}`;
  for (let i = 1; i < checkpoints.length; i++) {
    const other = checkpoints[i]!;
    const a = [...first.keys()];
    const b = [...other.keys()];
    if (a.length !== b.length || a.some((n, k) => n !== b[k])) {
      throw new RpgError(
        `${label(i)}: tensor names differ from ${label(0)} (mixed zoo; RPG needs one architecture)`,
      );
    }
    for (const [name, t] of first) {
      const u = other.get(name)!;
      if (t.dtype !== u.dtype || t.shape.join(',') !== u.shape.join(',')) {
        throw new RpgError(
          `${label(i)}: tensor "${name}" is ${u.dtype} [${u.shape}] but ${label(0)} has ` +
            `${t.dtype} [${t.shape}] (mixed zoo; RPG needs one architecture)`,
        );
      }
    }
  }
}
