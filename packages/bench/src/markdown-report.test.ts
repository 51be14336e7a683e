import { describe, expect, it } from 'vitest';
import { formatReportMarkdown } from './markdown-report';
import { formatReportSummary } from './report-summary';
import { reportToJson, type ZooReport } from './report-types';

function report(generated: boolean): ZooReport {
  const summary = { count: 2, best: 0.9, mean: 0.85, median: 0.85, min: 0.8 };
  return {
    arch: 'mlp',
    zoo_dir: 'zoos/mlp',
    generated_dir: generated ? 'out/gen' : null,
    test_examples: 2000,
    parameters: 1234,
    zoo: summary,
    generated: generated
      ? { ...summary, count: 1, best: 0.5, mean: 0.5, median: 0.5, min: 0.5 }
      : null,
    similarity: generated
      ? {
          iou_oo: 0.5,
          zoo_nn_distance_median: 10,
          iou_gg: Number.NaN,
          iou_og: 0.25,
          iou_og_max_mean: 0.3,
          nn_distance_ratio_mean: 1.25,
        }
      : { iou_oo: 0.5, zoo_nn_distance_median: 10 },
    noise_baselines: {
      '0.01': {
        ...summary,
        iou_gg: 0.9,
        iou_og: 0.6,
        iou_og_max_mean: 0.95,
        nn_distance_ratio_mean: 0.01,
      },
    },
    models: { zoo: [], generated: [], noise: {} },
    seed: 0,
    backend: 'cpu',
    seconds: { total: 1 },
  };
}

describe('Markdown report', () => {
  it('has a row per set with accuracies in percent and – for metrics that do not apply', () => {
    const md = formatReportMarkdown(report(true));
    expect(md.startsWith('# mlp: zoo vs generated\n')).toBe(true);
    expect(md).toContain('| zoo | 2 | 90.00% | 85.00% | 85.00% | 80.00% | 0.500 | – | – | – |');
    // A generated set of one has no pair to compare: IoU within it is undefined.
    expect(md).toContain(
      '| generated | 1 | 50.00% | 50.00% | 50.00% | 50.00% | – | 0.250 | 0.300 | 1.250 |',
    );
    expect(md).toContain(
      '| zoo + noise σ=0.01 | 2 | 90.00% | 85.00% | 85.00% | 80.00% | 0.900 | 0.600 | 0.950 | 0.010 |',
    );
    expect(md).toContain('](./accuracy-histogram.svg)');
  });

  it('titles a zoo-only report as baselines and leaves out the generated row', () => {
    const md = formatReportMarkdown(report(false), {
      headingLevel: 2,
      plotDir: 'zoo-baselines/mlp',
    });
    expect(md.startsWith('## mlp: zoo baselines\n')).toBe(true);
    expect(md).not.toContain('| generated |');
    expect(md).toContain('](zoo-baselines/mlp/accuracy-vs-max-iou.svg)');
  });

  it('combines reports into one document with plot links relative to it', () => {
    const md = formatReportSummary(
      [{ report: report(false), outDir: 'reports/zoo-baselines/mlp' }],
      'reports/zoo-baselines.md',
      { preamble: 'Made by `pgen eval`.' },
    );
    expect(md.startsWith('# Zoo baselines\n\nMade by `pgen eval`.\n\n## mlp: zoo baselines')).toBe(
      true,
    );
    expect(md).toContain('](zoo-baselines/mlp/accuracy-histogram.svg)');
  });

  it('writes undefined metrics as null in the JSON', () => {
    const json = JSON.parse(reportToJson(report(true)));
    expect(json.similarity.iou_gg).toBeNull();
    expect(json.similarity.iou_og).toBe(0.25);
    expect(json.noise_baselines['0.01'].iou_og_max_mean).toBe(0.95);
  });
});
