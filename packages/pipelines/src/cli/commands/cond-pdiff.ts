import { initBackend } from '@pgen/backends';
import { Rng } from '@pgen/nn';
import { loadMnistSplits } from '@pgen/zoo';
import type { Command } from 'commander';
import { readAngleList } from '../../cond-pdiff/angle-file';
import {
  COND_PDIFF_CONDITION_KINDS,
  type CondPdiffConditionKind,
  type CondPdiffConfig,
  resolveCondPdiffConfig,
} from '../../cond-pdiff/cond-pdiff-config';
import { runCondPdiffExperiment } from '../../cond-pdiff/cond-pdiff-experiment';
import { CondPdiffPipeline } from '../../cond-pdiff/cond-pdiff-pipeline';
import type { CondPdiffCondition } from '../../cond-pdiff/cond-pdiff-task';
import type { CondPdiffFitProgress } from '../../cond-pdiff/fit-phase';
import { readLoraZooInput } from '../../cond-pdiff/lora-zoo-source';
import { rotatedMnistExamples } from '../../cond-pdiff/rotated-mnist-examples';
import { readTaskExamples } from '../../rpg/task-examples-file';
import { CliUsageError } from '../cli-error';
import { createProgressWriter, formatSeconds } from '../progress';
import { readConfigFile } from '../read-config-file';

interface ConfigFlags {
  config?: string;
  condition?: string;
  aeSteps?: string;
  diffusionSteps?: string;
  latentNoise?: string;
  seed?: string;
  backend: string;
}

