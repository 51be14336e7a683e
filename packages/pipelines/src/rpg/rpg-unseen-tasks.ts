import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { AccuracyEvaluator, renderPlot } from '@pgen/bench';
import type { StateDict } from '@pgen/checkpoint-io';
import { Rng } from '@pgen/nn';
import {
  type ExampleCodeEstimator,
  loadTaskEncoder,
  type PretrainProgress,
  type PretrainResult,
  saveTaskEncoder,
} from '@pgen/task-encoder';
import {
  type ArchName,
  binaryTaskView,
  type CreateModelOptions,
  loadMnistSplits,
  type MnistData,
  readZoo,
} from '@pgen/zoo';
import { mnistDigitClassification, trainMnistCodeEstimator } from './mnist-code-estimator';
import { mnistTaskExamples } from './mnist-task-examples';
import { type RpgConfig, resolveRpgConfig } from './rpg-config';
import { RpgError } from './rpg-error';
import { sameConfigPipeline } from './rpg-experiment';
import { RpgPipeline } from './rpg-pipeline';
import type { RpgFitProgress } from './rpg-training';
import { writeBytesAtomic, writeTextAtomic } from './write-text-atomic';

/**
 * The task conditions the study compares: the 10-bit code; labelled examples through a
 * `DatasetEncoder` trained with the generator; labelled examples read into a soft code by an
 * `ExampleCodeEstimator` and fed to the code arm's pipeline.
 */
export type UnseenTaskCondition = 'task-code' | 'task-examples' | 'examples-to-code';
export const UNSEEN_TASK_CONDITIONS: readonly UnseenTaskCondition[] = [
  'task-code',
  'task-examples',
  'examples-to-code',
];

/** Digit-classifier training of the `examples-to-code` arm's estimator. */
const CODE_ESTIMATOR_STEPS = 1500;

/** Options of {@link runRpgUnseenTaskExperiment}. */
export interface RpgUnseenTaskOptions {
  /** The training zoo: a `tasks` zoo (zoo.json `taskCode` per checkpoint). */
  zooDir: string;
  /** A `tasks` zoo of the held-out codes, trained the same way: what training on them gives. */
  heldOutZooDir: string;
  /**
   * Working folder: `<condition>/pipeline/` (reused when fitted with the same config) and
   * `<condition>/training/` per condition.
   */
  workDir: string;
  /** Report path without extension: `<report>.json`, `<report>.md`, plots in `<report>/`. */
  report: string;
  /** Training config; `condition` is set per arm. */
  config?: Partial<RpgConfig>;
  /**
   * Arms, in order (default `task-code`, `task-examples`): `task-code` (the 10-bit code),
   * `task-examples` (`examplesPerTask` labelled training digits of the task through a dataset
   * encoder fitted with the generator) and `examples-to-code` (the same digits read into a soft
   * code by an `ExampleCodeEstimator`, then the `task-code` arm's pipeline, fitted if absent).
   */
  conditions?: readonly UnseenTaskCondition[];
  /** Models generated per task (default 10). */
  count?: number;
  /** `examples-to-code`: training steps of the estimator's digit classifier (default 1500). */
  codeEstimatorSteps?: number;
  /** Seen tasks reported beside the held-out ones, drawn from the training zoo (default 20). */
  seenCount?: number;
  /** Seed of the generated models, the seen-task sample and the example sets (default 0). */
  seed?: number;
  /** DDIM steps per model (default 50). */
  samplingSteps?: number;
  /** The command that reproduces the report, quoted in its Markdown. */
  command?: string;
  /** tfjs backend name, recorded in the report. */
  backend: string;
  onLog?: (line: string) => void;
  onFitProgress?: (progress: RpgFitProgress) => void;
  /** Progress of the `task-examples` arm's feature-extractor pretraining. */
  onPretrainProgress?: (progress: PretrainProgress) => void;
}

/** Best and mean test accuracy of a set of classifiers on one task. */
export interface BestMean {
  count: number;
  best: number;
  mean: number;
}

/** One task's row of the report. */
export interface UnseenTaskRow {
  code: string;
  /** The task's own trained classifiers (from its zoo's collection). */
  trained: BestMean;
  /** Generated for this code. */
  generated: BestMean;
  /** The trained classifiers of the nearest training code (Hamming), on this task. */
  nearest: BestMean & { code: string; hamming: number };
  /**
   * `examples-to-code`: the soft code read off the task's examples, rounded ('?' where it lies
   * within 0.25 of ½), and how many of its 10 bits round to the task's own.
   */
  estimated_code?: { code: string; bits_right: number };
}

