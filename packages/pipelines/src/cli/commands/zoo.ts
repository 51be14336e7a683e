import { initBackend } from '@pgen/backends';
import {
  ARCH_NAMES,
  type ArchName,
  type CollectProgress,
  collectLoraZoo,
  collectZoo,
  DEFAULT_COUNTS,
  DEFAULT_LORA_KEEP,
  DEFAULT_LORA_LR,
  DEFAULT_LORA_STEPS,
  type LoraZooProgress,
  readTaskCodes,
  readZoo,
  ZOO_STRATEGIES,
  ZooError,
  type ZooStrategy,
} from '@pgen/zoo';
import type { Command } from 'commander';
import { readAngleList } from '../../cond-pdiff/angle-file';
import { createProgressWriter, formatSeconds } from '../progress';

/** One progress line: a bar of the current phase, then epoch, step, loss, accuracy and ETA. */
function progressLine(p: CollectProgress): string {
  const width = 24;
  const filled = Math.round((p.step / Math.max(1, p.steps)) * width);
  const bar = `[${'#'.repeat(filled)}${'.'.repeat(width - filled)}]`;
  const run = p.runs > 1 ? ` run ${p.run + 1}/${p.runs}` : '';
  const where = p.phase === 'train' ? `epoch ${p.epoch + 1}/${p.epochs}` : 'collect';
  return `${bar}${run} ${where} step ${p.step}/${p.steps} loss ${p.loss.toFixed(4)} acc ${(p.accuracy * 100).toFixed(1)}% saved ${p.saved}/${p.count} ETA ${formatSeconds(p.etaSeconds)}`;
}

/** One progress line of `zoo lora`: task, step, batch loss and accuracy, ETA. */
function loraProgressLine(p: LoraZooProgress): string {
  const where =
    p.phase === 'base' ? 'base' : `task ${p.task + 1}/${p.tasks} ${p.name} (${p.angle}°)`;
  return `${where} step ${p.step}/${p.steps} loss ${p.loss.toFixed(4)} acc ${(p.accuracy * 100).toFixed(1)}% ETA ${formatSeconds(p.etaSeconds)}`;
}

function parseNumber(name: string, value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!Number.isFinite(n) || n <= 0)
    throw new ZooError(`--${name} must be a positive number, got "${value}"`);
  return n;
}

function parsePositive(name: string, value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1)
    throw new ZooError(`--${name} must be a positive integer, got "${value}"`);
  return n;
}

