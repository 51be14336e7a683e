import { access } from 'node:fs/promises';
import { join } from 'node:path';
import {
  type PeftAdapter,
  readPeftAdapter,
  readSafetensors,
  type StateDict,
} from '@pgen/checkpoint-io';
import { ZooError } from '../errors';
import type { VitOptions } from '../models/vit';
import { readManifestJson, writeManifestJson } from '../zoo/manifest-file';

/** File name of a LoRA zoo's manifest inside its folder. */
export const LORA_ZOO_MANIFEST = 'lora-zoo.json';

/** The ViT sizes a LoRA zoo's base model has (`VitOptions` without the generator). */
export type LoraZooVitOptions = Required<Omit<VitOptions, 'rng'>>;

/** One saved adapter of a task: a PEFT folder. */
export interface LoraZooAdapterEntry {
  /** PEFT adapter folder, relative to the zoo folder (`adapters/rot-015/step-00400`). */
  dir: string;
  /** Training step (1-based) after which it was saved. */
  step: number;
}

/** One task of a LoRA zoo: MNIST rotated counter-clockwise by `angle` degrees. */
export interface LoraZooTask {
  /** `rot-015` for 15°. */
  name: string;
  /** The task's condition: rotation in degrees. */
  angle: number;
  /** Seed of the adapter's initialisation and batch order. */
  seed: number;
  /** Accuracy of the base model (no adapter) on the rotated test split: the floor. */
  baseAccuracy: number;
  /** Accuracy of the last adapter, merged into the base, on the rotated test split. */
  finalAccuracy: number;
  /** Wall seconds the task took (training, saving, evaluation). */
  seconds: number;
  /** `chain` zoos: the task whose last adapter this one started from (absent: a fresh init). */
  startedFrom?: string;
  /** The last `keep` training steps' adapters, in step order. */
  adapters: LoraZooAdapterEntry[];
}

/** `lora-zoo.json`: a base ViT and, per rotation task, the LoRA adapters of its last steps. */
export interface LoraZooManifest {
  version: 1;
  arch: 'vit';
  /** The base model's sizes. */
  vit: LoraZooVitOptions;
  /** ISO time the collection started. */
  createdAt: string;
  /** The tfjs backend (and device) it was trained on. */
  backend: string;
  /** How the data was split (`loadMnistSplits`), or a description of custom data. */
  dataset: string;
  splitSeed: number;
  base: {
    /** Base weights, relative to the zoo folder (`base/model.safetensors`). */
    file: string;
    /** Accuracy on the upright test split. */
    testAccuracy: number;
    /** Where it came from: the checkpoint copied, or `trained (<n> epochs, seed <s>)`. */
    source: string;
  };
  lora: { r: number; alpha: number; targetModules: string[] };
  /** Training of every task's adapter. */
  steps: number;
  keep: number;
  lr: number;
  weightDecay: number;
  batchSize: number;
  /** Base seed; every task's seed when `sharedSeed`, else task seeds derive from it and the angle. */
  seed: number;
  /** Every task started from the same adapter initialisation and batch order. */
  sharedSeed: boolean;
  /**
   * Present when tasks were trained as a chain (`collectLoraZoo`'s `chain`): each task started
   * from the last adapter of the nearest smaller angle not in `skip`.
   */
  chain?: { skip: number[] };
  /** The angles asked for, in order; `tasks` lists those finished. */
  angles: number[];
  tasks: LoraZooTask[];
}

function fail(file: string, reason: string): never {
  throw new ZooError(`${file}: ${reason}`);
}

const isNumber = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v);
const isRelativePath = (v: unknown): v is string =>
  typeof v === 'string' &&
  v !== '' &&
  !v.startsWith('/') &&
  !v.includes('\\') &&
  !v.split('/').includes('..');

function checkTask(file: string, value: unknown, i: number): LoraZooTask {
  const t = value as Partial<LoraZooTask> | null;
  const where = `tasks[${i}]`;
  if (typeof t !== 'object' || t === null || Array.isArray(t))
    fail(file, `${where} is not an object`);
  if (typeof t.name !== 'string' || !t.name) fail(file, `${where}.name must be a non-empty string`);
  for (const key of ['angle', 'seed', 'baseAccuracy', 'finalAccuracy', 'seconds'] as const) {
    if (!isNumber(t[key])) fail(file, `${where}.${key} must be a number`);
  }
  if (t.startedFrom !== undefined && typeof t.startedFrom !== 'string') {
    fail(file, `${where}.startedFrom must be a task name`);
  }
  if (!Array.isArray(t.adapters) || t.adapters.length === 0) {
    fail(file, `${where}.adapters must be a non-empty array`);
  }
  t.adapters.forEach((a, j) => {
    if (
      typeof a !== 'object' ||
      a === null ||
      !isRelativePath(a.dir) ||
      !Number.isInteger(a.step)
    ) {
      fail(file, `${where}.adapters[${j}] must be {dir: a relative path, step: an integer}`);
    }
  });
  return t as LoraZooTask;
}

