import { join } from 'node:path';
import { renderPlot } from '@pgen/bench';
import { writeBytesAtomic, writeTextAtomic } from '../rpg/write-text-atomic';
import type { CondPdiffReport, CondPdiffTaskRow } from './cond-pdiff-experiment';

type TopLevelSpec = Parameters<typeof renderPlot>[0];

const ARM_LABELS: Record<string, string> = {
  descriptor: 'generated: angle descriptor',
  embedding: 'generated: learned task embedding',
  examples: 'generated: 32 labelled examples',
  'descriptor-no-latent-noise': 'generated: angle, AE without latent noise',
};

/** The report's words for how the zoo was trained (reports before the field: shared init). */
const ZOO_TRAINING = {
  'shared init': 'every task trained from one shared adapter init',
  'independent inits': 'every task trained from its own adapter init',
  chain:
    'tasks trained as a chain, each from the last adapter of the previous seen angle; held-out angles never a starting point',
} as const;

function armLabel(arm: string): string {
  return ARM_LABELS[arm] ?? `generated: ${arm}`;
}

/** Writes `<report>.json`, `<report>.md` and the plots in `<report>/` (PNG and SVG). */
export async function writeCondPdiffReport(report: CondPdiffReport, path: string): Promise<void> {
  await writeTextAtomic(`${path}.json`, `${JSON.stringify(report, null, 2)}\n`);
  const plots: [string, TopLevelSpec][] = [
    ['accuracy-by-angle', byAngleSpec(report)],
    ['summary', summarySpec(report)],
  ];
  for (const [name, spec] of plots) {
    const plot = await renderPlot(spec);
    await writeBytesAtomic(join(path, `${name}.png`), plot.png);
    await writeTextAtomic(join(path, `${name}.svg`), plot.svg);
  }
  await writeTextAtomic(`${path}.md`, markdown(report, path));
}

function byAngleSpec(report: CondPdiffReport): TopLevelSpec {
  const values = report.tasks.flatMap((row) => [
    point(row, 'no LoRA (base)', row.base),
    point(row, 'trained LoRA (mean)', row.trained.mean),
    ...Object.entries(row.generated).map(([arm, v]) => point(row, armLabel(arm), v.mean)),
    ...(row.nearest_seen
      ? [point(row, "nearest seen rotation's trained LoRA (mean)", row.nearest_seen.mean)]
      : []),
  ]);
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v5.json',
    title: 'Rotated MNIST: accuracy per task (shape: held-out or seen rotation)',
    data: { values },
    mark: { type: 'line', point: true, clip: true },
    encoding: {
      x: {
        field: 'angle',
        type: 'quantitative',
        title: 'rotation (degrees)',
        scale: { domain: [0, 345] },
      },
      y: {
        field: 'accuracy',
        type: 'quantitative',
        title: 'test accuracy',
        scale: { domain: [0, 1] },
      },
      color: { field: 'series', type: 'nominal', title: null, legend: { labelLimit: 320 } },
      shape: { field: 'split', type: 'nominal', title: 'task' },
    },
    width: 640,
    height: 300,
  } as TopLevelSpec;
}

function point(row: CondPdiffTaskRow, series: string, accuracy: number) {
  return {
    angle: row.angle,
    split: row.split === 'seen' ? 'seen' : 'held out',
    series,
    accuracy,
  };
}