/** Means over tasks of each row's means. */
export interface UnseenTaskSummary {
  trained: number;
  generated: number;
  nearest: number;
  /** generated / trained. */
  ratio: number;
}

/** One condition's results. */
export interface UnseenTaskArm {
  condition: UnseenTaskCondition;
  held_out: UnseenTaskRow[];
  seen: UnseenTaskRow[];
  summary: { held_out: UnseenTaskSummary; seen: UnseenTaskSummary };
  target: { ratio_required: number; ratio: number; met: boolean; above_nearest: boolean };
  config: RpgConfig & { count: number; seed: number; samplingSteps: number; sampler: 'ddim' };
  seconds: { fit: number | null; generate: number; eval: number };
  fit_reused: boolean;
  /**
   * `task-examples` with `examplesPretrainSteps` > 0: how the feature extractor's pretraining as
   * an MNIST digit classifier ended (accuracy on the training split, and on the test split as
   * `validationAccuracy`), when the fit that made the pipeline recorded it.
   */
  extractor_pretraining?: PretrainResult;
  /** `examples-to-code`: how the estimator's digit classifier was trained (or `reused`). */
  code_estimator?: PretrainResult & { reused: boolean };
}

/** `<report>.json` of {@link runRpgUnseenTaskExperiment}. */
export interface RpgUnseenTaskReport {
  arms: UnseenTaskArm[];
  zoo_dir: string;
  held_out_zoo_dir: string;
  training_tasks: number;
  checkpoints: number;
  parameters: number;
  tokens: [number, number];
  test_examples: number;
  backend: string;
  command: string | null;
}

/** Issue #9's target: generated mean on held-out codes ≥ 97% of the trained mean. */
export const UNSEEN_TASK_RATIO = 0.97;

/**
 * RPG's unseen-task study: fit a task-conditioned RPG on a zoo of binary MNIST tasks (one fit
 * per condition), generate classifiers for held-out codes and for a sample of training codes,
 * and compare them with classifiers trained on those codes and with the nearest training
 * task's weights, which is what a generator that only looks up neighbours would give.
 */
