import type { AccuracySummary } from './accuracy-summary';
import type { ZooReport } from './report-types';

/** Options of `formatReportMarkdown`. */
export interface MarkdownReportOptions {
  /** Heading level of the report's title (default 1; 2 when reports are combined). */
  headingLevel?: number;
  /** Folder of the plots relative to the Markdown file (default `.`: the same folder). */
  plotDir?: string;
}

/** File names (without extension) of the two plots in a report folder. */
export const PLOT_NAMES = {
  histogram: 'accuracy-histogram',
  maxIou: 'accuracy-vs-max-iou',
} as const;

/**
 * The report as Markdown: one table row per set (zoo, generated, each noise level) with its
 * accuracy summary and similarity metrics, then the plots. A cell is `–` where a metric does
 * not apply (IoU against the zoo for the zoo itself) or is undefined (a set of one model).
 */
export function formatReportMarkdown(
  report: ZooReport,
  options: MarkdownReportOptions = {},
): string {
  const level = '#'.repeat(options.headingLevel ?? 1);
  const plotDir = options.plotDir ?? '.';
  const s = report.similarity;
  const header =
    '| set | models | best | mean | median | min | IoU within set | IoU with zoo | max IoU with zoo (mean) | NN distance ratio (mean) |';
  const rule = `|${' --- |'.repeat(10)}`;
  const rows = [row('zoo', report.zoo, s.iou_oo, undefined, undefined, undefined)];
  if (report.generated) {
    rows.push(
      row(
        'generated',
        report.generated,
        s.iou_gg,
        s.iou_og,
        s.iou_og_max_mean,
        s.nn_distance_ratio_mean,
      ),
    );
  }
  for (const [sigma, n] of Object.entries(report.noise_baselines)) {
    rows.push(
      row(
        `zoo + noise σ=${sigma}`,
        n,
        n.iou_gg,
        n.iou_og,
        n.iou_og_max_mean,
        n.nn_distance_ratio_mean,
      ),
    );
  }
  const title = report.generated_dir
    ? `${report.arch}: zoo vs generated`
    : `${report.arch}: zoo baselines`;
  const sources = report.generated_dir
    ? `zoo \`${report.zoo_dir}\`, generated \`${report.generated_dir}\``
    : `zoo \`${report.zoo_dir}\``;
  return [
    `${level} ${title}`,
    '',
    `${sources}; ${report.test_examples} test images; ${report.parameters} parameters compared; ` +
      `backend ${report.backend}; seed ${report.seed}.`,
    '',
    header,
    rule,
    ...rows,
    '',
    'Accuracy is on the test split. IoU is that of the sets of wrongly classified test images ' +
      '(p-diff\'s similarity), averaged over pairs of distinct models ("within set") or over ' +
      '(zoo, model) pairs ("with zoo"); "max IoU with zoo" is each model\'s closest zoo match. ' +
      'NN distance ratio: distance to the nearest zoo checkpoint in per-tensor z-scored parameter ' +
      `space ÷ the zoo's median nearest-neighbour distance (${fixed(s.zoo_nn_distance_median, 2)}). ` +
      'Noise baselines are zoo checkpoints plus Gaussian noise of σ in that space.',
    '',
    `![Test accuracy, zoo vs generated](${plotDir}/${PLOT_NAMES.histogram}.svg)`,
    `![Accuracy against max IoU with the zoo](${plotDir}/${PLOT_NAMES.maxIou}.svg)`,
    '',
  ].join('\n');
}

function row(
  name: string,
  acc: AccuracySummary,
  within: number | undefined,
  withZoo: number | undefined,
  maxIou: number | undefined,
  nnRatio: number | undefined,
): string {
  const cells = [
    name,
    String(acc.count),
    percent(acc.best),
    percent(acc.mean),
    percent(acc.median),
    percent(acc.min),
    fixed(within, 3),
    fixed(withZoo, 3),
    fixed(maxIou, 3),
    fixed(nnRatio, 3),
  ];
  return `| ${cells.join(' | ')} |`;
}

function percent(value: number): string {
  return `${(value * 100).toFixed(2)}%`;
}

function fixed(value: number | undefined | null, digits: number): string {
  return value === undefined || value === null || !Number.isFinite(value)
    ? '–'
    : value.toFixed(digits);
}
