import { join } from 'node:path';
import { initBackend } from '@pgen/backends';
import {
  ExampleCodeEstimator,
  loadTaskEncoder,
  type PretrainProgress,
  saveTaskEncoder,
} from '@pgen/task-encoder';
import { loadMnistSplits } from '@pgen/zoo';
import type { Command } from 'commander';
import { trainMnistCodeEstimator } from '../../rpg/mnist-code-estimator';
import { formatComparison, readExperimentReports } from '../../rpg/rpg-comparison';
import {
  RPG_DENOISER_KINDS,
  RPG_PRIOR_KINDS,
  type RpgConfig,
  resolveRpgConfig,
} from '../../rpg/rpg-config';
import { runRpgExperiment } from '../../rpg/rpg-experiment';
import { RpgPipeline } from '../../rpg/rpg-pipeline';
import type { RpgFitProgress } from '../../rpg/rpg-training';
import {
  runRpgUnseenTaskExperiment,
  UNSEEN_TASK_CONDITIONS,
  type UnseenTaskCondition,
} from '../../rpg/rpg-unseen-tasks';
import { readTaskExamples } from '../../rpg/task-examples-file';
import { writeTextAtomic } from '../../rpg/write-text-atomic';
import { CliUsageError } from '../cli-error';
import { createProgressWriter, formatSeconds } from '../progress';
import { readConfigFile } from '../read-config-file';

interface ConfigFlags {
  config?: string;
  steps?: string;
  prior?: string;
  denoiser?: string;
  tokenSize?: string;
  dModel?: string;
  tokensPerStep?: string;
  lr?: string;
  seed?: string;
  teacherForcing?: boolean;
  lossReduction?: string;
  condition?: string;
  conditionLastK?: string;
  examplesPretrainSteps?: string;
  backend: string;
}

