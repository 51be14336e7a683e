import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { formatComparison, readExperimentReports } from './rpg-comparison';

const summary = (best: number, mean: number) => ({
  count: 10,
  best,
  mean,
  median: mean,
  min: mean - 0.01,
});

function report(prior: string, teacherForcing: boolean, best: number) {
  return {
    zoo: summary(0.976, 0.974),
    generated: summary(best, best - 0.002),
    similarity: {
      iou_oo: 0.9,
      iou_gg: 0.8,
      iou_og: 0.8,
      iou_og_max_mean: 0.95,
      nn_distance_ratio_mean: 3.5,
    },
    targets: {
      best: { required: 0.973, met: best >= 0.973 },
      mean: { required: 0.969, met: true },
      min: { required: 0.9, met: true },
    },
    config: { prior, teacherForcing, steps: 100 },
    zoo_dir: 'zoos/mlp-rpg',
    seconds: { zoo: null, fit: 12.5, generate: 3, eval: 4 },
  };
}

describe('RPG report comparison', () => {
  const dir = mkdtempSync(join(tmpdir(), 'rpg-cmp-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('tabulates each variant against the same zoo, with targets met', async () => {
    const a = join(dir, 'a.json');
    const b = join(dir, 'b.json');
    writeFileSync(a, JSON.stringify(report('mamba', false, 0.975)));
    writeFileSync(b, JSON.stringify(report('mamba', true, 0.95)));
    const rows = await readExperimentReports([a, b]);
    expect(rows.map((r) => r.name)).toEqual(['mamba', 'mamba + teacher forcing']);
    const md = formatComparison(rows, 'Ablation');
    expect(md).toMatch(/^# Ablation/);
    expect(md).toMatch(/\| mamba \| 100 \| 12\.5 \| 97\.50% \| 97\.30% \|.*\| 3\/3 \|/);
    expect(md).toMatch(/\| mamba \+ teacher forcing \| 100 \| 12\.5 \| 95\.00% \|.*\| 2\/3 \|/);
  });

  it('names a file that is not a report', async () => {
    const bad = join(dir, 'bad.json');
    writeFileSync(bad, '{"zoo": 1}');
    await expect(readExperimentReports([bad])).rejects.toThrow(
      /bad\.json: not an RPG experiment report/,
    );
  });
});