export async function runRpgUnseenTaskExperiment(
  options: RpgUnseenTaskOptions,
): Promise<RpgUnseenTaskReport> {
  const log = options.onLog ?? (() => {});
  const conditions = options.conditions ?? ['task-code', 'task-examples'];
  const count = options.count ?? 10;
  const seed = options.seed ?? 0;
  const samplingSteps = options.samplingSteps ?? 50;
  const train = await readZoo(options.zooDir);
  const heldOutZoo = await readZoo(options.heldOutZooDir);
  const byCode = groupByCode(train.manifest.checkpoints, options.zooDir);
  const heldOutByCode = groupByCode(heldOutZoo.manifest.checkpoints, options.heldOutZooDir);
  const leaked = [...heldOutByCode.keys()].filter((c) => byCode.has(c));
  if (leaked.length > 0) {
    throw new RpgError(
      `${options.zooDir} trains on held-out codes ${leaked.join(', ')}; they would not be unseen`,
    );
  }
  const modelSizes = (train.manifest.config as { model?: CreateModelOptions }).model ?? {};
  const arch = train.manifest.arch;
  const splits = await loadMnistSplits();
  const test = splits.test;
  const seenCodes = sample([...byCode.keys()], options.seenCount ?? 20, new Rng(seed + 1));
  const heldOutCodes = [...heldOutByCode.keys()];
  const tasks = [
    ...heldOutCodes.map((code) => ({ code, own: heldOutByCode.get(code)!, seen: false })),
    ...seenCodes.map((code) => ({ code, own: byCode.get(code)!, seen: true })),
  ];

  // The nearest-seen-task baseline does not depend on the condition: once per task.
  const nearestRows = new Map<string, UnseenTaskRow['nearest']>();
  for (const task of tasks) {
    // A seen code's nearest other code: itself would be distance 0.
    const nearest = nearestCode(task.code, byCode, task.seen ? task.code : undefined);
    const checkpoints = await Promise.all(
      byCode.get(nearest.code)!.indices.map((i) => train.loadCheckpoint(i)),
    );
    const view = binaryTaskView(test, task.code);
    const accuracies = await evaluateAll(arch, view, modelSizes, checkpoints);
    nearestRows.set(task.code, { ...bestMean(accuracies), ...nearest });
  }

  let parameters = 0;
  let tokens: [number, number] = [0, 0];
  const arms: UnseenTaskArm[] = [];
  for (const condition of conditions) {
    const fitCondition = condition === 'examples-to-code' ? 'task-code' : condition;
    const config = resolveRpgConfig({ ...options.config, condition: fitCondition });
    const examples = mnistTaskExamples(splits.train, config.examplesPerTask);
    const estimator =
      condition === 'examples-to-code'
        ? await codeEstimator(
            join(options.workDir, condition, 'estimator'),
            splits,
            { steps: options.codeEstimatorSteps ?? CODE_ESTIMATOR_STEPS, seed: config.seed },
            log,
          )
        : undefined;
    const workDir = join(options.workDir, fitCondition);
    const pipelineDir = join(workDir, 'pipeline');
    let pipeline: RpgPipeline;
    let fitSeconds: number | null = null;
    let reused = false;
    const t0 = Date.now();
    if (await sameConfigPipeline(pipelineDir, config)) {
      log(`${condition}: reusing the fitted pipeline in ${pipelineDir}`);
      pipeline = await RpgPipeline.load(pipelineDir);
      reused = true;
      fitSeconds = pipeline.fitInfo?.seconds ?? null;
    } else {
      log(`${condition}: fitting on ${options.zooDir} (${config.steps} steps)`);
      pipeline = await RpgPipeline.fit(options.zooDir, config, {
        onProgress: options.onFitProgress,
        checkpointing: { dir: join(workDir, 'training'), every: 200 },
        taskExamples: condition === 'task-examples' ? examples : undefined,
        // The extractor learns digits from the training split; the test split is only measured.
        pretrainData: condition === 'task-examples' ? mnistDigitClassification(splits) : undefined,
        onPretrainProgress: options.onPretrainProgress,
      });
      await pipeline.save(pipelineDir);
      fitSeconds = (Date.now() - t0) / 1000;
    }
    const pretraining = pipeline.fitInfo?.extractorPretraining;
    if (pretraining) {
      log(
        `${condition}: feature extractor pretrained for ${pretraining.steps} steps: digit accuracy ${pct(pretraining.accuracy)} on the training split, ${pretraining.validationAccuracy === undefined ? '?' : pct(pretraining.validationAccuracy)} on the test split`,
      );
    }
    tokens = pipeline.tokenizer.shape;
    let generateSeconds = 0;
    let evalSeconds = 0;
    const heldOut: UnseenTaskRow[] = [];
    const seen: UnseenTaskRow[] = [];
    try {
      for (const [k, task] of tasks.entries()) {
        // One set per task, from the training split, as a user with a few labelled digits;
        // both examples arms see the same set.
        const set = examples(task.code, new Rng(seed + 7919 * (k + 1)));
        const softCode = estimator ? (await estimator.model.estimate([set]))[0] : undefined;
        const t1 = Date.now();
        const models = await pipeline.generateStateDicts({
          count,
          seed: seed + 1000 * k,
          steps: samplingSteps,
          sampler: 'ddim',
          ...(condition === 'task-examples'
            ? { taskExamples: set }
            : { taskCode: softCode ?? task.code }),
        });
        generateSeconds += (Date.now() - t1) / 1000;
        const t2 = Date.now();
        parameters ||= [...models[0]!.values()].reduce((n, t) => n + t.data.length, 0);
        const view = binaryTaskView(test, task.code);
        const generated = await evaluateAll(arch, view, modelSizes, models);
        evalSeconds += (Date.now() - t2) / 1000;
        const row: UnseenTaskRow = {
          code: task.code,
          trained: bestMean(task.own.accuracies),
          generated: bestMean(generated),
          nearest: nearestRows.get(task.code)!,
          ...(softCode ? { estimated_code: compareCodes(softCode, task.code) } : {}),
        };
        (task.seen ? seen : heldOut).push(row);
        log(
          `${condition} task ${k + 1}/${tasks.length} ${task.code}${task.seen ? ' (seen)' : ''}: trained ${pct(row.trained.mean)}, generated ${pct(row.generated.mean)}, nearest ${row.nearest.code} ${pct(row.nearest.mean)}`,
        );
      }
    } finally {
      pipeline.dispose();
      estimator?.model.dispose();
    }
    const summary = { held_out: summarise(heldOut), seen: summarise(seen) };
    arms.push({
      condition,
      held_out: heldOut,
      seen,
      summary,
      target: {
        ratio_required: UNSEEN_TASK_RATIO,
        ratio: summary.held_out.ratio,
        met: summary.held_out.ratio >= UNSEEN_TASK_RATIO,
        above_nearest: summary.held_out.generated > summary.held_out.nearest,
      },
      config: { ...config, count, seed, samplingSteps, sampler: 'ddim' },
      seconds: {
        fit: fitSeconds === null ? null : round(fitSeconds),
        generate: round(generateSeconds),
        eval: round(evalSeconds),
      },
      fit_reused: reused,
      ...(pretraining && condition === 'task-examples'
        ? { extractor_pretraining: pretraining }
        : {}),
      ...(estimator ? { code_estimator: { ...estimator.result, reused: estimator.reused } } : {}),
    });
  }

  const report: RpgUnseenTaskReport = {
    arms,
    zoo_dir: options.zooDir,
    held_out_zoo_dir: options.heldOutZooDir,
    training_tasks: byCode.size,
    checkpoints: train.manifest.checkpoints.length,
    parameters,
    tokens,
    test_examples: test.count,
    backend: options.backend,
    command: options.command ?? null,
  };
  await writeTextAtomic(`${options.report}.json`, `${JSON.stringify(report, null, 2)}\n`);
  await writeUnseenTaskPlots(report, options.report);
  await writeTextAtomic(`${options.report}.md`, unseenMarkdown(report, options.report));
  log(`report → ${options.report}.json, ${options.report}.md`);
  return report;
}