/** `pgen rpg fit|generate|experiment`: the RPG pipeline from the command line. */
export function registerRpgCommand(program: Command): void {
  const rpg = program
    .command('rpg')
    .description(
      'RPG (recurrent diffusion for parameter generation): fit a pipeline on a zoo, generate weights, run experiments.',
    );

  withConfigFlags(
    rpg
      .command('fit')
      .description(
        'Fit an RPG pipeline (tokenizer, recurrent prior, token denoiser) on a zoo folder and save it as one ' +
          'folder. Training checkpoints go to <out>/training every 200 steps; rerun the same command to resume.',
      )
      .requiredOption('--zoo <dir>', 'zoo folder (safetensors checkpoints + zoo.json)')
      .requiredOption('--out <dir>', 'pipeline folder to write'),
  ).action(async (options: ConfigFlags & { zoo: string; out: string }) => {
    const config = await configFrom(options);
    const backend = await initBackend({ prefer: options.backend as 'wasm' });
    process.stderr.write(`pgen rpg fit: ${backend.name} (${backend.device})\n`);
    const progress = createProgressWriter();
    const pipeline = await RpgPipeline.fit(options.zoo, config, {
      onProgress: (p) => progress.update(fitLine(p)),
      checkpointing: { dir: join(options.out, 'training'), every: 200 },
    });
    progress.done();
    try {
      await pipeline.save(options.out);
    } finally {
      pipeline.dispose();
    }
    process.stdout.write(
      `${options.out}: RPG pipeline, ${pipeline.tokenizer.shape[0]} tokens of ${pipeline.tokenizer.shape[1]}\n`,
    );
  });

  rpg
    .command('generate')
    .description(
      'Generate models with a fitted RPG pipeline: <out>/generated-XXXX.safetensors, each written tensor by tensor.',
    )
    .requiredOption('--pipeline <dir>', 'pipeline folder written by `pgen rpg fit`')
    .requiredOption('--out <dir>', 'output folder')
    .option('--count <n>', 'models to generate', '1')
    .option('--seed <n>', 'base seed (model i gets its own seed from it)', '0')
    .option('--steps <n>', 'denoising steps', '50')
    .option('--sampler <name>', 'ddim (deterministic given the seed) or ddpm', 'ddim')
    .option(
      '--task-code <code>',
      'task to generate for, a 10-bit class code (bit i: class i); task-code pipelines only',
    )
    .option(
      '--task-examples <file>',
      'task to generate for as labelled digits: safetensors with images [n, 28, 28] and labels [n] (0/1); task-examples pipelines, or task-code ones with --code-estimator',
    )
    .option(
      '--code-estimator <dir>',
      'read --task-examples into a soft task code with this ExampleCodeEstimator (`pgen rpg code-estimator`) and generate from a task-code pipeline',
    )
    .option('--backend <name>', 'tfjs backend: auto, tensorflow, webgpu, wasm, cpu', 'wasm')
    .action(
      async (options: {
        taskCode?: string;
        taskExamples?: string;
        codeEstimator?: string;
        pipeline: string;
        out: string;
        count: string;
        seed: string;
        steps: string;
        sampler: string;
        backend: string;
      }) => {
        if (options.sampler !== 'ddim' && options.sampler !== 'ddpm') {
          throw new CliUsageError(`--sampler must be ddim or ddpm, got "${options.sampler}"`);
        }
        const count = integer(options.count, '--count', 1);
        const taskExamples = options.taskExamples
          ? await readTaskExamples(options.taskExamples)
          : undefined;
        if (options.codeEstimator && (!taskExamples || options.taskCode)) {
          throw new CliUsageError('--code-estimator reads --task-examples, without --task-code');
        }
        await initBackend({ prefer: options.backend as 'wasm' });
        let taskCode: string | number[] | undefined = options.taskCode;
        if (options.codeEstimator) {
          const estimator = await loadTaskEncoder(options.codeEstimator);
          try {
            if (!(estimator instanceof ExampleCodeEstimator)) {
              throw new CliUsageError(
                `${options.codeEstimator}: holds a ${estimator.config._class_name}, not an ExampleCodeEstimator`,
              );
            }
            [taskCode] = await estimator.estimate([taskExamples!]);
          } finally {
            estimator.dispose();
          }
          process.stderr.write(
            `code read from ${options.taskExamples}: ${taskCode!.map((v) => v.toFixed(2)).join(' ')}\n`,
          );
        }
        const pipeline = await RpgPipeline.load(options.pipeline);
        const started = Date.now();
        try {
          const paths = await pipeline.generate(options.out, {
            count,
            seed: integer(options.seed, '--seed', 0),
            steps: integer(options.steps, '--steps', 1),
            sampler: options.sampler,
            taskCode,
            taskExamples: options.codeEstimator ? undefined : taskExamples,
            onModel: (done, total) => {
              const eta = ((Date.now() - started) / 1000 / done) * (total - done);
              process.stderr.write(`generated ${done}/${total}, ETA ${formatSeconds(eta)}\n`);
            },
          });
          process.stdout.write(`${paths.length} models → ${options.out}\n`);
        } finally {
          pipeline.dispose();
        }
      },
    );

  rpg
    .command('code-estimator')
    .description(
      "Train an ExampleCodeEstimator: an MNIST digit classifier that reads a binary task's labelled digits into a soft 10-bit code, for `rpg generate --code-estimator`.",
    )
    .requiredOption(
      '--out <dir>',
      'output folder (task_encoder_config.json, task_encoder.safetensors)',
    )
    .option('--steps <n>', 'training steps of the digit classifier', '1500')
    .option('--seed <n>', 'seed of its weights and batches', '0')
    .option('--backend <name>', 'tfjs backend: auto, tensorflow, webgpu, wasm, cpu', 'wasm')
    .action(async (options: { out: string; steps: string; seed: string; backend: string }) => {
      const steps = integer(options.steps, '--steps', 1);
      const seed = integer(options.seed, '--seed', 0);
      await initBackend({ prefer: options.backend as 'wasm' });
      const progress = createProgressWriter();
      const { estimator, result } = await trainMnistCodeEstimator(await loadMnistSplits(), {
        steps,
        seed,
        onProgress: (p) =>
          progress.update(
            `digit classifier step ${p.step}/${p.steps} loss ${p.loss.toFixed(4)} acc ${(p.accuracy * 100).toFixed(1)}% ETA ${formatSeconds(p.etaSeconds)}`,
          ),
      });
      progress.done();
      try {
        await saveTaskEncoder(options.out, estimator);
        process.stdout.write(
          `${options.out}: ExampleCodeEstimator, digits ${(result.accuracy * 100).toFixed(2)}% train / ${((result.validationAccuracy ?? 0) * 100).toFixed(2)}% test\n`,
        );
      } finally {
        estimator.dispose();
      }
    });

  withConfigFlags(
    rpg
      .command('experiment')
      .description(
        'Fit (or reuse) RPG on a zoo, generate models, evaluate them against the zoo on the MNIST test split, ' +
          'and write <report>.json, <report>.md and plots in <report>/.',
      )
      .requiredOption('--zoo <dir>', 'zoo folder')
      .requiredOption(
        '--work <dir>',
        'working folder: pipeline/, training/ (resumable), generated/',
      )
      .requiredOption(
        '--report <path>',
        'report path without extension, e.g. reports/rpg-mnist-resnet',
      )
      .option('--count <n>', 'models to generate', '20')
      .option('--sampling-steps <n>', 'DDIM steps per model', '50'),
  ).action(
    async (
      options: ConfigFlags & {
        zoo: string;
        work: string;
        report: string;
        count: string;
        samplingSteps: string;
      },
    ) => {
      const config = await configFrom(options);
      const backend = await initBackend({ prefer: options.backend as 'wasm' });
      const progress = createProgressWriter();
      const report = await runRpgExperiment({
        zooDir: options.zoo,
        workDir: options.work,
        report: options.report,
        config,
        count: integer(options.count, '--count', 1),
        samplingSteps: integer(options.samplingSteps, '--sampling-steps', 1),
        backend: `${backend.name} (${backend.device})`,
        command: `pgen ${process.argv.slice(2).join(' ')}`,
        onLog: (line) => progress.log(line),
        onFitProgress: (p) => progress.update(fitLine(p)),
      });
      progress.done();
      process.stdout.write(experimentSummary(report));
    },
  );

  withConfigFlags(
    rpg
      .command('unseen-tasks')
      .description(
        "RPG's unseen-task study: fit (or reuse) a task-code-conditioned RPG on a tasks zoo, generate " +
          'classifiers for the held-out codes and for seen ones, and compare them with classifiers trained on ' +
          "those codes and with the nearest seen task's; writes <report>.json, <report>.md and plots.",
      )
      .requiredOption('--zoo <dir>', 'training tasks zoo (pgen zoo collect --strategy tasks)')
      .requiredOption(
        '--held-out-zoo <dir>',
        'tasks zoo of the held-out codes, trained the same way',
      )
      .requiredOption('--work <dir>', 'working folder: pipeline/, training/ (resumable)')
      .requiredOption('--report <path>', 'report path without extension')
      .option('--count <n>', 'models generated per task', '10')
      .option('--seen <n>', 'seen tasks reported beside the held-out ones', '20')
      .option(
        '--conditions <list>',
        'arms: task-code, task-examples, examples-to-code (the examples read into a code for the task-code pipeline); comma-separated, default task-code,task-examples',
      )
      .option('--sampling-steps <n>', 'DDIM steps per model', '50'),
  ).action(
    async (
      options: ConfigFlags & {
        zoo: string;
        heldOutZoo: string;
        work: string;
        report: string;
        count: string;
        seen: string;
        conditions?: string;
        samplingSteps: string;
      },
    ) => {
      const conditions = (options.conditions ?? 'task-code,task-examples')
        .split(',')
        .map((c) => c.trim());
      for (const c of conditions) {
        if (!UNSEEN_TASK_CONDITIONS.includes(c as UnseenTaskCondition)) {
          throw new CliUsageError(
            `--conditions: "${c}" is not one of ${UNSEEN_TASK_CONDITIONS.join(', ')}`,
          );
        }
      }
      const config = await configFrom(options);
      const backend = await initBackend({ prefer: options.backend as 'wasm' });
      const progress = createProgressWriter();
      const report = await runRpgUnseenTaskExperiment({
        zooDir: options.zoo,
        heldOutZooDir: options.heldOutZoo,
        workDir: options.work,
        report: options.report,
        config,
        count: integer(options.count, '--count', 1),
        seenCount: integer(options.seen, '--seen', 0),
        conditions: conditions as UnseenTaskCondition[],
        samplingSteps: integer(options.samplingSteps, '--sampling-steps', 1),
        backend: `${backend.name} (${backend.device})`,
        command: `pgen ${process.argv.slice(2).join(' ')}`,
        onLog: (line) => progress.log(line),
        onFitProgress: (p) => progress.update(fitLine(p)),
        onPretrainProgress: (p) => progress.update(pretrainLine(p)),
      });
      progress.done();
      for (const arm of report.arms) {
        const s = arm.summary.held_out;
        process.stdout.write(
          `${arm.condition}: held-out tasks trained ${(s.trained * 100).toFixed(2)}%, generated ${(s.generated * 100).toFixed(2)}% (${(s.ratio * 100).toFixed(1)}% of trained; target ${arm.target.met ? 'met' : 'NOT met'}), nearest seen task ${(s.nearest * 100).toFixed(2)}%\n`,
        );
      }
    },
  );

  registerCompare(rpg);
}

