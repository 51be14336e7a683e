import { join } from 'node:path';
import { ZooError } from '../errors';
import { ARCH_NAMES, type ArchName } from '../models/classifier-model';
import { readManifestJson, writeManifestJson } from './manifest-file';

/** File name of a zoo's manifest inside its folder. */
export const MANIFEST_FILE = 'zoo.json';

/** How a zoo's checkpoints were collected (see `collectZoo`). */
export type ZooStrategy = 'rpg' | 'pdiff' | 'seeds' | 'tasks';

/** Every strategy name, in a stable order. */
export const ZOO_STRATEGIES: readonly ZooStrategy[] = ['rpg', 'pdiff', 'seeds', 'tasks'];

/** One checkpoint of a zoo, as listed in `zoo.json` (and in the file's safetensors metadata). */
export interface ZooCheckpointEntry {
  /** File name inside the zoo folder. */
  file: string;
  arch: ArchName;
  /** Seed of the run that produced it. */
  seed: number;
  /** Optimiser step it was saved at (of the collection phase for rpg/pdiff, of training else). */
  step: number;
  /** The binary task's 10-bit class code, for `tasks` zoos. */
  taskCode?: string;
  /** Accuracy on the 2,000-image test split (on the binary view for task checkpoints). */
  testAccuracy: number;
}

/**
 * Where an unfinished collection stands, so a rerun resumes there: run `run` is in `phase` at
 * `epoch` (training) or `step` (collection), with model and optimiser state in `stateFile`.
 */
export interface ZooResumePoint {
  run: number;
  phase: 'train' | 'collect';
  epoch: number;
  step: number;
  stateFile: string;
}

/** `zoo.json`: what a zoo holds and how it was made. */
export interface ZooManifest {
  version: 1;
  arch: ArchName;
  strategy: ZooStrategy;
  /** ISO time the collection started. */
  createdAt: string;
  /** The tfjs backend (and device) it was trained on. */
  backend: string;
  checkpoints: ZooCheckpointEntry[];
  /** Everything that determines the checkpoints (count, seed, recipe, …); resumption checks it. */
  config: Record<string, unknown>;
  /** Present while the collection is unfinished. */
  resume?: ZooResumePoint;
}

function fail(file: string, reason: string): never {
  throw new ZooError(`${file}: ${reason}`);
}

function checkEntry(file: string, entry: unknown, i: number): ZooCheckpointEntry {
  const e = entry as Partial<ZooCheckpointEntry> | null;
  const where = `checkpoints[${i}]`;
  if (typeof e !== 'object' || e === null) fail(file, `${where} is not an object`);
  if (typeof e.file !== 'string' || e.file.includes('/') || e.file.includes('\\') || !e.file) {
    fail(file, `${where}.file must be a plain file name`);
  }
  if (!ARCH_NAMES.includes(e.arch as ArchName))
    fail(file, `${where}.arch is not a known architecture`);
  for (const key of ['seed', 'step', 'testAccuracy'] as const) {
    if (typeof e[key] !== 'number' || !Number.isFinite(e[key]))
      fail(file, `${where}.${key} must be a number`);
  }
  if (e.taskCode !== undefined && !/^[01]{10}$/.test(e.taskCode)) {
    fail(file, `${where}.taskCode must be 10 characters of 0 and 1`);
  }
  return e as ZooCheckpointEntry;
}

/** Checks the parsed JSON of a manifest; `file` names it in errors. */
export function parseManifest(file: string, value: unknown): ZooManifest {
  const m = value as Partial<ZooManifest> | null;
  if (typeof m !== 'object' || m === null || Array.isArray(m)) fail(file, 'not a JSON object');
  if (m.version !== 1) fail(file, `unsupported manifest version ${JSON.stringify(m.version)}`);
  if (!ARCH_NAMES.includes(m.arch as ArchName)) {
    fail(
      file,
      `unknown architecture ${JSON.stringify(m.arch)} (expected ${ARCH_NAMES.join(', ')})`,
    );
  }
  if (!ZOO_STRATEGIES.includes(m.strategy as ZooStrategy)) {
    fail(file, `unknown strategy ${JSON.stringify(m.strategy)}`);
  }
  if (typeof m.createdAt !== 'string' || typeof m.backend !== 'string') {
    fail(file, 'createdAt and backend must be strings');
  }
  if (!Array.isArray(m.checkpoints)) fail(file, 'checkpoints must be an array');
  m.checkpoints.forEach((entry, i) => {
    if (checkEntry(file, entry, i).arch !== m.arch)
      fail(file, `checkpoints[${i}] is not a ${m.arch}`);
  });
  if (typeof m.config !== 'object' || m.config === null) fail(file, 'config must be an object');
  if (m.resume !== undefined) {
    const r = m.resume as Partial<ZooResumePoint>;
    if (
      typeof r !== 'object' ||
      typeof r.stateFile !== 'string' ||
      !['train', 'collect'].includes(r.phase as string) ||
      ![r.run, r.epoch, r.step].every((v) => Number.isInteger(v) && (v as number) >= 0)
    ) {
      fail(file, 'resume must be {run, phase, epoch, step, stateFile}');
    }
  }
  return m as ZooManifest;
}

/** Reads and checks `<dir>/zoo.json`; a missing or corrupt manifest is a `ZooError`. */
export async function readManifest(dir: string): Promise<ZooManifest> {
  const value = await readManifestJson(dir, {
    file: MANIFEST_FILE,
    what: 'a zoo',
    command: 'pgen zoo collect',
  });
  return parseManifest(join(dir, MANIFEST_FILE), value);
}

/** Writes `<dir>/zoo.json` atomically: readers see the old or the new one, never a mix. */
export async function writeManifest(dir: string, manifest: ZooManifest): Promise<void> {
  await writeManifestJson(join(dir, MANIFEST_FILE), manifest);
}
