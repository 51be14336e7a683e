import { join } from 'node:path';
import { initBackend } from '@pgen/backends';
import { collectZoo, readZoo } from '@pgen/zoo';
import type { Command } from 'commander';
import type { RpgConfig } from '../../rpg/rpg-config';
import { runRpgExperiment } from '../../rpg/rpg-experiment';
import { createProgressWriter, formatSeconds } from '../progress';
import { experimentSummary } from './rpg';

/**
 * The demo's RPG config: sized so that collection, fit, generation and evaluation of the MLP
 * zoo finish within 15 minutes on a 2-core CPU with the wasm backend. Mamba's state is kept
 * small (dState 4, expand 1) because its chunked scan dominates a CPU step; the MLP denoiser
 * is wider than a token so it can pass x_t through while it denoises, and predicts the clean
 * token (x0), which learns a zoo ~10× faster than ε here (see RpgConfig.predictionType).
 * The loss is the element-wise mean: on this zoo at 800 steps it generated 97.25 / 97.19 /
 * 97.15% (best / mean / min of 10) against 95.60 / 92.33 / 85.90% with the per-token default,
 * whose heavier small tokens left the 10-class head 0.15 std off instead of 0.04.
 */
export const DEMO_RPG_CONFIG: Partial<RpgConfig> = {
  tokenSize: 1024,
  dModel: 128,
  prior: 'mamba',
  priorOptions: { dState: 4, expand: 1 },
  denoiser: 'mlp',
  mlpHidden: 1024,
  tokensPerStep: 128,
  steps: 800,
  lr: 1e-3,
  predictionType: 'sample',
  lossReduction: 'element',
};

/** `pgen demo`: the README's main job, MNIST zoo → RPG → generated MLPs → report. */
export function registerDemoCommand(program: Command): void {
  program
    .command('demo')
    .description(
      'The end-to-end demo: collect (or reuse) a zoo of 50 MNIST MLP checkpoints, fit RPG on it, generate ' +
        '10 new MLPs, evaluate them against the zoo on the MNIST test split and write a report with plots. ' +
        'About 15 minutes on a 2-core CPU; rerun to reuse what is done.',
    )
    .option('--dir <dir>', 'working folder (zoo, pipeline, generated models)', 'demo')
    .option('--report <path>', 'report path without extension', 'demo/report/rpg-mnist-mlp')
    .option('--count <n>', 'models to generate', '10')
    .option('--backend <name>', 'tfjs backend: auto, tensorflow, webgpu, wasm, cpu', 'wasm')
    .action(async (options: { dir: string; report: string; count: string; backend: string }) => {
      const started = Date.now();
      const count = Number(options.count);
      const backend = await initBackend({ prefer: options.backend as 'wasm' });
      const progress = createProgressWriter();
      progress.log(`pgen demo: ${backend.name} (${backend.device}); working folder ${options.dir}`);

      const zooDir = join(options.dir, 'zoo');
      let zooSeconds: number | null = null;
      if (await completeZoo(zooDir)) {
        progress.log(`1/3 reusing the zoo in ${zooDir}`);
      } else {
        progress.log('1/3 collecting 50 MNIST MLP checkpoints (RPG strategy)');
        const t0 = Date.now();
        await collectZoo({
          arch: 'mlp',
          strategy: 'rpg',
          out: zooDir,
          onProgress: (p) =>
            progress.update(
              `zoo ${p.phase} epoch ${p.epoch + 1}/${p.epochs} step ${p.step}/${p.steps} saved ${p.saved}/${p.count} ETA ${formatSeconds(p.etaSeconds)}`,
            ),
          onLog: (line) => progress.log(`  ${line}`),
        });
        progress.done();
        zooSeconds = (Date.now() - t0) / 1000;
      }
      progress.log('2/3 fitting RPG, then generating; 3/3 evaluating');
      const report = await runRpgExperiment({
        zooDir,
        workDir: join(options.dir, 'rpg'),
        report: options.report,
        config: DEMO_RPG_CONFIG,
        // The demo owns its folder: checkpoints from an older config are cleared, not an error.
        staleTraining: 'restart',
        count,
        zooSeconds,
        backend: `${backend.name} (${backend.device})`,
        command: `pgen ${process.argv.slice(2).join(' ')}`,
        onLog: (line) => progress.log(`  ${line}`),
        onFitProgress: (p) =>
          progress.update(
            `  fit step ${p.step}/${p.steps} loss ${p.loss.toFixed(4)} ETA ${formatSeconds(p.etaSeconds)}`,
          ),
      });
      progress.done();
      process.stdout.write(experimentSummary(report));
      process.stdout.write(
        `report: ${options.report}.md (plots in ${options.report}/); total ${formatSeconds((Date.now() - started) / 1000)}\n`,
      );
    });
}

async function completeZoo(dir: string): Promise<boolean> {
  try {
    const { manifest } = await readZoo(dir);
    return manifest.resume === undefined && manifest.checkpoints.length >= 50;
  } catch {
    return false;
  }
}
