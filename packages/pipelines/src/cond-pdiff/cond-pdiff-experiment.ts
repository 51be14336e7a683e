import { access, readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { StateDict } from '@pgen/checkpoint-io';
import { Rng } from '@pgen/nn';
import { loadMnistSplits, loraTaskEvaluator, type MnistData } from '@pgen/zoo';
import * as tf from '@tensorflow/tfjs-core';
import {
  autoencoderStageKey,
  type CondPdiffConditionKind,
  type CondPdiffConfig,
  resolveCondPdiffConfig,
} from './cond-pdiff-config';
import { CondPdiffError } from './cond-pdiff-error';
import { COND_PDIFF_FILES } from './cond-pdiff-io';
import { CondPdiffPipeline } from './cond-pdiff-pipeline';
import { writeCondPdiffReport } from './cond-pdiff-report';
import type { CondPdiffCondition, CondPdiffTask } from './cond-pdiff-task';
import { readLoraZooInput } from './lora-zoo-source';
import { rotatedMnistExamples } from './rotated-mnist-examples';

/** The targets. */
export const COND_PDIFF_TARGETS = {
  /** Seen tasks: generated mean at most this many points under the trained mean. */
  seenGapPoints: 0.5,
  /** Held-out angles: generated mean at least this fraction of the trained mean. */
  heldOutRatio: 0.95,
} as const;

/** Options of {@link runCondPdiffExperiment}. */
export interface CondPdiffExperimentOptions {
  /** A rotated-MNIST LoRA zoo (`pgen zoo lora`). */
  zoo: string;
  /** Angles held out of training (a quarter of the tasks, from a file). */
  heldOut: readonly number[];
  /** Where the held-out list came from, for the report. */
  heldOutSource?: string;
  /** Pipelines go to `<workDir>/<arm>/`; an arm already fitted with the same config is reused. */
  workDir: string;
  /** Writes `<report>.json`, `<report>.md` and plots in `<report>/`. */
  report: string;
  /** Config shared by every arm (each arm sets its condition). */
  config?: Partial<CondPdiffConfig>;
  /** Condition arms (default descriptor, embedding, examples). */
  conditions?: readonly CondPdiffConditionKind[];
  /** Also fit the descriptor arm with no latent noise (p-diff's ablation; default true). */
  noiseAblation?: boolean;
  /** Generated adapters per task and arm (default 10). */
  count?: number;
  /** Trained adapters measured per task, spread over its saved steps (default 10). */
  trainedPerTask?: number;
  /** Adapters per task passed through the autoencoder alone (default 3). */
  reconstructPerTask?: number;
  /** Use every k-th saved adapter for training (default 1). */
  adapterStride?: number;
  /** Evaluate on the first n rotated test images (default all 2,000). */
  testLimit?: number;
  /**
   * The MNIST splits, for a zoo collected on custom data (default: the zoo's own split of the
   * `mnist` package). Training examples come from `train`, accuracies from `test`.
   */
  data?: { train: MnistData; test: MnistData };
  /** The command line, for the report. */
  command?: string;
  log?: (line: string) => void;
}

/** Best and mean accuracy of a set of adapters on one task. */
export interface BestMeanCount {
  best: number;
  mean: number;
  count: number;
}

/** One rotation task's figures. */
export interface CondPdiffTaskRow {
  name: string;
  angle: number;
  split: 'seen' | 'held_out';
  /** No adapter: the base ViT on this rotation. */
  base: number;
  trained: BestMeanCount;
  /** Per arm (embedding: seen tasks only). */
  generated: Record<string, BestMeanCount>;
  /** Per autoencoder (arm that fitted it): trained adapters encoded and decoded. */
  reconstruction: Record<string, BestMeanCount>;
  /** Held-out tasks: the trained adapters of the nearest seen rotation, measured on this one. */
  nearest_seen?: BestMeanCount & { angle: number };
  /**
   * Held-out tasks: the element-wise mean of the two neighbouring seen rotations' trained
   * adapters, measured on this one: what interpolating in parameter space gives.
   */
  neighbour_average?: { angles: [number, number]; accuracy: number };
}

/** Means over the tasks of one split. */
export interface CondPdiffSplitSummary {
  tasks: number;
  base: number;
  trained: number;
  generated: Record<string, number>;
  reconstruction: Record<string, number>;
  /** Held-out split only. */
  nearest_seen?: number;
  neighbour_average?: number;
}

export interface CondPdiffArmInfo {
  arm: string;
  condition: CondPdiffConditionKind;
  latentNoise: number;
  fitSeconds: { autoencoder: number; diffusion: number };
  finalLoss: { autoencoder: number; diffusion: number };
  reused: boolean;
  generateSeconds: number;
}

/** `<report>.json`. */
export interface CondPdiffReport {
  zoo: {
    dir: string;
    tasks: number;
    adapters: number;
    parameters: number;
    lora: { r: number; alpha: number; target_modules: unknown };
    base_upright_accuracy: number;
    /**
     * How the zoo's adapters were trained: every task from one shared init, from per-task
     * inits, or as a chain (each task from the previous seen angle's last adapter).
     */
    training: 'shared init' | 'independent inits' | 'chain';
  };
  held_out_angles: number[];
  held_out_source: string;
  seen_angles: number[];
  tasks: CondPdiffTaskRow[];
  summary: { seen: CondPdiffSplitSummary; held_out: CondPdiffSplitSummary };
  targets: {
    seen: Record<string, { required_gap_points: number; gap_points: number; met: boolean }>;
    held_out: Record<string, { required_ratio: number; ratio: number; met: boolean }>;
  };
  arms: CondPdiffArmInfo[];
  config: CondPdiffConfig;
  count: number;
  trained_per_task: number;
  test_examples: number;
  backend: string;
  seconds: { fit: number; evaluate: number; total: number };
  command: string;
}

interface Arm {
  name: string;
  config: CondPdiffConfig;
}

/**
 * COND P-DIFF on rotated MNIST end to end: reads the LoRA zoo without the held-out angles, fits
 * one pipeline per condition arm (sharing the autoencoder where the settings agree) plus the
 * no-latent-noise ablation, generates `count` adapters per task and arm, and measures them,
 * the trained adapters, the autoencoder's reconstructions and the no-LoRA base on every task's
 * rotated test split. Writes the JSON and Markdown reports with plots.
 */
export async function runCondPdiffExperiment(
  options: CondPdiffExperimentOptions,
): Promise<CondPdiffReport> {
  const log = options.log ?? (() => {});
  const started = Date.now();
  const count = positive(options.count ?? 10, 'count');
  const trainedPerTask = positive(options.trainedPerTask ?? 10, 'trainedPerTask');
  const reconstructPerTask = positive(options.reconstructPerTask ?? 3, 'reconstructPerTask');
  const base = resolveCondPdiffConfig(options.config ?? {});
  const conditions = options.conditions ?? ['descriptor', 'embedding', 'examples'];
  const arms: Arm[] = conditions.map((condition) => ({
    name: condition,
    config: { ...base, condition },
  }));
  if (options.noiseAblation ?? true) {
    arms.push({
      name: 'descriptor-no-latent-noise',
      config: { ...base, condition: 'descriptor', latentNoise: 0 },
    });
  }
  const input = await readLoraZooInput(options.zoo, {
    excludeAngles: options.heldOut,
    adapterStride: options.adapterStride,
  });
  const { zoo } = input;
  const heldOut = new Set(options.heldOut);
  log(
    `zoo ${options.zoo}: ${input.tasks.length} training tasks, ${input.samples.length} adapters; held out ${[...heldOut].join(', ')}°`,
  );
  const train =
    options.data?.train ?? (await loadMnistSplits({ seed: zoo.manifest.splitSeed })).train;
  const examples = rotatedMnistExamples(train);

  // Fit (or reuse) every arm.
  const fitStarted = Date.now();
  const pipelines = new Map<string, CondPdiffPipeline>();
  const armInfo: CondPdiffArmInfo[] = [];
  try {
    for (const arm of arms) {
      const dir = join(options.workDir, arm.name);
      let pipeline = await loadMatching(dir, arm.config);
      const reused = pipeline !== undefined;
      if (pipeline) {
        log(`[${arm.name}] reusing the fitted pipeline in ${dir}`);
      } else {
        let shared = [...pipelines.values()].find(
          (p) => autoencoderStageKey(p.config) === autoencoderStageKey(arm.config),
        );
        const saved = shared
          ? undefined
          : await savedAutoencoder(options.workDir, arm.config, input.tasks);
        if (saved) log(`[${arm.name}] reusing the autoencoder of ${saved.dir}`);
        shared ??= saved?.pipeline;
        let last = 0;
        pipeline = await CondPdiffPipeline.fit(input, arm.config, {
          examples,
          autoencoderFrom: shared,
          onProgress: (p) => {
            if (Date.now() - last < 10_000 && p.step !== p.steps) return;
            last = Date.now();
            log(
              `[${arm.name}] ${p.phase} step ${p.step}/${p.steps} loss ${p.loss.toFixed(5)} ETA ${Math.round(p.etaSeconds)} s`,
            );
          },
        });
        saved?.pipeline.dispose();
        await pipeline.save(dir);
        log(`[${arm.name}] fitted → ${dir}`);
      }
      pipelines.set(arm.name, pipeline);
      const info = pipeline.parts.fitInfo;
      armInfo.push({
        arm: arm.name,
        condition: arm.config.condition,
        latentNoise: arm.config.latentNoise,
        fitSeconds: info?.seconds ?? { autoencoder: Number.NaN, diffusion: Number.NaN },
        finalLoss: info?.finalLoss ?? { autoencoder: Number.NaN, diffusion: Number.NaN },
        reused,
        generateSeconds: 0,
      });
    }
    const fitSeconds = (Date.now() - fitStarted) / 1000;

    // Evaluate.
    const evalStarted = Date.now();
    const evaluator = await loraTaskEvaluator(options.zoo, {
      testLimit: options.testLimit,
      ...(options.data ? { test: options.data.test } : {}),
    });
    const rows: CondPdiffTaskRow[] = [];
    try {
      const aeOwners = arms.filter(
        (arm, i) =>
          arms.findIndex(
            (other) => autoencoderStageKey(other.config) === autoencoderStageKey(arm.config),
          ) === i,
      );
      for (const task of zoo.manifest.tasks) {
        const split = heldOut.has(task.angle) ? 'held_out' : 'seen';
        const accuracyOf = (tensors: StateDict) =>
          evaluator.accuracy({ config: input.loraConfig, tensors }, task.angle);
        const measure = async (adapters: readonly { tensors: StateDict }[]) => {
          const scores: number[] = [];
          for (const adapter of adapters) scores.push(await accuracyOf(adapter.tensors));
          return bestMeanCount(scores);
        };
        const load = async (t: typeof task) => {
          const out = [];
          for (const entry of spread(t.adapters, trainedPerTask)) {
            out.push(await zoo.loadAdapter(entry));
          }
          return out;
        };
        const trainedAdapters = await load(task);
        const row: CondPdiffTaskRow = {
          name: task.name,
          angle: task.angle,
          split,
          base: await evaluator.accuracy(null, task.angle),
          trained: await measure(trainedAdapters),
          generated: {},
          reconstruction: {},
        };
        for (const [i, arm] of arms.entries()) {
          if (arm.config.condition === 'embedding' && split === 'held_out') continue;
          const condition: CondPdiffCondition =
            arm.config.condition === 'embedding'
              ? { task: task.name }
              : arm.config.condition === 'examples'
                ? {
                    examples: examples(
                      { name: task.name, descriptor: [task.angle] },
                      arm.config.examplesPerTask,
                      new Rng(10_000 + task.angle),
                    ),
                  }
                : { descriptor: [task.angle] };
          const t0 = Date.now();
          const generated = await pipelines.get(arm.name)!.generateAdapters({ condition, count });
          armInfo[i]!.generateSeconds += (Date.now() - t0) / 1000;
          row.generated[arm.name] = await measure(generated);
        }
        for (const arm of aeOwners) {
          const recon = await pipelines
            .get(arm.name)!
            .reconstruct(trainedAdapters.slice(0, reconstructPerTask).map((a) => a.tensors));
          row.reconstruction[arm.name] = await measure(recon);
        }
        if (split === 'held_out') {
          const seen = zoo.manifest.tasks.filter((t) => !heldOut.has(t.angle));
          const [below, above] = neighbourTasks(task.angle, seen);
          const nearest =
            angularDistance(below.angle, task.angle) <= angularDistance(above.angle, task.angle)
              ? below
              : above;
          const nearestAdapters = await load(nearest);
          row.nearest_seen = {
            angle: nearest.angle,
            ...(await measure(nearestAdapters)),
          };
          const belowAdapters = nearest === below ? nearestAdapters : await load(below);
          const aboveAdapters = nearest === above ? nearestAdapters : await load(above);
          const average = meanStateDict([
            meanStateDict(belowAdapters.map((a) => a.tensors)),
            meanStateDict(aboveAdapters.map((a) => a.tensors)),
          ]);
          row.neighbour_average = {
            angles: [below.angle, above.angle],
            accuracy: await accuracyOf(average),
          };
        }
        rows.push(row);
        const gen = Object.entries(row.generated)
          .map(([k, v]) => `${k} ${pct(v.mean)}`)
          .join(', ');
        log(
          `${task.name} (${split}): base ${pct(row.base)}, trained ${pct(row.trained.mean)}, generated ${gen}`,
        );
      }
    } finally {
      evaluator.dispose();
    }
    const evalSeconds = (Date.now() - evalStarted) / 1000;
    const summary = {
      seen: summarise(rows.filter((r) => r.split === 'seen')),
      held_out: summarise(rows.filter((r) => r.split === 'held_out')),
    };
    const targets: CondPdiffReport['targets'] = { seen: {}, held_out: {} };
    for (const arm of arms) {
      const seen = summary.seen.generated[arm.name];
      if (seen !== undefined) {
        const gap = (summary.seen.trained - seen) * 100;
        targets.seen[arm.name] = {
          required_gap_points: COND_PDIFF_TARGETS.seenGapPoints,
          gap_points: gap,
          met: gap <= COND_PDIFF_TARGETS.seenGapPoints,
        };
      }
      const held = summary.held_out.generated[arm.name];
      if (held !== undefined) {
        const ratio = held / summary.held_out.trained;
        targets.held_out[arm.name] = {
          required_ratio: COND_PDIFF_TARGETS.heldOutRatio,
          ratio,
          met: ratio >= COND_PDIFF_TARGETS.heldOutRatio,
        };
      }
    }
    const first = input.samples[0]!.tensors;
    const report: CondPdiffReport = {
      zoo: {
        dir: options.zoo,
        tasks: zoo.manifest.tasks.length,
        adapters: zoo.manifest.tasks.reduce((n, t) => n + t.adapters.length, 0),
        parameters: [...first.values()].reduce((n, t) => n + t.shape.reduce((a, b) => a * b, 1), 0),
        lora: {
          r: input.loraConfig.r,
          alpha: input.loraConfig.loraAlpha,
          target_modules: input.loraConfig.targetModules,
        },
        base_upright_accuracy: zoo.manifest.base.testAccuracy,
        training: zoo.manifest.chain
          ? 'chain'
          : zoo.manifest.sharedSeed
            ? 'shared init'
            : 'independent inits',
      },
      held_out_angles: [...heldOut],
      held_out_source: options.heldOutSource ?? 'given',
      seen_angles: input.tasks.map((t) => t.descriptor[0]!),
      tasks: rows,
      summary,
      targets,
      arms: armInfo,
      config: base,
      count,
      trained_per_task: trainedPerTask,
      test_examples: evaluator.testCount,
      backend: tf.getBackend(),
      seconds: { fit: fitSeconds, evaluate: evalSeconds, total: (Date.now() - started) / 1000 },
      command: options.command ?? '',
    };
    await writeCondPdiffReport(report, options.report);
    log(`report → ${options.report}.json, ${options.report}.md`);
    return report;
  } finally {
    for (const pipeline of pipelines.values()) pipeline.dispose();
  }
}

/** A saved pipeline in `dir` fitted with exactly `config`, or undefined. */
async function loadMatching(
  dir: string,
  config: CondPdiffConfig,
): Promise<CondPdiffPipeline | undefined> {
  try {
    await access(join(dir, 'cond_pdiff_config.json'));
  } catch {
    return undefined;
  }
  const pipeline = await CondPdiffPipeline.load(dir);
  if (JSON.stringify(pipeline.config) === JSON.stringify(config)) return pipeline;
  pipeline.dispose();
  return undefined;
}

/**
 * A saved arm in `workDir` whose autoencoder `config` can share: same autoencoder settings and
 * the same training tasks (so the same adapters and normalisation). Its pipeline is loaded;
 * the caller disposes it.
 */
async function savedAutoencoder(
  workDir: string,
  config: CondPdiffConfig,
  tasks: readonly CondPdiffTask[],
): Promise<{ dir: string; pipeline: CondPdiffPipeline } | undefined> {
  let names: string[];
  try {
    names = await readdir(workDir);
  } catch {
    return undefined;
  }
  const taskNames = JSON.stringify(tasks.map((t) => t.name));
  for (const name of names.sort()) {
    const dir = join(workDir, name);
    let file: { config?: Partial<CondPdiffConfig>; tasks?: CondPdiffTask[] };
    try {
      file = JSON.parse(await readFile(join(dir, COND_PDIFF_FILES.config), 'utf8'));
    } catch {
      continue;
    }
    let saved: CondPdiffConfig;
    try {
      saved = resolveCondPdiffConfig(file.config ?? {});
    } catch {
      continue;
    }
    if (
      autoencoderStageKey(saved) === autoencoderStageKey(config) &&
      JSON.stringify((file.tasks ?? []).map((t) => t.name)) === taskNames
    ) {
      return { dir, pipeline: await CondPdiffPipeline.load(dir) };
    }
  }
  return undefined;
}

/** Degrees between two angles on the circle, in [0, 180]. */
function angularDistance(a: number, b: number): number {
  const d = (((a - b) % 360) + 360) % 360;
  return Math.min(d, 360 - d);
}

/** The seen tasks next below and next above `angle` going round the circle. */
function neighbourTasks<T extends { angle: number }>(angle: number, seen: readonly T[]): [T, T] {
  const gap = (from: number, to: number) => (((to - from) % 360) + 360) % 360 || 360;
  let below = seen[0]!;
  let above = seen[0]!;
  for (const t of seen) {
    if (gap(t.angle, angle) < gap(below.angle, angle)) below = t;
    if (gap(angle, t.angle) < gap(angle, above.angle)) above = t;
  }
  return [below, above];
}

/** The element-wise mean of state dicts with the same float tensors. */
function meanStateDict(dicts: readonly StateDict[]): StateDict {
  const out: StateDict = new Map();
  for (const [name, first] of dicts[0]!) {
    const sum = new Float32Array(first.data.length);
    for (const d of dicts) {
      const data = d.get(name)!.data as Float32Array;
      for (let i = 0; i < sum.length; i++) sum[i]! += data[i]! / dicts.length;
    }
    out.set(name, { dtype: 'F32', shape: [...first.shape], data: sum });
  }
  return out;
}

/** `n` entries spread evenly over `items` (all of them when there are fewer). */
function spread<T>(items: readonly T[], n: number): T[] {
  if (items.length <= n) return [...items];
  return Array.from({ length: n }, (_, i) => items[Math.floor(((i + 0.5) * items.length) / n)]!);
}

function bestMeanCount(values: readonly number[]): BestMeanCount {
  return { best: Math.max(...values), mean: mean(values), count: values.length };
}

function mean(values: readonly number[]): number {
  return values.length === 0 ? Number.NaN : values.reduce((a, b) => a + b, 0) / values.length;
}

function summarise(rows: readonly CondPdiffTaskRow[]): CondPdiffSplitSummary {
  const keys = (pick: (r: CondPdiffTaskRow) => Record<string, BestMeanCount>) => [
    ...new Set(rows.flatMap((r) => Object.keys(pick(r)))),
  ];
  const byKey = (pick: (r: CondPdiffTaskRow) => Record<string, BestMeanCount>) =>
    Object.fromEntries(
      keys(pick).map((k) => [k, mean(rows.filter((r) => pick(r)[k]).map((r) => pick(r)[k]!.mean))]),
    );
  const nearest = rows.filter((r) => r.nearest_seen).map((r) => r.nearest_seen!.mean);
  const average = rows.filter((r) => r.neighbour_average).map((r) => r.neighbour_average!.accuracy);
  return {
    tasks: rows.length,
    base: mean(rows.map((r) => r.base)),
    trained: mean(rows.map((r) => r.trained.mean)),
    generated: byKey((r) => r.generated),
    reconstruction: byKey((r) => r.reconstruction),
    ...(nearest.length > 0
      ? { nearest_seen: mean(nearest), neighbour_average: mean(average) }
      : {}),
  };
}

function positive(value: number, name: string): number {
  if (!Number.isInteger(value) || value < 1) {
    throw new CondPdiffError(`${name} must be a positive integer, got ${value}`);
  }
  return value;
}

export function pct(x: number): string {
  return `${(x * 100).toFixed(2)}%`;
}