function summarySpec(report: CondPdiffReport): TopLevelSpec {
  const values = (['seen', 'held_out'] as const).flatMap((split) => {
    const s = report.summary[split];
    const name = split === 'seen' ? 'seen angles' : 'held-out angles';
    return [
      { split: name, series: 'no LoRA (base)', accuracy: s.base },
      { split: name, series: 'trained LoRA (mean)', accuracy: s.trained },
      ...Object.entries(s.reconstruction).map(([arm, v]) => ({
        split: name,
        series: `autoencoder only (${arm === 'descriptor' ? 'latent noise' : arm})`,
        accuracy: v,
      })),
      ...Object.entries(s.generated).map(([arm, v]) => ({
        split: name,
        series: armLabel(arm),
        accuracy: v,
      })),
      ...(s.nearest_seen === undefined
        ? []
        : [
            {
              split: name,
              series: "nearest seen rotation's trained LoRA",
              accuracy: s.nearest_seen,
            },
            {
              split: name,
              series: "mean of the neighbours' trained LoRA",
              accuracy: s.neighbour_average ?? Number.NaN,
            },
          ]),
    ];
  });
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v5.json',
    title: 'Mean accuracy over tasks',
    data: { values },
    mark: { type: 'bar', clip: true },
    encoding: {
      x: { field: 'split', type: 'nominal', title: null },
      xOffset: { field: 'series' },
      y: {
        field: 'accuracy',
        type: 'quantitative',
        title: 'test accuracy',
        scale: { domain: [0, 1] },
      },
      color: { field: 'series', type: 'nominal', title: null, legend: { labelLimit: 360 } },
    },
    width: 420,
    height: 260,
  } as TopLevelSpec;
}

function pct(x: number | undefined): string {
  return x === undefined || Number.isNaN(x) ? '—' : `${(x * 100).toFixed(2)}%`;
}

