import { mkdir } from 'node:fs/promises';
import { dirname, relative } from 'node:path';
import { formatReportMarkdown } from './markdown-report';
import type { ZooReport } from './report-types';
import { writeFileAtomic } from './write-atomic';

/** A report and the folder its files were written to. */
export interface ReportLocation {
  report: ZooReport;
  outDir: string;
}

/** Options of `formatReportSummary`. */
export interface ReportSummaryOptions {
  /** The document's title (default `Zoo baselines` or `Zoo vs generated`). */
  title?: string;
  /** Text under the title, such as the command that produced the document. */
  preamble?: string;
}

/**
 * Several reports (one per architecture, say) as one Markdown document written at
 * `summaryPath`, each a section whose plot links point into its own report folder. This is
 * the shape of `reports/zoo-baselines.md`: one file to read, the details beside it.
 */
export function formatReportSummary(
  reports: readonly ReportLocation[],
  summaryPath: string,
  options: ReportSummaryOptions = {},
): string {
  const allZooOnly = reports.every((r) => r.report.generated_dir === null);
  const title = options.title ?? (allZooOnly ? 'Zoo baselines' : 'Zoo vs generated');
  const parts = [`# ${title}`, ''];
  if (options.preamble) parts.push(options.preamble, '');
  for (const { report, outDir } of reports) {
    const plotDir = relative(dirname(summaryPath), outDir).split('\\').join('/') || '.';
    parts.push(formatReportMarkdown(report, { headingLevel: 2, plotDir }));
  }
  return parts.join('\n');
}

/** Writes `formatReportSummary` to `summaryPath` atomically, creating its folder. */
export async function writeReportSummary(
  reports: readonly ReportLocation[],
  summaryPath: string,
  options: ReportSummaryOptions = {},
): Promise<void> {
  await mkdir(dirname(summaryPath), { recursive: true });
  await writeFileAtomic(summaryPath, formatReportSummary(reports, summaryPath, options));
}