/**
 * The `examples-to-code` arm's estimator: loaded from `dir`, or its digit classifier trained on
 * the MNIST training split (measured on the test split) and saved there.
 */
async function codeEstimator(
  dir: string,
  splits: { train: MnistData; test: MnistData },
  { steps, seed }: { steps: number; seed: number },
  log: (line: string) => void,
): Promise<{ model: ExampleCodeEstimator; result: PretrainResult; reused: boolean }> {
  const resultFile = join(dir, 'pretraining.json');
  try {
    const result = JSON.parse(await readFile(resultFile, 'utf8')) as PretrainResult;
    if (result.steps === steps) {
      const model = (await loadTaskEncoder(dir)) as ExampleCodeEstimator;
      log(`examples-to-code: reusing the code estimator in ${dir}`);
      return { model, result, reused: true };
    }
  } catch {
    // Absent or unreadable: train a new one (seconds).
  }
  const { estimator: model, result } = await trainMnistCodeEstimator(splits, { steps, seed });
  await saveTaskEncoder(dir, model);
  await writeTextAtomic(resultFile, `${JSON.stringify(result, null, 2)}\n`);
  log(
    `examples-to-code: code estimator trained (${result.steps} steps): digits ${pct(result.accuracy)} on the training split, ${pct(result.validationAccuracy ?? Number.NaN)} on the test split`,
  );
  return { model, result, reused: false };
}

/** A soft code rounded ('?' near ½) and its agreement with the task's code. */
function compareCodes(soft: readonly number[], code: string): { code: string; bits_right: number } {
  const rounded = soft.map((v) => (v > 0.75 ? '1' : v < 0.25 ? '0' : '?')).join('');
  const right = [...rounded].filter((b, i) => b === code[i]).length;
  return { code: rounded, bits_right: right };
}

/** Writes the per-task bar charts of every arm into `dir` (PNG and SVG). */
export async function writeUnseenTaskPlots(
  report: RpgUnseenTaskReport,
  dir: string,
): Promise<void> {
  for (const arm of report.arms) {
    for (const [part, rows] of [
      ['held-out', arm.held_out],
      ['seen', arm.seen],
    ] as const) {
      const plot = await renderPlot(taskPlotSpec(rows, `${part} task codes, ${arm.condition}`));
      await writeBytesAtomic(join(dir, `${arm.condition}-${part}.png`), plot.png);
      await writeTextAtomic(join(dir, `${arm.condition}-${part}.svg`), plot.svg);
    }
  }
}

function summarise(rows: readonly UnseenTaskRow[]): UnseenTaskSummary {
  const trained = mean(rows.map((r) => r.trained.mean));
  const generated = mean(rows.map((r) => r.generated.mean));
  const nearest = mean(rows.map((r) => r.nearest.mean));
  return { trained, generated, nearest, ratio: generated / trained };
}

