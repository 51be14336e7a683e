import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { initBackend } from '@pgen/backends';
import { writeSafetensors } from '@pgen/checkpoint-io';
import { createModel, type MnistData, type ZooManifest } from '@pgen/zoo';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { evaluateZooReport, type ReportProgress } from './zoo-report';

/** 120 seeded random "images" with labels 0–9: structure matters here, not accuracy. */
function syntheticData(count = 120): MnistData {
  let state = 12345;
  const next = () => {
    state = (Math.imul(state, 1103515245) + 12345) >>> 0;
    return state / 2 ** 32;
  };
  const images = Float32Array.from({ length: count * 784 }, next);
  const labels = Int32Array.from({ length: count }, (_, i) => i % 10);
  return { images, labels, count };
}

/** Writes the state dicts of `createModel('mlp', { seed })` for each seed into `dir`. */
async function writeMlps(dir: string, seeds: number[], prefix: string): Promise<string[]> {
  const files: string[] = [];
  for (const seed of seeds) {
    const model = createModel('mlp', { seed });
    const file = `${prefix}-${seed}.safetensors`;
    await writeSafetensors(join(dir, file), await model.stateDict());
    model.dispose();
    files.push(file);
  }
  return files;
}

describe('evaluateZooReport', () => {
  let root: string;
  let zooDir: string;
  let generatedDir: string;
  const data = syntheticData();

  beforeAll(async () => {
    await initBackend({ prefer: 'cpu' });
    root = await mkdtemp(join(tmpdir(), 'pgen-bench-'));
    zooDir = join(root, 'zoo');
    generatedDir = join(root, 'generated');
    await mkdir(zooDir);
    await mkdir(generatedDir);
    const seeds = [1, 2, 3];
    const files = await writeMlps(zooDir, seeds, 'mlp');
    const manifest: ZooManifest = {
      version: 1,
      arch: 'mlp',
      strategy: 'seeds',
      createdAt: new Date(0).toISOString(),
      backend: 'cpu',
      checkpoints: files.map((file, i) => ({
        file,
        arch: 'mlp',
        seed: seeds[i]!,
        step: 0,
        testAccuracy: 0.1,
      })),
      config: {},
    };
    await writeFile(join(zooDir, 'zoo.json'), JSON.stringify(manifest));
    await writeMlps(generatedDir, [10, 11], 'gen');
  });

  afterAll(async () => {
    await rm(root, { recursive: true, force: true });
  });

  it('writes the zoo-vs-generated report with every metric and both plots', async () => {
    const outDir = join(root, 'report');
    const events: ReportProgress[] = [];
    const report = await evaluateZooReport({
      zooDir,
      generatedDir,
      outDir,
      testData: data,
      noiseSigmas: [0.05, 0.1],
      noiseCount: 2,
      seed: 4,
      backend: 'cpu',
      onProgress: (p) => events.push(p),
    });
    expect((await readdir(outDir)).sort()).toEqual([
      'accuracy-histogram.png',
      'accuracy-histogram.svg',
      'accuracy-vs-max-iou.png',
      'accuracy-vs-max-iou.svg',
      'report.json',
      'report.md',
    ]);
    expect(report.arch).toBe('mlp');
    expect(report.backend).toBe('cpu');
    expect(report.test_examples).toBe(120);
    expect(report.zoo.count).toBe(3);
    expect(report.generated?.count).toBe(2);
    expect(report.models.generated.map((m) => m.name)).toEqual([
      'gen-10.safetensors',
      'gen-11.safetensors',
    ]);
    const s = report.similarity;
    for (const v of [s.iou_oo, s.iou_gg, s.iou_og, s.iou_og_max_mean]) {
      expect(v).toBeGreaterThanOrEqual(0);
      expect(v).toBeLessThanOrEqual(1);
    }
    // Freshly initialised models are as far from the zoo as zoo models are from each other.
    expect(s.nn_distance_ratio_mean).toBeGreaterThan(0.5);
    expect(Object.keys(report.noise_baselines)).toEqual(['0.05', '0.1']);
    const small = report.noise_baselines['0.05']!;
    expect(small.count).toBe(2);
    // A noisy copy sits much closer to its source than zoo checkpoints sit to each other.
    expect(small.nn_distance_ratio_mean).toBeLessThan(0.1);
    expect(report.models.noise['0.1']).toHaveLength(2);

    const json = JSON.parse(await readFile(join(outDir, 'report.json'), 'utf8'));
    expect(json.zoo).toEqual(report.zoo);
    expect(Object.keys(json.similarity).sort()).toEqual([
      'iou_gg',
      'iou_og',
      'iou_og_max_mean',
      'iou_oo',
      'nn_distance_ratio_mean',
      'zoo_nn_distance_median',
    ]);
    const md = await readFile(join(outDir, 'report.md'), 'utf8');
    expect(md).toContain('| generated | 2 |');
    expect(md).toContain('| zoo + noise σ=0.1 | 2 |');
    const png = await readFile(join(outDir, 'accuracy-vs-max-iou.png'));
    expect([...png.subarray(0, 4)]).toEqual([0x89, 0x50, 0x4e, 0x47]);

    const phases = new Set(events.map((e) => e.phase));
    expect([...phases]).toEqual(['zoo', 'generated', 'noise σ=0.05', 'noise σ=0.1', 'write']);
    expect(events.filter((e) => e.phase === 'zoo').map((e) => e.done)).toEqual([1, 2, 3]);
  });

  it('reports the zoo alone, with seeded noise baselines that repeat exactly', async () => {
    const run = (outDir: string) =>
      evaluateZooReport({
        zooDir,
        outDir,
        testData: data,
        noiseSigmas: [0.1],
        seed: 9,
        backend: 'cpu',
      });
    const a = await run(join(root, 'baseline-a'));
    const b = await run(join(root, 'baseline-b'));
    expect(a.generated).toBeNull();
    expect(a.generated_dir).toBeNull();
    expect(Object.keys(a.similarity).sort()).toEqual(['iou_oo', 'zoo_nn_distance_median']);
    expect(a.noise_baselines['0.1']!.count).toBe(3);
    expect(b.noise_baselines).toEqual(a.noise_baselines);
    expect(b.models.noise).toEqual(a.models.noise);
  });

  it('names a generated file that does not fit the zoo and writes nothing', async () => {
    const badDir = join(root, 'bad');
    await mkdir(badDir);
    const model = createModel('mlp', { seed: 5 });
    const sd = await model.stateDict();
    model.dispose();
    const first = [...sd.keys()][0]!;
    sd.delete(first);
    await writeSafetensors(join(badDir, 'broken.safetensors'), sd);
    const outDir = join(root, 'bad-report');
    await expect(
      evaluateZooReport({
        zooDir,
        generatedDir: badDir,
        outDir,
        testData: data,
        noiseSigmas: [],
        backend: 'cpu',
      }),
    ).rejects.toThrow(`broken.safetensors: missing parameter tensor "${first}"`);
    await expect(readdir(outDir)).rejects.toThrow(/ENOENT/);
  });

  it('refuses a folder that is neither a zoo nor holds state dicts', async () => {
    await expect(
      evaluateZooReport({
        zooDir: join(root, 'nowhere'),
        outDir: join(root, 'x'),
        testData: data,
        backend: 'cpu',
      }),
    ).rejects.toThrow(/nowhere: no such folder/);
    await expect(
      evaluateZooReport({
        zooDir: generatedDir,
        outDir: join(root, 'x'),
        testData: data,
        backend: 'cpu',
      }),
    ).rejects.toThrow(/not a zoo \(no zoo\.json\)/);
  });
});
