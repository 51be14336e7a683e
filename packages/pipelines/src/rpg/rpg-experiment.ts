import { access, readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { BackendName } from '@pgen/backends';
import {
  type AccuracySummary,
  DEFAULT_NOISE_SIGMAS,
  evaluateZooReport,
  formatReportSummary,
  type ZooReport,
} from '@pgen/bench';
import { readZoo } from '@pgen/zoo';
import { type RpgConfig, resolveRpgConfig, resolveSavedRpgConfig } from './rpg-config';
import { RPG_FILES } from './rpg-io';
import { RpgPipeline } from './rpg-pipeline';
import type { RpgFitProgress } from './rpg-training';
import { trainingStateMatches } from './rpg-training-state';
import { writeTextAtomic } from './write-text-atomic';

/** Options of {@link runRpgExperiment}. */
export interface RpgExperimentOptions {
  /** The zoo folder (with zoo.json) to learn and to compare against. */
  zooDir: string;
  /**
   * Working folder: `pipeline/` (reused when it holds a pipeline fitted with the same config),
   * `training/` (resumable training checkpoints) and `generated/`.
   */
  workDir: string;
  /** Report path without extension: writes `<report>.json`, `<report>.md` and `<report>/`. */
  report: string;
  /** Training config (defaults of `resolveRpgConfig` for what is left out). */
  config?: Partial<RpgConfig>;
  /** Models to generate (default 20). */
  count?: number;
  /** Seed of the generated models (default 0). */
  seed?: number;
  /** DDIM steps per model (default 50). */
  samplingSteps?: number;
  /** Zoo checkpoints perturbed per noise level in the baselines (default 10). */
  noiseCount?: number;
  /** Seconds the zoo took to collect, when the caller measured it. */
  zooSeconds?: number | null;
  /** The command that reproduces the report, quoted in its Markdown. */
  command?: string;
  /** tfjs backend name, recorded in the report. */
  backend: string;
  /** Backend @pgen/bench evaluates on (default wasm, the fastest CPU backend). */
  evalBackend?: 'auto' | BackendName;
  /** Progress lines (fit steps, generated models, evaluated models). */
  onLog?: (line: string) => void;
  /** Every fit step (for a progress bar). */
  onFitProgress?: (progress: RpgFitProgress) => void;
  /**
   * Training checkpoints in `workDir/training` from another config: `refuse` (default, an
   * error naming the fields) or `restart` (delete them and fit from scratch; for a folder the
   * caller owns, like the demo's).
   */
  staleTraining?: 'refuse' | 'restart';
}

/** The targets of issue #7, from the papers' own results, in accuracy points. */
export const RPG_TARGETS = {
  /** Generated best ≥ zoo best − 0.3 points. */
  bestGap: 0.003,
  /** Generated mean ≥ zoo mean − 0.5 points. */
  meanGap: 0.005,
  /** No generated model below 90%. */
  floor: 0.9,
} as const;

/** `<report>.json`: the zoo-vs-generated figures, how they were made, and the targets. */
export interface RpgExperimentReport {
  zoo: AccuracySummary;
  generated: AccuracySummary;
  similarity: {
    iou_oo: number;
    iou_gg: number;
    iou_og: number;
    iou_og_max_mean: number;
    nn_distance_ratio_mean: number;
  };
  noise_baselines: ZooReport['noise_baselines'];
  targets: {
    best: { required: number; met: boolean };
    mean: { required: number; met: boolean };
    min: { required: number; met: boolean };
  };
  config: RpgConfig & { count: number; seed: number; samplingSteps: number; sampler: 'ddim' };
  arch: string;
  zoo_dir: string;
  test_examples: number;
  parameters: number;
  tokens: [number, number];
  backend: string;
  /** Wall-clock seconds: zoo collection (from the zoo manifest when known), fit, generate, eval. */
  seconds: { zoo: number | null; fit: number | null; generate: number; eval: number };
  /** True when the fit was reused from `workDir/pipeline` rather than run now. */
  fit_reused: boolean;
  command: string | null;
}

/**
 * One RPG experiment end to end: fit (or reuse) a pipeline on a zoo, generate `count` models,
 * evaluate them against the zoo with @pgen/bench (accuracy, IoU, nearest-neighbour distance,
 * noise baselines, plots), and write the report as JSON and Markdown.
 */
export async function runRpgExperiment(
  options: RpgExperimentOptions,
): Promise<RpgExperimentReport> {
  const log = options.onLog ?? (() => {});
  const config = resolveRpgConfig(options.config);
  const count = options.count ?? 20;
  const seed = options.seed ?? 0;
  const samplingSteps = options.samplingSteps ?? 50;
  const { manifest } = await readZoo(options.zooDir);
  const pipelineDir = join(options.workDir, 'pipeline');
  const generatedDir = join(options.workDir, 'generated');
  const reportDir = options.report;

  let pipeline: RpgPipeline;
  let fitSeconds: number | null = null;
  let reused = false;
  const t0 = Date.now();
  if (await sameConfigPipeline(pipelineDir, config)) {
    log(`reusing the fitted pipeline in ${pipelineDir}`);
    pipeline = await RpgPipeline.load(pipelineDir);
    reused = true;
    // The fit's own record, when the folder has one (fit_info.json).
    fitSeconds = pipeline.fitInfo?.seconds ?? null;
  } else {
    log(`fitting RPG on ${options.zooDir} (${config.steps} steps, prior ${config.prior})`);
    const checkpointing = { dir: join(options.workDir, 'training'), every: 200 };
    if (
      options.staleTraining === 'restart' &&
      (await trainingStateMatches(checkpointing, config)) === false
    ) {
      log(`${checkpointing.dir} holds training checkpoints of another config: starting over`);
      await rm(checkpointing.dir, { recursive: true, force: true });
    }
    pipeline = await RpgPipeline.fit(options.zooDir, config, {
      onProgress: options.onFitProgress,
      checkpointing,
    });
    await pipeline.save(pipelineDir);
    fitSeconds = (Date.now() - t0) / 1000;
  }
  const tokens = pipeline.tokenizer.shape;

  const t1 = Date.now();
  try {
    await rm(generatedDir, { recursive: true, force: true });
    await pipeline.generate(generatedDir, {
      count,
      seed,
      steps: samplingSteps,
      sampler: 'ddim',
      onModel: (done, total) => log(`generated ${done}/${total}`),
    });
  } finally {
    pipeline.dispose();
  }
  const generateSeconds = (Date.now() - t1) / 1000;

  const t2 = Date.now();
  const zooReport = await evaluateZooReport({
    zooDir: options.zooDir,
    generatedDir,
    outDir: reportDir,
    noiseSigmas: DEFAULT_NOISE_SIGMAS,
    noiseCount: options.noiseCount ?? 10,
    backend: options.evalBackend ?? 'wasm',
    onProgress: (p) => {
      if (p.done === p.total || p.done % 10 === 0) log(`[eval ${p.phase} ${p.done}/${p.total}]`);
    },
  });
  const evalSeconds = (Date.now() - t2) / 1000;

  const generated = zooReport.generated!;
  const zoo = zooReport.zoo;
  const s = zooReport.similarity;
  const report: RpgExperimentReport = {
    zoo,
    generated,
    similarity: {
      iou_oo: s.iou_oo,
      iou_gg: s.iou_gg ?? Number.NaN,
      iou_og: s.iou_og ?? Number.NaN,
      iou_og_max_mean: s.iou_og_max_mean ?? Number.NaN,
      nn_distance_ratio_mean: s.nn_distance_ratio_mean ?? Number.NaN,
    },
    noise_baselines: zooReport.noise_baselines,
    targets: {
      best: target(zoo.best - RPG_TARGETS.bestGap, generated.best),
      mean: target(zoo.mean - RPG_TARGETS.meanGap, generated.mean),
      min: target(RPG_TARGETS.floor, generated.min),
    },
    config: { ...config, count, seed, samplingSteps, sampler: 'ddim' },
    arch: manifest.arch,
    zoo_dir: options.zooDir,
    test_examples: zooReport.test_examples,
    parameters: zooReport.parameters,
    tokens,
    backend: options.backend,
    seconds: {
      zoo: options.zooSeconds ?? zooSeconds(manifest),
      fit: fitSeconds === null ? null : round(fitSeconds),
      generate: round(generateSeconds),
      eval: round(evalSeconds),
    },
    fit_reused: reused,
    command: options.command ?? null,
  };
  await writeTextAtomic(`${options.report}.json`, `${JSON.stringify(report, finite, 2)}\n`);
  const markdown = formatReportSummary(
    [{ report: zooReport, outDir: reportDir }],
    `${options.report}.md`,
    {
      title: `RPG on the ${manifest.arch} zoo`,
      preamble: experimentPreamble(report),
    },
  );
  await writeTextAtomic(`${options.report}.md`, markdown);
  log(`report → ${options.report}.json, ${options.report}.md`);
  return report;
}

function target(required: number, value: number): { required: number; met: boolean } {
  return { required: round(required, 6), met: value >= required - 1e-9 };
}

function round(x: number, digits = 1): number {
  const f = 10 ** digits;
  return Math.round(x * f) / f;
}

function finite(_: string, value: unknown): unknown {
  return typeof value === 'number' && !Number.isFinite(value) ? null : value;
}

/** The collection time, when the zoo manifest recorded one. */
function zooSeconds(manifest: object): number | null {
  const seconds = (manifest as { seconds?: unknown }).seconds;
  return typeof seconds === 'number' ? seconds : null;
}

/** True when `dir` holds a pipeline fitted with exactly `config` (so a fit can be reused). */
export async function sameConfigPipeline(dir: string, config: RpgConfig): Promise<boolean> {
  try {
    await access(join(dir, RPG_FILES.config));
  } catch {
    return false;
  }
  const saved = JSON.parse(await readFile(join(dir, RPG_FILES.config), 'utf8')) as {
    config: RpgConfig;
  };
  return JSON.stringify(resolveSavedRpgConfig(saved.config)) === JSON.stringify(config);
}

function experimentPreamble(r: RpgExperimentReport): string {
  const pct = (x: number) => `${(x * 100).toFixed(2)}%`;
  const mark = (ok: boolean) => (ok ? 'met' : '**not met**');
  const c = r.config;
  return [
    r.command ? `Reproduce: \`${r.command}\`` : '',
    '',
    `Zoo \`${r.zoo_dir}\` (${r.zoo.count} ${r.arch} checkpoints, ${r.parameters} parameters) → ` +
      `${r.tokens[0]} tokens of ${r.tokens[1]}; RPG with prior \`${c.prior}\`${
        Object.keys(c.priorOptions).length ? ` ${JSON.stringify(c.priorOptions)}` : ''
      } (dModel ${c.dModel}, ${c.priorLayers} layers), denoiser \`${c.denoiser}\`, ` +
      `${c.steps} steps × ${c.tokensPerStep} tokens, lr ${c.lr}; ${c.count} models by DDIM-${c.samplingSteps}. ` +
      `Backend ${r.backend}; fit ${r.seconds.fit ?? '?'} s${r.fit_reused ? ' (fitted earlier, reused)' : ''}, generate ${r.seconds.generate} s, eval ${r.seconds.eval} s.`,
    '',
    '| target | required | generated | |',
    '| --- | --- | --- | --- |',
    `| best ≥ zoo best − 0.3 pt | ${pct(r.targets.best.required)} | ${pct(r.generated.best)} | ${mark(r.targets.best.met)} |`,
    `| mean ≥ zoo mean − 0.5 pt | ${pct(r.targets.mean.required)} | ${pct(r.generated.mean)} | ${mark(r.targets.mean.met)} |`,
    `| no model below 90% | ${pct(r.targets.min.required)} | ${pct(r.generated.min)} | ${mark(r.targets.min.met)} |`,
  ].join('\n');
}