type TopLevelSpec = Parameters<typeof renderPlot>[0];

interface TaskCheckpoints {
  indices: number[];
  accuracies: number[];
}

function groupByCode(
  checkpoints: readonly { taskCode?: string; testAccuracy: number }[],
  dir: string,
): Map<string, TaskCheckpoints> {
  const out = new Map<string, TaskCheckpoints>();
  for (const [i, c] of checkpoints.entries()) {
    if (c.taskCode === undefined) {
      throw new RpgError(`${dir}: checkpoint ${i} has no taskCode; a tasks zoo is needed`);
    }
    const entry = out.get(c.taskCode) ?? { indices: [], accuracies: [] };
    entry.indices.push(i);
    entry.accuracies.push(c.testAccuracy);
    out.set(c.taskCode, entry);
  }
  return out;
}

/** The training code nearest in Hamming distance (ties: the first in zoo order). */
function nearestCode(
  code: string,
  byCode: Map<string, TaskCheckpoints>,
  exclude?: string,
): { code: string; hamming: number } {
  let best = { code: '', hamming: Number.POSITIVE_INFINITY };
  for (const other of byCode.keys()) {
    if (other === exclude) continue;
    let d = 0;
    for (let i = 0; i < code.length; i++) if (code[i] !== other[i]) d++;
    if (d < best.hamming) best = { code: other, hamming: d };
  }
  return best;
}

async function evaluateAll(
  arch: ArchName,
  view: MnistData,
  model: CreateModelOptions,
  stateDicts: readonly StateDict[],
): Promise<number[]> {
  const evaluator = new AccuracyEvaluator(arch, view, { numClasses: 2, model });
  try {
    const out: number[] = [];
    for (const sd of stateDicts) out.push((await evaluator.evaluate(sd)).accuracy);
    return out;
  } finally {
    evaluator.dispose();
  }
}

function sample(items: string[], k: number, rng: Rng): string[] {
  const pool = [...items];
  const out: string[] = [];
  while (out.length < Math.min(k, items.length)) {
    out.push(pool.splice(rng.int(pool.length), 1)[0]!);
  }
  return out;
}

function bestMean(values: readonly number[]): BestMean {
  return { count: values.length, best: Math.max(...values), mean: mean(values) };
}

function mean(values: readonly number[]): number {
  return values.reduce((a, b) => a + b, 0) / Math.max(1, values.length);
}

function round(x: number, digits = 1): number {
  const f = 10 ** digits;
  return Math.round(x * f) / f;
}

function pct(x: number): string {
  return `${(x * 100).toFixed(2)}%`;
}

function taskPlotSpec(rows: readonly UnseenTaskRow[], title: string): TopLevelSpec {
  const values = rows.flatMap((r) => [
    { code: r.code, kind: 'trained (mean of its own)', accuracy: r.trained.mean },
    { code: r.code, kind: 'generated (mean)', accuracy: r.generated.mean },
    { code: r.code, kind: 'nearest seen task (mean)', accuracy: r.nearest.mean },
  ]);
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v5.json',
    title,
    data: { values },
    // Clipped: bars of accuracies under the axis's 0.5 would otherwise cover the code labels.
    mark: { type: 'bar', clip: true },
    encoding: {
      x: {
        field: 'code',
        type: 'nominal',
        title: 'task code (bit i = digit i)',
        axis: { labelAngle: -45 },
      },
      xOffset: { field: 'kind' },
      y: {
        field: 'accuracy',
        type: 'quantitative',
        title: 'test accuracy',
        scale: { domain: [0.5, 1] },
      },
      color: { field: 'kind', type: 'nominal', title: null, legend: { labelLimit: 320 } },
    },
    width: 40 * Math.max(1, rows.length),
    height: 240,
  } as TopLevelSpec;
}

const CONDITION_LABELS: Record<UnseenTaskCondition, string> = {
  'task-code': '10-bit task code',
  'task-examples': 'labelled examples (dataset encoder)',
  'examples-to-code': 'labelled examples → estimated code',
};