/** `pgen cond-pdiff fit|generate|experiment`: task-conditioned LoRA generation. */
export function registerCondPdiffCommand(program: Command): void {
  const cmd = program
    .command('cond-pdiff')
    .description(
      'COND P-DIFF: compress LoRA adapters with a conv autoencoder, learn a task-conditioned latent diffusion ' +
        'model, and generate PEFT adapters for a task from its condition (angle, task name or labelled examples).',
    );

  withConfigFlags(
    cmd
      .command('fit')
      .description(
        'Fit a COND P-DIFF pipeline on a rotated-MNIST LoRA zoo (`pgen zoo lora`) and save it as one folder.',
      )
      .requiredOption('--zoo <dir>', 'LoRA zoo folder (lora-zoo.json + PEFT adapter folders)')
      .requiredOption('--out <dir>', 'pipeline folder to write')
      .option('--hold-out <file>', 'angles to leave out of training, one per line'),
  ).action(async (options: ConfigFlags & { zoo: string; out: string; holdOut?: string }) => {
    const config = await configFrom(options);
    const backend = await initBackend({ prefer: options.backend as 'wasm' });
    process.stderr.write(`pgen cond-pdiff fit: ${backend.name} (${backend.device})\n`);
    const heldOut = options.holdOut ? await readAngleList(options.holdOut) : [];
    const input = await readLoraZooInput(options.zoo, { excludeAngles: heldOut });
    const { train } = await loadMnistSplits({ seed: input.zoo.manifest.splitSeed });
    const progress = createProgressWriter();
    const pipeline = await CondPdiffPipeline.fit(input, config, {
      examples: rotatedMnistExamples(train),
      onProgress: (p) => progress.update(fitLine(p)),
    });
    progress.done();
    try {
      await pipeline.save(options.out);
    } finally {
      pipeline.dispose();
    }
    process.stdout.write(
      `${options.out}: COND P-DIFF pipeline (${config.condition}), ${input.samples.length} adapters of ${input.tasks.length} tasks\n`,
    );
  });

  cmd
    .command('generate')
    .description(
      'Generate LoRA adapters for one task with a fitted pipeline: <out>/adapter-XXXX/ PEFT folders ' +
        '(adapter_config.json + adapter_model.safetensors) that PEFT loads.',
    )
    .requiredOption('--pipeline <dir>', 'pipeline folder written by `pgen cond-pdiff fit`')
    .requiredOption('--out <dir>', 'output folder')
    .option('--angle <degrees>', 'descriptor pipelines: the rotation to generate for')
    .option('--task <name>', 'a training task by name (e.g. rot-045); embedding pipelines need it')
    .option(
      '--task-examples <file>',
      'examples pipelines: safetensors with images [n, 28, 28] and digit labels [n]',
    )
    .option(
      '--examples-angle <degrees>',
      'examples pipelines: draw the examples from the MNIST training split rotated by this angle',
    )
    .option('--count <n>', 'adapters to generate', '10')
    .option('--seed <n>', 'seed of the sampling noise', '0')
    .option('--steps <n>', 'DDIM steps (default: the pipeline config)')
    .option('--backend <name>', 'tfjs backend: auto, tensorflow, webgpu, wasm, cpu', 'wasm')
    .action(
      async (options: {
        pipeline: string;
        out: string;
        angle?: string;
        task?: string;
        taskExamples?: string;
        examplesAngle?: string;
        count: string;
        seed: string;
        steps?: string;
        backend: string;
      }) => {
        await initBackend({ prefer: options.backend as 'wasm' });
        const pipeline = await CondPdiffPipeline.load(options.pipeline);
        try {
          const condition = await conditionFrom(options, pipeline.config);
          const dirs = await pipeline.generate(options.out, {
            condition,
            count: integer(options.count, '--count', 1)!,
            seed: integer(options.seed, '--seed', 0)!,
            steps: integer(options.steps, '--steps', 1),
          });
          process.stdout.write(`${dirs.length} PEFT adapters → ${options.out}\n`);
        } finally {
          pipeline.dispose();
        }
      },
    );

  withConfigFlags(
    cmd
      .command('experiment')
      .description(
        'The rotated-MNIST study: fit one pipeline per condition (and the no-latent-noise ablation) without the ' +
          'held-out angles, generate adapters for every task, measure them against trained adapters and the no-LoRA ' +
          'base, and write <report>.json, <report>.md and plots. Fitted arms in --work are reused.',
      )
      .requiredOption('--zoo <dir>', 'LoRA zoo folder')
      .requiredOption('--held-out <file>', 'angles held out of training, one per line')
      .requiredOption('--work <dir>', 'folder for the fitted pipelines')
      .requiredOption('--report <path>', 'report path without extension')
      .option(
        '--conditions <list>',
        `comma-separated arms: ${COND_PDIFF_CONDITION_KINDS.join(', ')}`,
        COND_PDIFF_CONDITION_KINDS.join(','),
      )
      .option('--no-noise-ablation', 'skip the arm whose autoencoder trains without latent noise')
      .option('--count <n>', 'generated adapters per task and arm', '10')
      .option('--trained <n>', 'trained adapters measured per task', '10')
      .option('--adapter-stride <n>', 'train on every k-th saved adapter', '1')
      .option('--test-limit <n>', 'evaluate on the first n rotated test images (default all)'),
  ).action(
    async (
      options: ConfigFlags & {
        zoo: string;
        heldOut: string;
        work: string;
        report: string;
        conditions: string;
        noiseAblation: boolean;
        count: string;
        trained: string;
        adapterStride: string;
        testLimit?: string;
      },
    ) => {
      const config = await configFrom(options);
      const backend = await initBackend({ prefer: options.backend as 'wasm' });
      process.stderr.write(`pgen cond-pdiff experiment: ${backend.name} (${backend.device})\n`);
      const conditions = options.conditions
        .split(',')
        .map((c) => c.trim()) as CondPdiffConditionKind[];
      for (const c of conditions) {
        if (!COND_PDIFF_CONDITION_KINDS.includes(c)) {
          throw new CliUsageError(
            `--conditions: "${c}" is not one of ${COND_PDIFF_CONDITION_KINDS.join(', ')}`,
          );
        }
      }
      const report = await runCondPdiffExperiment({
        zoo: options.zoo,
        heldOut: await readAngleList(options.heldOut),
        heldOutSource: options.heldOut,
        workDir: options.work,
        report: options.report,
        config,
        conditions,
        noiseAblation: options.noiseAblation,
        count: integer(options.count, '--count', 1),
        trainedPerTask: integer(options.trained, '--trained', 1),
        adapterStride: integer(options.adapterStride, '--adapter-stride', 1),
        testLimit: integer(options.testLimit, '--test-limit', 1),
        command: `pgen ${process.argv.slice(2).join(' ')}`,
        log: (line) => process.stderr.write(`${line}\n`),
      });
      for (const [arm, t] of Object.entries(report.targets.seen)) {
        process.stdout.write(
          `seen ${arm}: gap ${t.gap_points.toFixed(2)} pt (${t.met ? 'met' : 'not met'})\n`,
        );
      }
      for (const [arm, t] of Object.entries(report.targets.held_out)) {
        process.stdout.write(
          `held out ${arm}: ${(t.ratio * 100).toFixed(1)}% of trained (${t.met ? 'met' : 'not met'})\n`,
        );
      }
    },
  );
}

