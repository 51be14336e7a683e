import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { initBackend } from '@pgen/backends';
import { collectZoo } from '@pgen/zoo';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RPG_TARGETS, type RpgExperimentReport, runRpgExperiment } from './rpg-experiment';

describe('runRpgExperiment', () => {
  let dir: string;
  beforeAll(async () => {
    await initBackend({ prefer: 'wasm' });
    dir = mkdtempSync(join(tmpdir(), 'rpg-exp-'));
    // A real (if briefly trained) MNIST MLP zoo, so evaluation runs on real test images.
    await collectZoo({
      arch: 'mlp',
      strategy: 'rpg',
      out: join(dir, 'zoo'),
      count: 3,
      every: 1,
      recipe: { epochs: 1, warmupEpochs: 0 },
    });
  }, 300_000);
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('fits, generates, evaluates and writes the report JSON, Markdown and plots', async () => {
    const logs: string[] = [];
    const options = {
      zooDir: join(dir, 'zoo'),
      workDir: join(dir, 'work'),
      report: join(dir, 'reports', 'rpg-mnist-mlp'),
      config: {
        tokenSize: 4096,
        dModel: 16,
        dPos: 16,
        steps: 15,
        tokensPerStep: 8,
        denoiser: 'mlp' as const,
        mlpHidden: 32,
      },
      count: 2,
      samplingSteps: 4,
      noiseCount: 2,
      backend: 'wasm',
      command: 'pgen rpg experiment …',
      onLog: (line: string) => logs.push(line),
    };
    const report = await runRpgExperiment(options);
    const saved = JSON.parse(readFileSync(`${options.report}.json`, 'utf8')) as RpgExperimentReport;
    expect(saved.zoo.count).toBe(3);
    expect(saved.generated.count).toBe(2);
    for (const key of ['iou_oo', 'iou_gg', 'iou_og', 'iou_og_max_mean', 'nn_distance_ratio_mean']) {
      expect(saved.similarity).toHaveProperty(key);
    }
    expect(Object.keys(saved.noise_baselines).length).toBeGreaterThan(0);
    expect(saved.config.steps).toBe(15);
    expect(saved.fit_reused).toBe(false);
    expect(Object.keys(saved.seconds)).toEqual(['zoo', 'fit', 'generate', 'eval']);
    expect(saved.targets.best.required).toBeCloseTo(saved.zoo.best - RPG_TARGETS.bestGap, 6);
    expect(saved.targets.best.met).toBe(saved.generated.best >= saved.targets.best.required);
    expect(saved.targets.min.met).toBe(saved.generated.min >= 0.9);
    const md = readFileSync(`${options.report}.md`, 'utf8');
    expect(md).toMatch(/best ≥ zoo best − 0\.3 pt/);
    expect(md).toMatch(/\(rpg-mnist-mlp\/accuracy-histogram\.svg\)/);
    expect(existsSync(join(options.report, 'accuracy-histogram.svg'))).toBe(true);
    expect(report.generated).toEqual(saved.generated);
    expect(logs.some((l) => l.startsWith('fitting RPG'))).toBe(true);

    // A second run with the same config reuses the fitted pipeline.
    const again = await runRpgExperiment({ ...options, onLog: () => {} });
    expect(again.fit_reused).toBe(true);
    expect(again.generated).toEqual(report.generated);

    // Another config: the old training checkpoints are refused by default, cleared on request.
    const other = { ...options, config: { ...options.config, steps: 6 }, onLog: () => {} };
    await expect(runRpgExperiment(other)).rejects.toThrow(
      /another config \(steps: 15 there, 6 now/,
    );
    const restartLogs: string[] = [];
    const restarted = await runRpgExperiment({
      ...other,
      staleTraining: 'restart',
      onLog: (line) => restartLogs.push(line),
    });
    expect(restarted.config.steps).toBe(6);
    expect(restartLogs.some((l) => /another config: starting over/.test(l))).toBe(true);
  }, 300_000);
});