function registerCompare(rpg: Command): void {
  rpg
    .command('compare')
    .description(
      'Gather experiment reports (<report>.json from `pgen rpg experiment`) on one zoo into a Markdown ' +
        'table and a JSON list: an ablation.',
    )
    .requiredOption('--reports <files...>', 'experiment report JSON files')
    .requiredOption('--out <path>', 'output path without extension (.md and .json are written)')
    .option('--title <text>', 'document title', 'RPG ablation')
    .action(async (options: { reports: string[]; out: string; title: string }) => {
      const rows = await readExperimentReports(options.reports);
      const zoos = new Set(rows.map((r) => r.report.zoo_dir));
      if (zoos.size > 1) {
        throw new CliUsageError(`--reports come from different zoos (${[...zoos].join(', ')})`);
      }
      await writeTextAtomic(`${options.out}.md`, formatComparison(rows, options.title));
      await writeTextAtomic(
        `${options.out}.json`,
        `${JSON.stringify(
          rows.map(({ name, path, report }) => ({
            variant: name,
            report: path,
            zoo: report.zoo,
            generated: report.generated,
            similarity: report.similarity,
            targets: report.targets,
            config: report.config,
            seconds: report.seconds,
            backend: report.backend,
          })),
          null,
          2,
        )}\n`,
      );
      process.stdout.write(`${rows.length} reports → ${options.out}.md, ${options.out}.json\n`);
    });
}