function markdown(r: CondPdiffReport, path: string): string {
  const name = path.split('/').pop();
  const arms = r.arms.map((a) => a.arm);
  const recon = Object.keys(r.summary.seen.reconstruction);
  const header = [
    '| task | split | no LoRA | trained best / mean | ' +
      arms.map((a) => `${a} best / mean`).join(' | ') +
      ' | ' +
      recon.map((a) => `AE only (${a})`).join(' | ') +
      " | nearest seen rotation's LoRA | mean of neighbours' LoRA |",
    `|${'---|'.repeat(6 + arms.length + recon.length)}`,
  ];
  const rows = r.tasks.map(
    (t) =>
      `| ${t.name} | ${t.split === 'seen' ? 'seen' : '**held out**'} | ${pct(t.base)} | ${pct(t.trained.best)} / ${pct(t.trained.mean)} | ` +
      arms
        .map((a) =>
          t.generated[a] ? `${pct(t.generated[a]!.best)} / ${pct(t.generated[a]!.mean)}` : '—',
        )
        .join(' | ') +
      ' | ' +
      recon.map((a) => pct(t.reconstruction[a]?.mean)).join(' | ') +
      ` | ${t.nearest_seen ? `${pct(t.nearest_seen.mean)} (${t.nearest_seen.angle}°)` : '—'} | ${t.neighbour_average ? `${pct(t.neighbour_average.accuracy)} (${t.neighbour_average.angles.join('° + ')}°)` : '—'} |`,
  );
  const mark = (met: boolean) => (met ? 'met' : '**not met**');
  const targetRows = arms.flatMap((a) => {
    const out: string[] = [];
    const seen = r.targets.seen[a];
    if (seen) {
      out.push(
        `| ${a} | seen: generated mean ≥ trained mean − 0.5 pt | ${pct(r.summary.seen.trained)} | ${pct(r.summary.seen.generated[a])} (gap ${seen.gap_points.toFixed(2)} pt) | ${mark(seen.met)} |`,
      );
    }
    const held = r.targets.held_out[a];
    if (held) {
      out.push(
        `| ${a} | held out: generated mean ≥ 95% of trained | ${pct(r.summary.held_out.trained)} | ${pct(r.summary.held_out.generated[a])} (${(held.ratio * 100).toFixed(1)}%) | ${mark(held.met)} |`,
      );
    }
    return out;
  });
  const armLines = r.arms.map(
    (a) =>
      `| ${a.arm} | ${a.condition} | ${a.latentNoise} | ${a.reused ? 'reused' : `${a.fitSeconds.autoencoder.toFixed(0)} s + ${a.fitSeconds.diffusion.toFixed(0)} s`} | ${a.finalLoss.autoencoder.toFixed(5)} | ${a.finalLoss.diffusion.toFixed(4)} | ${a.generateSeconds.toFixed(1)} s |`,
  );
  const c = r.config;
  return [
    '# COND P-DIFF on rotated MNIST: LoRA adapters for seen and held-out rotations',
    '',
    `Zoo \`${r.zoo.dir}\`: ${r.zoo.tasks} rotation tasks, ${r.zoo.adapters} adapters (${r.zoo.parameters} LoRA parameters each: rank ${r.zoo.lora.r}, alpha ${r.zoo.lora.alpha}, on ${JSON.stringify(r.zoo.lora.target_modules)} of a ViT that scores ${pct(r.zoo.base_upright_accuracy)} upright; ${ZOO_TRAINING[r.zoo.training ?? 'shared init']}). ` +
      `Held out: ${r.held_out_angles.join(', ')}° (${r.held_out_source}); trained on the other ${r.seen_angles.length}. ` +
      `Per task: ${r.trained_per_task} trained adapters spread over the saved steps, ${r.count} generated per arm (DDIM ${c.samplingSteps} steps), on ${r.test_examples} rotated test images. Backend ${r.backend}.`,
    '',
    `Reproduce: \`${r.command}\``,
    '',
    '## Targets',
    '',
    '| arm | target | trained | generated | |',
    '|---|---|---|---|---|',
    ...targetRows,
    '',
    '## Means over tasks',
    '',
    '| | no LoRA | trained | ' +
      recon.map((a) => `AE only (${a})`).join(' | ') +
      ' | ' +
      arms.map((a) => `generated (${a})`).join(' | ') +
      " | nearest seen rotation's LoRA | mean of neighbours' LoRA |",
    `|${'---|'.repeat(5 + recon.length + arms.length)}`,
    ...(['seen', 'held_out'] as const).map((split) => {
      const s = r.summary[split];
      return (
        `| ${split === 'seen' ? 'seen' : 'held out'} (${s.tasks}) | ${pct(s.base)} | ${pct(s.trained)} | ` +
        recon.map((a) => pct(s.reconstruction[a])).join(' | ') +
        ' | ' +
        arms.map((a) => pct(s.generated[a])).join(' | ') +
        ` | ${pct(s.nearest_seen)} | ${pct(s.neighbour_average)} |`
      );
    }),
    '',
    `![accuracy by angle](${name}/accuracy-by-angle.png)`,
    '',
    `![summary](${name}/summary.png)`,
    '',
    '## Arms',
    '',
    '| arm | condition | latent noise σ | fit (autoencoder + diffusion) | AE loss | diffusion loss | generation |',
    '|---|---|---|---|---|---|---|',
    ...armLines,
    '',
    `Config: autoencoder channels [${c.aeChannels.join(', ')}], kernel ${c.aeKernelSize}, latent ${c.latentDim}, input noise ${c.inputNoise}, ${c.aeSteps} steps × ${c.aeBatchSize}; ${c.denoiser} denoiser (hidden ${c.denoiserHidden}, depth ${c.denoiserDepth}), ${c.diffusionSteps} steps × ${c.diffusionBatchSize}, ${c.predictionType} prediction; condition width ${c.conditionDim}, ${c.examplesPerTask} examples per set.`,
    '',
    ...(c.predictionType === 'sample'
      ? [
          'With `sample` prediction and deterministic DDIM (η = 0) the generations of one condition are one adapter: best = mean.',
          '',
        ]
      : []),
    `Seconds: fit ${r.seconds.fit.toFixed(0)}, evaluation ${r.seconds.evaluate.toFixed(0)}, total ${r.seconds.total.toFixed(0)}.`,
    '',
    '## Per task',
    '',
    ...header,
    ...rows,
    '',
  ].join('\n');
}
