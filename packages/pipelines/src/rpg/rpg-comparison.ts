import { readFile } from 'node:fs/promises';
import { RpgError } from './rpg-error';
import type { RpgExperimentReport } from './rpg-experiment';

/** One row of a comparison: a report and the name it goes by. */
export interface ComparedReport {
  name: string;
  path: string;
  report: RpgExperimentReport;
}

/** Reads experiment reports (`<report>.json` from `runRpgExperiment`), naming a bad one. */
export async function readExperimentReports(paths: readonly string[]): Promise<ComparedReport[]> {
  const out: ComparedReport[] = [];
  for (const path of paths) {
    let report: RpgExperimentReport;
    try {
      report = JSON.parse(await readFile(path, 'utf8')) as RpgExperimentReport;
    } catch (error) {
      throw new RpgError(`${path}: not a readable experiment report (${(error as Error).message})`);
    }
    if (!report.generated || !report.zoo || !report.config) {
      throw new RpgError(`${path}: not an RPG experiment report (no zoo/generated/config)`);
    }
    out.push({ name: variantName(report), path, report });
  }
  return out;
}

/** What distinguishes a run: prior kind, teacher forcing. */
function variantName(r: RpgExperimentReport): string {
  return `${r.config.prior}${r.config.teacherForcing ? ' + teacher forcing' : ''}`;
}

/**
 * A Markdown table of several experiments on the same zoo (an ablation): accuracy of the
 * generated models against the zoo, similarity, fit time, targets.
 */
export function formatComparison(rows: readonly ComparedReport[], title: string): string {
  const pct = (x: number | null | undefined) => (x == null ? '–' : `${(x * 100).toFixed(2)}%`);
  const num = (x: number | null | undefined, d = 3) => (x == null ? '–' : x.toFixed(d));
  const zoo = rows[0]!.report.zoo;
  const lines = [
    `# ${title}`,
    '',
    `Zoo \`${rows[0]!.report.zoo_dir}\`: ${zoo.count} checkpoints, best ${pct(zoo.best)}, mean ${pct(zoo.mean)}, min ${pct(zoo.min)}.`,
    '',
    '| variant | steps | fit s | generated best | mean | median | min | IoU with nearest zoo model (mean) | NN distance ratio | targets met |',
    '| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |',
  ];
  for (const { name, report: r } of rows) {
    const met = [r.targets.best.met, r.targets.mean.met, r.targets.min.met].filter(Boolean).length;
    lines.push(
      `| ${name} | ${r.config.steps} | ${r.seconds.fit ?? '–'} | ${pct(r.generated.best)} | ${pct(r.generated.mean)} | ${pct(r.generated.median)} | ${pct(r.generated.min)} | ${num(r.similarity.iou_og_max_mean)} | ${num(r.similarity.nn_distance_ratio_mean, 1)} | ${met}/3 |`,
    );
  }
  lines.push(
    '',
    'Same zoo, same config and budget (optimiser steps, tokens per step) except the varied field. ' +
      'Targets: best ≥ zoo best − 0.3 pt, mean ≥ zoo mean − 0.5 pt, no model below 90%. ' +
      'NN distance ratio: distance to the nearest zoo checkpoint ÷ the zoo median nearest-neighbour distance.',
    '',
    'Reports: ' + rows.map((r) => `\`${r.path}\``).join(', '),
    '',
  );
  return lines.join('\n');
}