/** One line for the end of an experiment: zoo vs generated and the targets. */
export function experimentSummary(report: Awaited<ReturnType<typeof runRpgExperiment>>): string {
  const pct = (x: number) => `${(x * 100).toFixed(2)}%`;
  const t = report.targets;
  return (
    `zoo best/mean/min ${pct(report.zoo.best)}/${pct(report.zoo.mean)}/${pct(report.zoo.min)}; ` +
    `generated ${pct(report.generated.best)}/${pct(report.generated.mean)}/${pct(report.generated.min)}; ` +
    `targets: best ${t.best.met ? 'met' : 'NOT met'}, mean ${t.mean.met ? 'met' : 'NOT met'}, ` +
    `min ${t.min.met ? 'met' : 'NOT met'}\n`
  );
}

function fitLine(p: RpgFitProgress): string {
  const width = 24;
  const filled = Math.round((p.step / p.steps) * width);
  const resumed = p.resumedFrom > 0 ? ` (resumed at ${p.resumedFrom})` : '';
  return `[${'#'.repeat(filled)}${'.'.repeat(width - filled)}] fit step ${p.step}/${p.steps}${resumed} loss ${p.loss.toFixed(4)} ETA ${formatSeconds(p.etaSeconds)}`;
}

function pretrainLine(p: PretrainProgress): string {
  return `pretraining the example encoder's feature extractor: step ${p.step}/${p.steps} loss ${p.loss.toFixed(4)} batch accuracy ${(p.accuracy * 100).toFixed(1)}% ETA ${formatSeconds(p.etaSeconds)}`;
}

