import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { type BackendName, initBackend } from '@pgen/backends';
import type { StateDict } from '@pgen/checkpoint-io';
import { type ArchName, loadMnistSplits, type MnistData } from '@pgen/zoo';
import { AccuracyEvaluator } from './accuracy-evaluator';
import { accuracySummary, median } from './accuracy-summary';
import { type CheckpointSet, openCheckpointSet } from './checkpoint-set';
import { BenchError } from './errors';
import { formatReportMarkdown, PLOT_NAMES } from './markdown-report';
import { zooNearestDistances } from './nearest-neighbour';
import { noisyVectors } from './noise-baseline';
import { meanIouWithin } from './pairwise-iou';
import {
  fitParameterNormalisation,
  normalisedParameterVector,
  type ParameterNormalisation,
  parameterCount,
  stateDictFromVector,
} from './parameter-vectors';
import { accuracyHistogramSpec, accuracyVsMaxIouSpec, type PlotPoint } from './plot-specs';
import { renderPlot } from './render-plot';
import { type ModelScore, reportToJson, type ZooReport } from './report-types';
import { similarityMetrics } from './similarity';
import { writeFileAtomic } from './write-atomic';
import type { WrongSet } from './wrong-set';

/** The noise levels of p-diff's baselines, in normalised (z-scored) parameter units. */
export const DEFAULT_NOISE_SIGMAS: readonly number[] = [0.01, 0.05, 0.1];

/** A step of `evaluateZooReport`, for progress lines. */
export interface ReportProgress {
  /** `zoo`, `generated`, `noise σ=0.05` or `plots`. */
  phase: string;
  /** Models finished in this phase. */
  done: number;
  /** Models in this phase. */
  total: number;
  /** The last model's name and accuracy, or what was written. */
  message: string;
}

/** Options of `evaluateZooReport`. */
export interface ZooReportOptions {
  /** A zoo folder (with `zoo.json`). */
  zooDir: string;
  /**
   * Generated weights: a folder of `.safetensors` state dicts or a zoo folder. Left out, the
   * report is a zoo-only baseline (zoo summary, IoU within the zoo, noise baselines).
   */
  generatedDir?: string;
  /** Where `report.json`, `report.md` and the plots go (created if missing). */
  outDir: string;
  /** The architecture; default the zoo manifest's, and it must agree with it when given. */
  arch?: ArchName;
  /** Noise levels σ of the baselines (default `DEFAULT_NOISE_SIGMAS`; `[]` for none). */
  noiseSigmas?: readonly number[];
  /** Zoo checkpoints perturbed per σ, a seeded sample (default all). */
  noiseCount?: number;
  /** Seed of the noise baselines (default 0). */
  seed?: number;
  /** Seed of the MNIST train/test split, which must be the zoo's (default 0, the zoo default). */
  splitSeed?: number;
  /** Evaluate on these images instead of the MNIST test split (tests, other data). */
  testData?: MnistData;
  /** tfjs backend (default `auto`). */
  backend?: 'auto' | BackendName;
  /** Called after every model and every written file. */
  onProgress?: (progress: ReportProgress) => void;
}

/** Scores of one evaluated set of models. */
interface EvaluatedSet {
  names: string[];
  accuracies: number[];
  wrong: WrongSet[];
  vectors: Float32Array[];
}

/**
 * Evaluates a zoo (and optionally generated weights) and writes the report: `report.json`,
 * `report.md`, `accuracy-histogram.svg/.png` and `accuracy-vs-max-iou.svg/.png` in `outDir`.
 * Every model is evaluated and every plot rendered before the first file is written, and each
 * file is written atomically, so a failure leaves no partial report behind.
 */
