import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { initBackend } from '@pgen/backends';
import { collectZoo, loadMnist, type MnistData, splitMnist } from '@pgen/zoo';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runRpgUnseenTaskExperiment, type UnseenTaskArm } from './rpg-unseen-tasks';

const TRAIN_CODES = ['0000011111', '1111100000', '0101010101'];
const HELD_OUT = '0000011110';
const FIT = {
  tokenSize: 64,
  dPos: 16,
  dModel: 16,
  steps: 20,
  tokensPerStep: 8,
  denoiser: 'mlp' as const,
  mlpHidden: 32,
  examplesPretrainSteps: 20,
};

describe('runRpgUnseenTaskExperiment', () => {
  let dir: string;
  let data: { train: MnistData; test: MnistData };

  beforeAll(async () => {
    await initBackend({ prefer: 'wasm' });
    dir = mkdtempSync(join(tmpdir(), 'rpg-unseen-'));
    const { train, test } = splitMnist(await loadMnist(), { trainCount: 9_000 });
    data = { train: splitMnist(train, { trainCount: 400 }).train, test };
    const common = {
      arch: 'mlp' as const,
      strategy: 'tasks' as const,
      checkpointsPerRun: 2,
      model: { mlp: { hidden: 4 } },
      sharedSeed: true,
      recipe: { epochs: 2, batchSize: 50 },
      data,
    };
    await collectZoo({ ...common, count: 3, taskCodes: TRAIN_CODES, out: join(dir, 'train') });
    await collectZoo({ ...common, count: 1, taskCodes: [HELD_OUT], out: join(dir, 'held') });
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('reports trained, generated and nearest-seen-task accuracy per code and condition', async () => {
    const lines: string[] = [];
    const full = await runRpgUnseenTaskExperiment({
      zooDir: join(dir, 'train'),
      heldOutZooDir: join(dir, 'held'),
      workDir: join(dir, 'work'),
      report: join(dir, 'report'),
      config: FIT,
      count: 2,
      seenCount: 2,
      samplingSteps: 3,
      backend: 'wasm',
      onLog: (line) => lines.push(line),
    });
    expect(full.arms.map((a) => a.condition)).toEqual(['task-code', 'task-examples']);
    const [report, examples] = full.arms as [UnseenTaskArm, UnseenTaskArm];
    expect(report.held_out.map((r) => r.code)).toEqual([HELD_OUT]);
    const row = report.held_out[0]!;
    // 0000011110 is one bit from 0000011111 and far from the others.
    expect(row.nearest).toMatchObject({ code: '0000011111', hamming: 1, count: 2 });
    expect(row.trained.count).toBe(2);
    expect(row.generated.count).toBe(2);
    for (const v of [row.generated.mean, row.nearest.mean, row.trained.mean]) {
      expect(v).toBeGreaterThan(0);
      expect(v).toBeLessThanOrEqual(1);
    }
    expect(report.seen).toHaveLength(2);
    for (const seen of report.seen) {
      expect(TRAIN_CODES).toContain(seen.code);
      // A seen task's neighbour is another task, never itself.
      expect(seen.nearest.code).not.toBe(seen.code);
    }
    expect(report.config.condition).toBe('task-code');
    expect(examples.config.condition).toBe('task-examples');
    // The trained and nearest-task figures do not depend on the condition.
    expect(examples.held_out[0]!.trained).toEqual(row.trained);
    expect(examples.held_out[0]!.nearest).toEqual(row.nearest);
    expect(examples.held_out[0]!.generated.count).toBe(2);
    // The examples arm pretrained its extractor on the training digits, measured on the test ones.
    expect(examples.extractor_pretraining?.steps).toBe(20);
    expect(examples.extractor_pretraining?.validationAccuracy).toBeGreaterThan(0);
    expect(report.extractor_pretraining).toBeUndefined();
    expect(lines.some((l) => l.startsWith('task-examples: feature extractor pretrained'))).toBe(
      true,
    );
    expect(full.training_tasks).toBe(3);
    expect(report.target.ratio).toBeCloseTo(
      report.summary.held_out.generated / report.summary.held_out.trained,
      10,
    );
    for (const file of [
      'report.json',
      'report.md',
      'report/task-code-held-out.png',
      'report/task-examples-seen.svg',
    ]) {
      expect(existsSync(join(dir, file))).toBe(true);
    }
    expect(lines.some((l) => l.startsWith('task-code task 1/3 0000011110'))).toBe(true);

    // A second run with the same config reuses the fitted pipeline.
    const again = await runRpgUnseenTaskExperiment({
      zooDir: join(dir, 'train'),
      heldOutZooDir: join(dir, 'held'),
      workDir: join(dir, 'work'),
      report: join(dir, 'report2'),
      config: FIT,
      count: 2,
      seenCount: 0,
      samplingSteps: 3,
      conditions: ['task-code', 'examples-to-code'],
      codeEstimatorSteps: 60,
      backend: 'wasm',
    });
    expect(again.arms[0]!.fit_reused).toBe(true);
    expect(again.arms[0]!.held_out[0]!.generated).toEqual(row.generated);
    // Examples read into a code run through the task-code arm's pipeline, fitted once.
    const viaCode = again.arms[1]!;
    expect(viaCode.condition).toBe('examples-to-code');
    expect(viaCode.config.condition).toBe('task-code');
    expect(viaCode.fit_reused).toBe(true);
    expect(viaCode.code_estimator).toMatchObject({ steps: 60, reused: false });
    const estimated = viaCode.held_out[0]!.estimated_code!;
    expect(estimated.code).toMatch(/^[01?]{10}$/);
    expect(estimated.bits_right).toBeGreaterThanOrEqual(0);
    expect(estimated.bits_right).toBeLessThanOrEqual(10);
    expect(viaCode.held_out[0]!.generated.count).toBe(2);
    expect(existsSync(join(dir, 'work/examples-to-code/estimator/task_encoder.safetensors'))).toBe(
      true,
    );
  });

  it('refuses a held-out code that the training zoo holds', async () => {
    await expect(
      runRpgUnseenTaskExperiment({
        zooDir: join(dir, 'train'),
        heldOutZooDir: join(dir, 'train'),
        workDir: join(dir, 'work-leak'),
        report: join(dir, 'leak'),
        config: FIT,
        backend: 'wasm',
      }),
    ).rejects.toThrow(/trains on held-out codes 0000011111, 1111100000, 0101010101/);
    expect(existsSync(join(dir, 'leak.json'))).toBe(false);
  });
});