function withConfigFlags(command: Command): Command {
  return command
    .option('--config <file>', 'JSON file of CondPdiffConfig fields (flags override it)')
    .option('--condition <kind>', `condition: ${COND_PDIFF_CONDITION_KINDS.join(', ')}`)
    .option('--ae-steps <n>', 'autoencoder training steps')
    .option('--diffusion-steps <n>', 'latent diffusion training steps')
    .option('--latent-noise <sigma>', 'noise on the latent during autoencoder training')
    .option('--seed <n>', 'seed of weights, batches and noise')
    .option('--backend <name>', 'tfjs backend: auto, tensorflow, webgpu, wasm, cpu', 'wasm');
}

async function configFrom(flags: ConfigFlags): Promise<CondPdiffConfig> {
  let base: Partial<CondPdiffConfig> = {};
  if (flags.config) base = await readConfigFile<CondPdiffConfig>(flags.config, 'CondPdiffConfig');

  const latentNoise = flags.latentNoise === undefined ? undefined : Number(flags.latentNoise);
  const overrides: Partial<CondPdiffConfig> = {
    condition: flags.condition as CondPdiffConditionKind | undefined,
    aeSteps: integer(flags.aeSteps, '--ae-steps', 1),
    diffusionSteps: integer(flags.diffusionSteps, '--diffusion-steps', 1),
    latentNoise,
    seed: integer(flags.seed, '--seed', 0),
  };
  const merged: Record<string, unknown> = { ...base };
  for (const [key, value] of Object.entries(overrides))
    if (value !== undefined) merged[key] = value;
  return resolveCondPdiffConfig(merged as Partial<CondPdiffConfig>);
}

async function conditionFrom(
  options: { angle?: string; task?: string; taskExamples?: string; examplesAngle?: string },
  config: CondPdiffConfig,
): Promise<CondPdiffCondition> {
  const given = [options.angle, options.task, options.taskExamples, options.examplesAngle].filter(
    (x) => x !== undefined,
  );
  if (given.length !== 1) {
    throw new CliUsageError(
      'give exactly one of --angle, --task, --task-examples, --examples-angle',
    );
  }
  if (options.angle !== undefined) return { descriptor: [angle(options.angle, '--angle')] };
  if (options.task !== undefined) return { task: options.task };
  if (options.taskExamples !== undefined) {
    return {
      examples: await readTaskExamples(options.taskExamples, { numClasses: config.numClasses }),
    };
  }
  const degrees = angle(options.examplesAngle!, '--examples-angle');
  const { train } = await loadMnistSplits();
  const examples = rotatedMnistExamples(train)(
    { name: `rot-${degrees}`, descriptor: [degrees] },
    config.examplesPerTask,
    new Rng(10_000 + degrees),
  );
  return { examples };
}

function angle(text: string, flag: string): number {
  const value = Number(text);
  if (text.trim() === '' || !Number.isFinite(value)) {
    throw new CliUsageError(`${flag} must be an angle in degrees, got "${text}"`);
  }
  return value;
}

function integer(text: string | undefined, flag: string, min: number): number | undefined {
  if (text === undefined) return undefined;
  const value = Number(text);
  if (!Number.isInteger(value) || value < min) {
    throw new CliUsageError(`${flag} must be an integer ≥ ${min}, got "${text}"`);
  }
  return value;
}

function fitLine(p: CondPdiffFitProgress): string {
  const width = 24;
  const filled = Math.round((p.step / p.steps) * width);
  return `[${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${p.phase} step ${p.step}/${p.steps} loss ${p.loss.toFixed(5)} ETA ${formatSeconds(p.etaSeconds)}`;
}