export async function evaluateZooReport(options: ZooReportOptions): Promise<ZooReport> {
  const started = performance.now();
  const seconds: Record<string, number> = {};
  const lap = (phase: string, since: number) => {
    seconds[phase] = Math.round((performance.now() - since) / 10) / 100;
    return performance.now();
  };
  const progress = options.onProgress ?? (() => undefined);
  const sigmas = [...(options.noiseSigmas ?? DEFAULT_NOISE_SIGMAS)];
  const seed = options.seed ?? 0;

  let t = performance.now();
  const backend = await initBackend({ prefer: options.backend ?? 'auto' });
  const zooSet = await openCheckpointSet(options.zooDir);
  if (!zooSet.manifest) throw new BenchError(`${options.zooDir}: not a zoo (no zoo.json)`);
  if (zooSet.names.length < 2) {
    throw new BenchError(
      `${options.zooDir}: a zoo needs at least two checkpoints to compare (has ${zooSet.names.length})`,
    );
  }
  if (zooSet.manifest.checkpoints.some((c) => c.taskCode !== undefined)) {
    // Each task checkpoint is scored on its own binary view of the test split, so wrong sets
    // of different tasks do not share a label space and their IoU would mean nothing.
    throw new BenchError(
      `${options.zooDir}: a task-conditioned zoo (checkpoints with taskCode) is not evaluated by this report`,
    );
  }
  const arch = zooSet.arch!;
  if (options.arch && options.arch !== arch) {
    throw new BenchError(
      `${options.zooDir}: the zoo holds ${arch} checkpoints, not ${options.arch}`,
    );
  }
  const generatedSet = options.generatedDir
    ? await openCheckpointSet(options.generatedDir)
    : undefined;
  if (generatedSet?.arch && generatedSet.arch !== arch) {
    throw new BenchError(
      `${generatedSet.dir}: holds ${generatedSet.arch} checkpoints, the zoo ${arch} ones`,
    );
  }
  const data = options.testData ?? (await loadMnistSplits({ seed: options.splitSeed ?? 0 })).test;
  t = lap('setup', t);

  const evaluator = new AccuracyEvaluator(arch, data);
  try {
    const zooDicts: StateDict[] = [];
    for (let i = 0; i < zooSet.names.length; i++) zooDicts.push(await zooSet.load(i));
    const normalisation = fitParameterNormalisation(zooDicts, {
      sources: zooSet.names.map((n) => join(zooSet.dir, n)),
    });
    const zoo = await evaluateSet(zooSet, 'zoo', evaluator, normalisation, progress, zooDicts);
    const zooDistances = zooNearestDistances(zoo.vectors);
    t = lap('zoo', t);

    const base = {
      zooWrong: zoo.wrong,
      zooVectors: zoo.vectors,
      zooNearestDistances: zooDistances,
    };
    const report: ZooReport = {
      arch,
      zoo_dir: options.zooDir,
      generated_dir: options.generatedDir ?? null,
      test_examples: data.count,
      parameters: parameterCount(normalisation),
      zoo: accuracySummary(zoo.accuracies),
      generated: null,
      similarity: {
        iou_oo: meanIouWithin(zoo.wrong),
        zoo_nn_distance_median: median(Float64Array.from(zooDistances).sort()),
      },
      noise_baselines: {},
      models: {
        zoo: zoo.names.map((name, i) => ({ name, accuracy: zoo.accuracies[i]! })),
        generated: [],
        noise: {},
      },
      seed,
      backend: backend.name,
      seconds,
    };
    const points: PlotPoint[] = zoo.accuracies.map((accuracy) => ({ set: 'zoo', accuracy }));

    if (generatedSet) {
      const generated = await evaluateSet(
        generatedSet,
        'generated',
        evaluator,
        normalisation,
        progress,
      );
      const sim = similarityMetrics({
        ...base,
        generatedWrong: generated.wrong,
        generatedVectors: generated.vectors,
      });
      const { iou_oo: _, ...rest } = sim.metrics;
      report.generated = accuracySummary(generated.accuracies);
      Object.assign(report.similarity, rest);
      report.models.generated = scores(generated.names, generated.accuracies, sim);
      generated.accuracies.forEach((accuracy, i) => {
        points.push({ set: 'generated', accuracy, maxIou: sim.maxIou[i]! });
      });
      t = lap('generated', t);
    }

    for (const sigma of sigmas) {
      const key = String(sigma);
      const phase = `noise σ=${key}`;
      const noisy = noisyVectors(zoo.vectors, { sigma, seed, count: options.noiseCount });
      const names = noisy.sourceIndices.map((i) => `${zoo.names[i]!} + noise`);
      const evaluated: EvaluatedSet = { names, accuracies: [], wrong: [], vectors: noisy.vectors };
      for (let k = 0; k < noisy.vectors.length; k++) {
        const source = noisy.sourceIndices[k]!;
        const stateDict = stateDictFromVector(noisy.vectors[k]!, normalisation, zooDicts[source]!);
        const result = await evaluator.evaluate(stateDict, names[k]);
        evaluated.accuracies.push(result.accuracy);
        evaluated.wrong.push(result.wrong);
        progress({
          phase,
          done: k + 1,
          total: names.length,
          message: `${names[k]}: ${pct(result.accuracy)}`,
        });
      }
      const sim = similarityMetrics({
        ...base,
        generatedWrong: evaluated.wrong,
        generatedVectors: evaluated.vectors,
      });
      const { iou_oo: _, ...rest } = sim.metrics;
      report.noise_baselines[key] = { ...accuracySummary(evaluated.accuracies), ...rest };
      report.models.noise[key] = scores(names, evaluated.accuracies, sim);
      evaluated.accuracies.forEach((accuracy, i) => {
        points.push({ set: phase, accuracy, maxIou: sim.maxIou[i]! });
      });
      t = lap(phase, t);
    }

    const what = generatedSet ? 'zoo vs generated' : 'zoo and noise baselines';
    const histogram = await renderPlot(
      accuracyHistogramSpec(points, `${arch}: test accuracy, ${what}`),
    );
    const scatter = await renderPlot(
      accuracyVsMaxIouSpec(points, `${arch}: accuracy against max IoU with the zoo`),
    );
    t = lap('plots', t);
    seconds.total = Math.round((performance.now() - started) / 10) / 100;

    await mkdir(options.outDir, { recursive: true });
    const files: [string, string | Uint8Array][] = [
      ['report.json', reportToJson(report)],
      ['report.md', formatReportMarkdown(report)],
      [`${PLOT_NAMES.histogram}.svg`, histogram.svg],
      [`${PLOT_NAMES.histogram}.png`, histogram.png],
      [`${PLOT_NAMES.maxIou}.svg`, scatter.svg],
      [`${PLOT_NAMES.maxIou}.png`, scatter.png],
    ];
    for (const [k, [name, contents]] of files.entries()) {
      const path = join(options.outDir, name);
      await writeFileAtomic(path, contents);
      progress({ phase: 'write', done: k + 1, total: files.length, message: path });
    }
    return report;
  } finally {
    evaluator.dispose();
  }
}