function withConfigFlags(command: Command): Command {
  return command
    .option('--config <file.json>', 'training config (RpgConfig fields); flags below override it')
    .option('--steps <n>', 'optimiser steps')
    .option('--prior <kind>', `prior: ${RPG_PRIOR_KINDS.join(', ')}`)
    .option('--denoiser <kind>', `token denoiser: ${RPG_DENOISER_KINDS.join(', ')}`)
    .option('--token-size <n>', 'values per token')
    .option('--d-model <n>', 'prototype width')
    .option('--tokens-per-step <n>', 'token positions trained per step')
    .option('--lr <x>', 'peak learning rate')
    .option(
      '--teacher-forcing',
      'feed each position the previous clean token (generation goes token by token)',
    )
    .option('--loss-reduction <kind>', 'token (each token weighs the same) or element')
    .option(
      '--condition <kind>',
      'none, or task-code (a tasks zoo: one 10-bit code per checkpoint)',
    )
    .option('--condition-last-k <k>', 'add the condition at the last k positions only (0: all)')
    .option(
      '--examples-pretrain-steps <n>',
      'task-examples: steps pretraining the example encoder as a digit classifier, then frozen (0: learned jointly)',
    )
    .option('--seed <n>', 'seed of weights, step choices and noise')
    .option('--backend <name>', 'tfjs backend: auto, tensorflow, webgpu, wasm, cpu', 'wasm');
}

async function configFrom(flags: ConfigFlags): Promise<RpgConfig> {
  let base: Partial<RpgConfig> = {};
  if (flags.config) base = await readConfigFile<RpgConfig>(flags.config, 'RpgConfig');

  const overrides: Partial<RpgConfig> = {
    steps: optional(flags.steps, '--steps', 1),
    prior: flags.prior as RpgConfig['prior'] | undefined,
    denoiser: flags.denoiser as RpgConfig['denoiser'] | undefined,
    tokenSize: optional(flags.tokenSize, '--token-size', 1),
    dModel: optional(flags.dModel, '--d-model', 1),
    tokensPerStep: optional(flags.tokensPerStep, '--tokens-per-step', 1),
    lr: flags.lr === undefined ? undefined : Number(flags.lr),
    seed: optional(flags.seed, '--seed', 0),
    teacherForcing: flags.teacherForcing,
    lossReduction: flags.lossReduction as RpgConfig['lossReduction'] | undefined,
    condition: flags.condition as RpgConfig['condition'] | undefined,
    conditionLastK: optional(flags.conditionLastK, '--condition-last-k', 0),
    examplesPretrainSteps: optional(flags.examplesPretrainSteps, '--examples-pretrain-steps', 0),
  };
  const merged = { ...base };
  for (const [key, value] of Object.entries(overrides)) {
    if (value !== undefined) (merged as Record<string, unknown>)[key] = value;
  }
  // Steps changed by a flag move the default warm-up with them, unless the file set one.
  if (overrides.steps !== undefined && base.warmupSteps === undefined) delete merged.warmupSteps;
  return resolveRpgConfig(merged);
}

function optional(text: string | undefined, flag: string, min: number): number | undefined {
  return text === undefined ? undefined : integer(text, flag, min);
}

function integer(text: string, flag: string, min: number): number {
  const value = Number(text);
  if (!Number.isInteger(value) || value < min) {
    throw new CliUsageError(`${flag} must be an integer ≥ ${min}, got "${text}"`);
  }
  return value;
}