function unseenMarkdown(r: RpgUnseenTaskReport, reportDir: string): string {
  const name = reportDir.split('/').pop();
  const table = (rows: UnseenTaskRow[]) => [
    '| code | trained best / mean | generated best / mean | nearest seen code (Hamming) | its best / mean here |',
    '|---|---|---|---|---|',
    ...rows.map(
      (row) =>
        `| \`${row.code}\` | ${pct(row.trained.best)} / ${pct(row.trained.mean)} | ${pct(row.generated.best)} / ${pct(row.generated.mean)} | \`${row.nearest.code}\` (${row.nearest.hamming}) | ${pct(row.nearest.best)} / ${pct(row.nearest.mean)} |`,
    ),
  ];
  const label = (c: UnseenTaskCondition) => CONDITION_LABELS[c];
  const first = r.arms[0];
  const lines = [
    '# Conditional RPG on unseen binary MNIST tasks',
    '',
    r.command ? `Reproduce: \`${r.command}\`` : '',
    '',
    `Training zoo \`${r.zoo_dir}\`: ${r.training_tasks} task codes, ${r.checkpoints} checkpoints (${r.parameters} parameters, ${r.tokens[0]} tokens of ${r.tokens[1]}); held-out classifiers from \`${r.held_out_zoo_dir}\`. ${first?.config.count ?? 0} generated models per task, DDIM ${first?.config.samplingSteps ?? 0} steps. Test split: ${r.test_examples} images, labelled by each task's code. Backend ${r.backend}.`,
    '',
    '| condition | tasks | trained mean | generated mean | generated / trained | nearest seen task mean | fit / generate / eval s |',
    '|---|---|---|---|---|---|---|',
  ];
  for (const arm of r.arms) {
    const s = arm.seconds;
    const time = `${s.fit ?? '?'}${arm.fit_reused ? ' (reused)' : ''} / ${s.generate} / ${s.eval}`;
    for (const [part, rows, sum] of [
      ['held out', arm.held_out, arm.summary.held_out],
      ['seen', arm.seen, arm.summary.seen],
    ] as const) {
      lines.push(
        `| ${label(arm.condition)} | ${part} (${rows.length}) | ${pct(sum.trained)} | ${pct(sum.generated)} | ${(sum.ratio * 100).toFixed(1)}% | ${pct(sum.nearest)} | ${time} |`,
      );
    }
  }
  lines.push('');
  for (const arm of r.arms) {
    const e = arm.code_estimator;
    if (!e) continue;
    const rows = [...arm.held_out, ...arm.seen].filter((row) => row.estimated_code);
    const right = rows.reduce((n, row) => n + row.estimated_code!.bits_right, 0);
    const exact = rows.filter((row) => row.estimated_code!.bits_right === 10).length;
    lines.push(
      '',
      `${label(arm.condition)}: an \`ExampleCodeEstimator\` (digit classifier trained ${e.steps} steps: ${pct(e.accuracy)} on the training split, ${e.validationAccuracy === undefined ? '?' : pct(e.validationAccuracy)} on the test split) reads each task's ${arm.config.examplesPerTask} labelled digits into a soft code, which the task-code pipeline takes. Its codes, rounded: ${right} of ${rows.length * 10} bits right, ${exact} of ${rows.length} codes exact (a bit is unknown when its digit is missing from the set).`,
    );
  }
  for (const arm of r.arms) {
    const p = arm.extractor_pretraining;
    if (p) {
      lines.push(
        `${label(arm.condition)}: the feature extractor was pretrained as a digit classifier for ${p.steps} steps (${pct(p.accuracy)} on the training split, ${p.validationAccuracy === undefined ? '?' : pct(p.validationAccuracy)} on the test split), then frozen.`,
        '',
      );
    }
    lines.push(
      `Target (issue #9), ${label(arm.condition)}: held-out generated mean ≥ ${UNSEEN_TASK_RATIO * 100}% of the trained mean: ${arm.target.met ? 'met' : '**not met**'} (${(arm.target.ratio * 100).toFixed(1)}%); above the nearest-seen-task baseline: ${arm.target.above_nearest ? 'yes' : '**no**'}. Condition ${arm.config.conditionLastK > 0 ? `at the last ${arm.config.conditionLastK} positions` : 'at every position'}.`,
      '',
    );
  }
  for (const arm of r.arms) {
    lines.push(
      `## ${label(arm.condition)}: held-out codes`,
      '',
      `![held-out](${name}/${arm.condition}-held-out.png)`,
      '',
      ...table(arm.held_out),
      '',
      `## ${label(arm.condition)}: seen codes`,
      '',
      `![seen](${name}/${arm.condition}-seen.png)`,
      '',
      ...table(arm.seen),
      '',
    );
  }
  return lines.join('\n');
}