/**
 * Evaluates every checkpoint of a set: accuracy, wrong set and normalised parameter vector.
 * State dicts already in memory (the zoo's, kept as noise templates) are passed in; the others
 * are read one at a time and dropped, so only vectors accumulate.
 */
async function evaluateSet(
  set: CheckpointSet,
  phase: string,
  evaluator: AccuracyEvaluator,
  normalisation: ParameterNormalisation,
  progress: (p: ReportProgress) => void,
  loaded?: readonly StateDict[],
): Promise<EvaluatedSet> {
  const out: EvaluatedSet = { names: set.names, accuracies: [], wrong: [], vectors: [] };
  for (let i = 0; i < set.names.length; i++) {
    const source = join(set.dir, set.names[i]!);
    const stateDict = loaded?.[i] ?? (await set.load(i));
    out.vectors.push(normalisedParameterVector(stateDict, normalisation, source));
    const result = await evaluator.evaluate(stateDict, source);
    out.accuracies.push(result.accuracy);
    out.wrong.push(result.wrong);
    progress({
      phase,
      done: i + 1,
      total: set.names.length,
      message: `${set.names[i]}: ${pct(result.accuracy)}`,
    });
  }
  return out;
}

function scores(
  names: readonly string[],
  accuracies: readonly number[],
  sim: { maxIou: number[]; nnDistance: number[]; nnRatio: number[] },
): ModelScore[] {
  return names.map((name, i) => ({
    name,
    accuracy: accuracies[i]!,
    max_iou: sim.maxIou[i]!,
    nn_distance: sim.nnDistance[i]!,
    nn_ratio: sim.nnRatio[i]!,
  }));
}

function pct(value: number): string {
  return `${(value * 100).toFixed(2)}%`;
}