/** Checks the parsed JSON of a LoRA zoo manifest; `file` names it in errors. */
export function parseLoraZooManifest(file: string, value: unknown): LoraZooManifest {
  const m = value as Partial<LoraZooManifest> | null;
  if (typeof m !== 'object' || m === null || Array.isArray(m)) fail(file, 'not a JSON object');
  if (m.version !== 1) fail(file, `unsupported manifest version ${JSON.stringify(m.version)}`);
  if (m.arch !== 'vit') fail(file, `arch must be "vit", got ${JSON.stringify(m.arch)}`);
  const vit = m.vit as Partial<LoraZooVitOptions> | undefined;
  if (
    typeof vit !== 'object' ||
    vit === null ||
    !(['patchSize', 'dim', 'depth', 'heads', 'mlpRatio', 'numClasses'] as const).every((k) =>
      isNumber(vit[k]),
    )
  ) {
    fail(file, 'vit must hold numbers patchSize, dim, depth, heads, mlpRatio, numClasses');
  }
  for (const key of ['createdAt', 'backend', 'dataset'] as const) {
    if (typeof m[key] !== 'string') fail(file, `${key} must be a string`);
  }
  const base = m.base as Partial<LoraZooManifest['base']> | undefined;
  if (
    typeof base !== 'object' ||
    base === null ||
    !isRelativePath(base.file) ||
    !isNumber(base.testAccuracy) ||
    typeof base.source !== 'string'
  ) {
    fail(file, 'base must be {file: a relative path, testAccuracy: a number, source: a string}');
  }
  const lora = m.lora as Partial<LoraZooManifest['lora']> | undefined;
  if (
    typeof lora !== 'object' ||
    lora === null ||
    !Number.isInteger(lora.r) ||
    !isNumber(lora.alpha) ||
    !Array.isArray(lora.targetModules) ||
    !lora.targetModules.every((t) => typeof t === 'string')
  ) {
    fail(file, 'lora must be {r: an integer, alpha: a number, targetModules: strings}');
  }
  for (const key of [
    'splitSeed',
    'steps',
    'keep',
    'lr',
    'weightDecay',
    'batchSize',
    'seed',
  ] as const) {
    if (!isNumber(m[key])) fail(file, `${key} must be a number`);
  }
  if (typeof m.sharedSeed !== 'boolean') fail(file, 'sharedSeed must be true or false');
  if (
    m.chain !== undefined &&
    (typeof m.chain !== 'object' ||
      m.chain === null ||
      !Array.isArray(m.chain.skip) ||
      !m.chain.skip.every(isNumber))
  ) {
    fail(file, 'chain must be {skip: numbers}');
  }
  if (!Array.isArray(m.angles) || !m.angles.every(isNumber)) fail(file, 'angles must be numbers');
  if (!Array.isArray(m.tasks)) fail(file, 'tasks must be an array');
  const names = new Set<string>();
  m.tasks.forEach((task, i) => {
    const { name } = checkTask(file, task, i);
    if (names.has(name)) fail(file, `task ${name} is listed twice`);
    names.add(name);
  });
  return m as LoraZooManifest;
}

/** Reads and checks `<dir>/lora-zoo.json`; a missing or corrupt manifest is a `ZooError`. */
export async function readLoraZooManifest(dir: string): Promise<LoraZooManifest> {
  const value = await readManifestJson(dir, {
    file: LORA_ZOO_MANIFEST,
    what: 'a LoRA zoo',
    command: 'pgen zoo lora',
  });
  return parseLoraZooManifest(join(dir, LORA_ZOO_MANIFEST), value);
}

/** Writes `<dir>/lora-zoo.json` atomically: readers see the old or the new one, never a mix. */
export async function writeLoraZooManifest(dir: string, manifest: LoraZooManifest): Promise<void> {
  await writeManifestJson(join(dir, LORA_ZOO_MANIFEST), manifest);
}

/** An opened LoRA zoo: its manifest, and its base weights and adapters on demand. */
export interface OpenedLoraZoo {
  dir: string;
  manifest: LoraZooManifest;
  /** The base model's state dict. */
  loadBase(): Promise<StateDict>;
  /** A task by name (`rot-015`); a `ZooError` names the tasks there are when it is absent. */
  task(name: string): LoraZooTask;
  /** Reads one saved adapter (an entry of a task's `adapters`). */
  loadAdapter(entry: LoraZooAdapterEntry): Promise<PeftAdapter>;
  /** Absolute-or-cwd-relative folder of an adapter entry. */
  adapterPath(entry: LoraZooAdapterEntry): string;
}

/**
 * Opens a LoRA zoo written by `collectLoraZoo`: reads and checks `lora-zoo.json` and checks that
 * the base file and every listed adapter folder exist, so a half-deleted zoo fails here with the
 * path named. An unfinished collection opens too; its `tasks` are the finished ones.
 */
export async function readLoraZoo(dir: string): Promise<OpenedLoraZoo> {
  const manifest = await readLoraZooManifest(dir);
  const mustExist = async (path: string, what: string) => {
    try {
      await access(path);
    } catch {
      throw new ZooError(`${path}: ${what} listed in ${LORA_ZOO_MANIFEST} is missing`);
    }
  };
  await mustExist(join(dir, manifest.base.file), 'base model');
  for (const task of manifest.tasks) {
    for (const entry of task.adapters) await mustExist(join(dir, entry.dir), 'adapter folder');
  }
  return {
    dir,
    manifest,
    loadBase: async () => (await readSafetensors(join(dir, manifest.base.file))).tensors,
    task(name) {
      const task = manifest.tasks.find((t) => t.name === name);
      if (!task) {
        throw new ZooError(
          `${dir}: no task "${name}" (it has ${manifest.tasks.map((t) => t.name).join(', ') || 'none yet'})`,
        );
      }
      return task;
    },
    loadAdapter: (entry) => readPeftAdapter(join(dir, entry.dir)),
    adapterPath: (entry) => join(dir, entry.dir),
  };
}
