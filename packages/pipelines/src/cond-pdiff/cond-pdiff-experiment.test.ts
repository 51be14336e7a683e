import { access, cp, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { initBackend } from '@pgen/backends';
import type { MnistData } from '@pgen/zoo';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type CondPdiffExperimentOptions, runCondPdiffExperiment } from './cond-pdiff-experiment';
import { readLoraZooInput } from './lora-zoo-source';
import { smallMnist, TINY_COND_PDIFF_CONFIG, tinyLoraZoo } from './test-lora-zoo';

let dir: string;
let data: { train: MnistData; test: MnistData };

beforeAll(async () => {
  await initBackend({ prefer: 'wasm' });
  data = await smallMnist();
  dir = await mkdtemp(join(tmpdir(), 'pgen-cond-pdiff-exp-'));
  await tinyLoraZoo(join(dir, 'zoo'), data);
}, 120_000);
afterAll(() => rm(dir, { recursive: true, force: true }));

const options = (): CondPdiffExperimentOptions => ({
  zoo: join(dir, 'zoo'),
  heldOut: [90],
  workDir: join(dir, 'work'),
  report: join(dir, 'report', 'cond-pdiff'),
  config: TINY_COND_PDIFF_CONFIG,
  count: 2,
  trainedPerTask: 2,
  reconstructPerTask: 1,
  data,
});

describe('readLoraZooInput', () => {
  it('reads every task but the held-out ones, and refuses an angle the zoo lacks', async () => {
    const input = await readLoraZooInput(join(dir, 'zoo'), { excludeAngles: [90] });
    expect(input.tasks).toEqual([
      { name: 'rot-000', descriptor: [0] },
      { name: 'rot-180', descriptor: [180] },
      { name: 'rot-270', descriptor: [270] },
    ]);
    expect(input.samples).toHaveLength(9);
    expect(input.loraConfig.r).toBe(4);
    await expect(readLoraZooInput(join(dir, 'zoo'), { excludeAngles: [45] })).rejects.toThrow(
      /held-out angle 45° is not a task of this zoo/,
    );
  });

  it('refuses a chain zoo in which a held-out angle started a seen task', async () => {
    const chained = join(dir, 'chained');
    await cp(join(dir, 'zoo'), chained, { recursive: true });
    const file = join(chained, 'lora-zoo.json');
    const manifest = JSON.parse(await readFile(file, 'utf8'));
    await writeFile(file, JSON.stringify({ ...manifest, chain: { skip: [] } }));
    await expect(readLoraZooInput(chained, { excludeAngles: [90] })).rejects.toThrow(
      /chained: was trained as a chain that starts later tasks from held-out angle\(s\) 90°/,
    );
    await writeFile(file, JSON.stringify({ ...manifest, chain: { skip: [90] } }));
    expect((await readLoraZooInput(chained, { excludeAngles: [90] })).tasks).toHaveLength(3);
  });
});

describe('runCondPdiffExperiment', () => {
  it('fits every arm, measures every task and writes the reports; a rerun reuses the fits', async () => {
    const lines: string[] = [];
    const report = await runCondPdiffExperiment({ ...options(), log: (l) => lines.push(l) });
    expect(report.arms.map((a) => [a.arm, a.reused])).toEqual([
      ['descriptor', false],
      ['embedding', false],
      ['examples', false],
      ['descriptor-no-latent-noise', false],
    ]);
    // Conditions share the autoencoder; the ablation trains its own.
    expect(report.arms.map((a) => a.fitSeconds.autoencoder === 0)).toEqual([
      false,
      true,
      true,
      false,
    ]);
    expect(report.tasks.map((t) => [t.name, t.split])).toEqual([
      ['rot-000', 'seen'],
      ['rot-090', 'held_out'],
      ['rot-180', 'seen'],
      ['rot-270', 'seen'],
    ]);
    const held = report.tasks[1]!;
    expect(Object.keys(held.generated)).toEqual([
      'descriptor',
      'examples',
      'descriptor-no-latent-noise',
    ]);
    expect(Object.keys(report.tasks[0]!.generated)).toContain('embedding');
    expect(Object.keys(held.reconstruction)).toEqual(['descriptor', 'descriptor-no-latent-noise']);
    // Baselines of a held-out rotation: 90° sits between 0° and 180° (equally far: the lower).
    expect(held.nearest_seen).toMatchObject({ angle: 0, count: 2 });
    expect(held.neighbour_average!.angles).toEqual([0, 180]);
    expect(report.tasks[0]!.nearest_seen).toBeUndefined();
    expect(report.summary.held_out.nearest_seen).toBe(held.nearest_seen!.mean);
    for (const row of report.tasks) {
      expect(row.trained.count).toBe(2);
      for (const v of [
        row.base,
        row.trained.mean,
        ...Object.values(row.generated).map((g) => g.mean),
      ]) {
        expect(v).toBeGreaterThanOrEqual(0);
        expect(v).toBeLessThanOrEqual(1);
      }
      for (const g of Object.values(row.generated)) expect(g.count).toBe(2);
    }
    expect(Object.keys(report.targets.held_out)).toEqual([
      'descriptor',
      'examples',
      'descriptor-no-latent-noise',
    ]);
    expect(report.test_examples).toBe(200);
    for (const file of [
      'cond-pdiff.json',
      'cond-pdiff.md',
      'cond-pdiff/accuracy-by-angle.png',
      'cond-pdiff/summary.svg',
    ]) {
      await access(join(dir, 'report', file));
    }
    expect(lines.some((l) => l.startsWith('rot-090 (held_out)'))).toBe(true);

    const again = await runCondPdiffExperiment({
      ...options(),
      conditions: ['descriptor'],
      noiseAblation: false,
    });
    expect(again.arms.map((a) => [a.arm, a.reused])).toEqual([['descriptor', true]]);
    expect(again.tasks[1]!.generated.descriptor).toEqual(held.generated.descriptor);

    // Another diffusion config refits the arm but keeps the saved autoencoder.
    const log: string[] = [];
    const refit = await runCondPdiffExperiment({
      ...options(),
      config: { ...TINY_COND_PDIFF_CONFIG, diffusionSteps: 12 },
      conditions: ['embedding'],
      noiseAblation: false,
      log: (l) => log.push(l),
    });
    expect(refit.arms.map((a) => [a.arm, a.reused, a.fitSeconds.autoencoder])).toEqual([
      ['embedding', false, 0],
    ]);
    expect(
      log.some((l) => /\[embedding\] reusing the autoencoder of .*work\/descriptor/.test(l)),
    ).toBe(true);
  }, 180_000);
});
