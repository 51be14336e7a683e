import { basename, join } from 'node:path';
import {
  DEFAULT_NOISE_SIGMAS,
  evaluateZooReport,
  type ReportLocation,
  writeReportSummary,
  type ZooReport,
} from '@pgen/bench';
import type { Command } from 'commander';
import { CliUsageError } from '../cli-error';

interface EvalOptions {
  zoo: string[];
  generated?: string;
  out: string;
  summary?: string;
  arch?: 'mlp' | 'resnet' | 'vit';
  sigma?: string;
  noiseCount?: string;
  seed?: string;
  splitSeed?: string;
  backend?: 'auto' | 'tensorflow' | 'webgpu' | 'wasm' | 'cpu';
  quiet?: boolean;
}

/**
 * `pgen eval --zoo <dir> [--generated <dir>] --out <dir>`: the zoo-vs-generated report of
 * @pgen/bench. Several zoos (no --generated) give one baseline report each, in
 * `<out>/<zoo folder name>`, and `--summary` gathers them into one Markdown file.
 */
export function registerEvalCommand(program: Command): void {
  program
    .command('eval')
    .description(
      'Evaluate generated weights against their zoo on the MNIST test split: accuracy summaries (best, mean, ' +
        'median, min), IoU of the sets of wrongly classified test images (zoo–zoo, generated–generated, ' +
        'zoo–generated, max with the zoo), nearest-neighbour distance in normalised parameter space relative to ' +
        'the zoo, and noise baselines (zoo checkpoints plus Gaussian noise) on every metric. Writes report.json, ' +
        'report.md and plots (SVG and PNG). Without --generated it reports the zoo baselines alone.',
    )
    .requiredOption(
      '--zoo <dirs...>',
      'zoo folder(s) with zoo.json; several only without --generated',
    )
    .option(
      '--generated <dir>',
      'generated weights: a folder of .safetensors state dicts or a zoo folder',
    )
    .requiredOption('--out <dir>', 'report folder (one subfolder per zoo when several are given)')
    .option('--summary <file.md>', 'also write every report into one Markdown file')
    .option('--arch <name>', 'architecture (default: the zoo manifest says; must agree)')
    .option(
      '--sigma <list>',
      'comma-separated noise levels in normalised units, "" for none',
      DEFAULT_NOISE_SIGMAS.join(','),
    )
    .option('--noise-count <n>', 'zoo checkpoints perturbed per noise level (default all)')
    .option('--seed <n>', 'seed of the noise baselines', '0')
    .option('--split-seed <n>', 'seed of the MNIST train/test split the zoo was trained with', '0')
    .option('--backend <name>', 'tfjs backend: auto, tensorflow, webgpu, wasm, cpu', 'auto')
    .option('--quiet', 'no progress lines')
    .action(async (options: EvalOptions) => {
      if (options.generated && options.zoo.length > 1) {
        throw new CliUsageError('--generated compares against one zoo; give a single --zoo');
      }
      if (options.arch && !['mlp', 'resnet', 'vit'].includes(options.arch)) {
        throw new CliUsageError(`--arch must be mlp, resnet or vit, got "${options.arch}"`);
      }
      const sigmas = parseSigmas(options.sigma ?? '');
      const locations: ReportLocation[] = [];
      for (const zooDir of options.zoo) {
        const outDir = options.zoo.length > 1 ? join(options.out, basename(zooDir)) : options.out;
        const report = await evaluateZooReport({
          zooDir,
          generatedDir: options.generated,
          outDir,
          arch: options.arch,
          noiseSigmas: sigmas,
          noiseCount: optionalInteger(options.noiseCount, '--noise-count', 1),
          seed: optionalInteger(options.seed, '--seed', 0),
          splitSeed: optionalInteger(options.splitSeed, '--split-seed', 0),
          backend: options.backend,
          onProgress: options.quiet
            ? undefined
            : (p) => process.stderr.write(`[${p.phase} ${p.done}/${p.total}] ${p.message}\n`),
        });
        process.stdout.write(summaryLine(report, outDir));
        locations.push({ report, outDir });
      }
      if (options.summary) {
        await writeReportSummary(locations, options.summary, {
          preamble: `Produced by \`pgen ${process.argv.slice(2).join(' ')}\`.`,
        });
        process.stdout.write(`summary → ${options.summary}\n`);
      }
    });
}

function parseSigmas(text: string): number[] {
  if (text.trim() === '') return [];
  return text.split(',').map((part) => {
    const sigma = Number(part.trim());
    if (!Number.isFinite(sigma) || sigma < 0) {
      throw new CliUsageError(`--sigma: "${part}" is not a noise level ≥ 0`);
    }
    return sigma;
  });
}

function optionalInteger(text: string | undefined, flag: string, min: number): number | undefined {
  if (text === undefined) return undefined;
  const value = Number(text);
  if (!Number.isInteger(value) || value < min) {
    throw new CliUsageError(`${flag} must be an integer ≥ ${min}, got "${text}"`);
  }
  return value;
}

function summaryLine(report: ZooReport, outDir: string): string {
  const pct = (x: number) => `${(x * 100).toFixed(2)}%`;
  const zoo = `zoo ${report.zoo.count}: best ${pct(report.zoo.best)}, median ${pct(report.zoo.median)}`;
  const generated = report.generated
    ? `; generated ${report.generated.count}: best ${pct(report.generated.best)}, median ${pct(report.generated.median)}, ` +
      `max IoU with zoo ${report.similarity.iou_og_max_mean?.toFixed(3)}`
    : '';
  return `${report.arch}: ${zoo}${generated} → ${outDir}\n`;
}