/** `pgen zoo collect|info`: collect checkpoint zoos of MNIST classifiers, and describe them. */
export function registerZooCommand(program: Command): void {
  const zoo = program
    .command('zoo')
    .description('Checkpoint zoos of MNIST classifiers (mlp, resnet, vit).');
  zoo
    .command('collect')
    .description(
      'Train an MNIST classifier and collect checkpoints into a folder (safetensors + zoo.json). ' +
        'Strategies: rpg (one more epoch at a small learning rate, saving every k steps), pdiff (train only ' +
        'the last BatchNorm, one checkpoint per step), seeds (independent runs), tasks (binary tasks by ' +
        '10-bit class code). Rerun the same command to resume an interrupted collection.',
    )
    .requiredOption('--arch <arch>', `architecture: ${ARCH_NAMES.join(', ')}`)
    .requiredOption('--strategy <strategy>', `collection strategy: ${ZOO_STRATEGIES.join(', ')}`)
    .requiredOption('--out <dir>', 'output folder')
    .option(
      '--count <n>',
      `checkpoints (default ${ZOO_STRATEGIES.map((s) => `${s} ${DEFAULT_COUNTS[s]}`).join(', ')})`,
    )
    .option('--seed <n>', 'base seed', '0')
    .option('--every <n>', 'rpg: optimiser steps between checkpoints (default: one epoch / count)')
    .option('--params <names>', 'pdiff: comma-separated module names to keep training')
    .option('--tasks <codes>', 'tasks: comma-separated 10-bit class codes (bit 0 is class 0)')
    .option('--tasks-file <file>', 'tasks: a file of 10-bit class codes, one per line (# comments)')
    .option('--exclude-tasks <file>', 'tasks: codes (one per line) the random codes must avoid')
    .option('--per-run <k>', 'seeds/tasks: keep the last k epochs of every run (default 1)')
    .option('--shared-seed', 'seeds/tasks: every run starts from the same weights and batch order')
    .option('--epochs <n>', "training epochs (default: the architecture's recipe)")
    .option('--mlp-hidden <n>', 'mlp: hidden width (default 256)')
    .option('--backend <name>', 'tfjs backend (wasm trains fastest on CPU)', 'wasm')
    .action(
      async (options: {
        arch: string;
        strategy: string;
        out: string;
        count?: string;
        seed: string;
        every?: string;
        params?: string;
        tasks?: string;
        tasksFile?: string;
        excludeTasks?: string;
        perRun?: string;
        sharedSeed?: boolean;
        epochs?: string;
        mlpHidden?: string;
        backend: string;
      }) => {
        if (!(ARCH_NAMES as readonly string[]).includes(options.arch)) {
          throw new ZooError(
            `unknown architecture "${options.arch}" (expected one of ${ARCH_NAMES.join(', ')})`,
          );
        }
        if (!(ZOO_STRATEGIES as readonly string[]).includes(options.strategy)) {
          throw new ZooError(
            `unknown strategy "${options.strategy}" (expected one of ${ZOO_STRATEGIES.join(', ')})`,
          );
        }
        const seed = Number(options.seed);
        if (!Number.isInteger(seed) || seed < 0)
          throw new ZooError(`--seed must be a non-negative integer`);
        const backend = await initBackend({ prefer: options.backend as 'wasm' });
        process.stderr.write(`pgen zoo: training on ${backend.name} (${backend.device})\n`);
        const tty = process.stderr.isTTY === true;
        let lastDraw = 0;
        const manifest = await collectZoo({
          arch: options.arch as ArchName,
          strategy: options.strategy as ZooStrategy,
          out: options.out,
          seed,
          count: parsePositive('count', options.count),
          every: parsePositive('every', options.every),
          pdiffParams: options.params?.split(',').map((s) => s.trim()),
          taskCodes: options.tasksFile
            ? await readTaskCodes(options.tasksFile)
            : options.tasks?.split(',').map((s) => s.trim()),
          excludeTaskCodes: options.excludeTasks
            ? await readTaskCodes(options.excludeTasks)
            : undefined,
          checkpointsPerRun: parsePositive('per-run', options.perRun),
          sharedSeed: options.sharedSeed,
          recipe: options.epochs ? { epochs: parsePositive('epochs', options.epochs)! } : undefined,
          model: options.mlpHidden
            ? { mlp: { hidden: parsePositive('mlp-hidden', options.mlpHidden)! } }
            : undefined,
          onProgress: (p) => {
            const now = Date.now();
            if (now - lastDraw < (tty ? 200 : 10_000)) return;
            lastDraw = now;
            process.stderr.write(tty ? `\r${progressLine(p)}\x1b[K` : `${progressLine(p)}\n`);
          },
          onLog: (line) => process.stderr.write(tty ? `\r${line}\x1b[K\n` : `${line}\n`),
        });
        const accuracies = manifest.checkpoints.map((c) => c.testAccuracy);
        process.stdout.write(
          `${options.out}: ${manifest.checkpoints.length} ${manifest.arch} checkpoints (${manifest.strategy}), test accuracy ${(Math.min(...accuracies) * 100).toFixed(2)}–${(Math.max(...accuracies) * 100).toFixed(2)}%\n`,
        );
      },
    );
  zoo
    .command('lora')
    .description(
      'Collect a LoRA zoo for COND P-DIFF: LoRA adapters (PEFT folders) on the attention of a ViT ' +
        'trained on upright MNIST, one task per rotation angle, keeping the adapters of the last ' +
        'steps of each. Rerun the same command to resume (unfinished tasks are redone).',
    )
    .requiredOption('--out <dir>', 'output folder')
    .option('--base <file>', 'base ViT checkpoint (safetensors); default: train one')
    .option('--base-epochs <n>', 'epochs of the base when it is trained (default 40)')
    .option('--angles <list>', 'comma-separated rotation angles in degrees (default 0,15,…,345)')
    .option('--steps <n>', `training steps per task (default ${DEFAULT_LORA_STEPS})`)
    .option('--keep <n>', `adapters kept per task, the last steps' (default ${DEFAULT_LORA_KEEP})`)
    .option('--rank <n>', 'LoRA rank (default 4)')
    .option('--alpha <x>', 'LoRA alpha; scaling is alpha / rank (default 8)')
    .option('--lr <x>', `AdamW learning rate, constant (default ${DEFAULT_LORA_LR})`)
    .option('--seed <n>', 'base seed', '0')
    .option(
      '--independent-seeds',
      'seed each task by its angle instead of starting every adapter from the same init',
    )
    .option(
      '--chain',
      'train the tasks as a chain: each starts from the last adapter of the previous angle',
    )
    .option(
      '--chain-skip <file>',
      'angles (one per line, # comments) the chain never starts from: the held-out tasks',
    )
    .option('--backend <name>', 'tfjs backend (wasm trains fastest on CPU)', 'wasm')
    .action(
      async (options: {
        out: string;
        chain?: boolean;
        chainSkip?: string;
        independentSeeds?: boolean;
        base?: string;
        baseEpochs?: string;
        angles?: string;
        steps?: string;
        keep?: string;
        rank?: string;
        alpha?: string;
        lr?: string;
        seed: string;
        backend: string;
      }) => {
        const seed = Number(options.seed);
        if (!Number.isInteger(seed) || seed < 0)
          throw new ZooError(`--seed must be a non-negative integer`);
        const angles = options.angles?.split(',').map((a) => {
          const n = Number(a.trim());
          if (a.trim() === '' || !Number.isInteger(n) || n < 0 || n >= 360)
            throw new ZooError(`--angles: "${a}" is not a whole number of degrees from 0 to 359`);
          return n;
        });
        if (options.chainSkip && !options.chain) {
          throw new ZooError('--chain-skip needs --chain');
        }
        const chainSkip = options.chainSkip ? await readAngleList(options.chainSkip) : undefined;
        const backend = await initBackend({ prefer: options.backend as 'wasm' });
        process.stderr.write(`pgen zoo lora: training on ${backend.name} (${backend.device})\n`);
        const progress = createProgressWriter();
        const manifest = await collectLoraZoo({
          out: options.out,
          baseCheckpoint: options.base,
          baseEpochs: parsePositive('base-epochs', options.baseEpochs),
          angles,
          steps: parsePositive('steps', options.steps),
          keep: parsePositive('keep', options.keep),
          rank: parsePositive('rank', options.rank),
          alpha: parseNumber('alpha', options.alpha),
          lr: parseNumber('lr', options.lr),
          seed,
          sharedSeed: !options.independentSeeds,
          chain: options.chain,
          chainSkip,
          onProgress: (p) => progress.update(loraProgressLine(p)),
          onLog: (line) => progress.log(line),
        });
        progress.done();
        const pct = (v: number) => `${(v * 100).toFixed(2)}%`;
        const lines = [
          `${options.out}: LoRA zoo, base ${pct(manifest.base.testAccuracy)} upright, r ${manifest.lora.r}, alpha ${manifest.lora.alpha}, ${manifest.steps} steps, ${manifest.keep} adapters kept per task`,
          ...manifest.tasks.map(
            (t) =>
              `  ${t.name}  base ${pct(t.baseAccuracy)} → LoRA ${pct(t.finalAccuracy)}  (${t.adapters.length} adapters, ${formatSeconds(t.seconds)})`,
          ),
        ];
        process.stdout.write(`${lines.join('\n')}\n`);
      },
    );
  zoo
    .command('info')
    .description(
      'Describe a zoo folder: architecture, strategy, checkpoints and their test accuracy.',
    )
    .argument('<dir>', 'zoo folder')
    .option('--json', 'print zoo.json')
    .action(async (dir: string, options: { json?: boolean }) => {
      const { manifest } = await readZoo(dir);
      if (options.json) {
        process.stdout.write(`${JSON.stringify(manifest, null, 2)}\n`);
        return;
      }
      const lines = [
        `${dir}: ${manifest.arch} zoo, strategy ${manifest.strategy}, ${manifest.checkpoints.length} checkpoints, backend ${manifest.backend}${manifest.resume ? ' (unfinished: rerun collect to resume)' : ''}`,
        ...manifest.checkpoints.map(
          (c) =>
            `  ${c.file}  seed ${c.seed}  step ${c.step}${c.taskCode ? `  task ${c.taskCode}` : ''}  test ${(c.testAccuracy * 100).toFixed(2)}%`,
        ),
      ];
      process.stdout.write(`${lines.join('\n')}\n`);
    });
}
