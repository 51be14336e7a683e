/**
 * `pnpm bench:tokenizer`: streamed encode and decode throughput and peak RSS for a synthetic
 * ViT-B state dict (see `streaming-measure.ts`), measured in a fresh child process so the
 * parent's memory does not count. Writes `<repo root>/reports/tokenizer.json`.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'tsup';

const RSS_LIMIT_RATIO = 1.5;
const GRANULARITIES = ['layer', 'flat', 'channel'];

interface Measured {
  granularity: string;
  params: number;
  modelBytes: number;
  peakRssBytes: number;
  peakRssOverModelSize: number;
}

/** Bundles the measuring script to plain JavaScript, so the child needs no TypeScript loader. */
async function bundleMeasure(benchDir: string, outDir: string): Promise<string> {
  await build({
    entry: { 'streaming-measure': path.join(benchDir, 'streaming-measure.ts') },
    outDir,
    format: ['esm'],
    platform: 'node',
    target: 'node20',
    outExtension: () => ({ js: '.mjs' }),
    noExternal: [/.*/],
    config: false,
    dts: false,
    silent: true,
  });
  return path.join(outDir, 'streaming-measure.mjs');
}

async function main(): Promise<void> {
  const benchDir = path.dirname(fileURLToPath(import.meta.url));
  const outDir = mkdtempSync(path.join(os.tmpdir(), 'tokenizer-bench-'));
  const results: Measured[] = [];
  try {
    const script = await bundleMeasure(benchDir, outDir);
    for (const granularity of GRANULARITIES) {
      // One fresh process per granularity: each peak RSS is that run's alone.
      const child = spawnSync(process.execPath, ['--expose-gc', script, granularity], {
        encoding: 'utf8',
        stdio: ['ignore', 'pipe', 'inherit'],
      });
      if (child.status !== 0) throw new Error(`benchmark child failed with status ${child.status}`);
      results.push(JSON.parse(child.stdout));
    }
  } finally {
    rmSync(outDir, { recursive: true, force: true });
  }
  const rssRatio = Math.max(...results.map((r) => r.peakRssOverModelSize));
  const report = {
    benchmark: 'tensor-tokenizer streamed encode/decode, synthetic ViT-B/16 (timm names, F32)',
    date: new Date().toISOString(),
    machine: {
      cpu: os.cpus()[0]?.model ?? 'unknown',
      cores: os.cpus().length,
      totalMemoryGiB: Math.round((os.totalmem() / 2 ** 30) * 10) / 10,
      platform: `${os.platform()} ${os.release()}`,
    },
    node: process.version,
    zooSize: 2,
    params: results[0]!.params,
    modelBytes: results[0]!.modelBytes,
    results,
    worstPeakRssOverModelSize: rssRatio,
    peakRssLimitRatio: RSS_LIMIT_RATIO,
    peakRssWithinLimit: rssRatio < RSS_LIMIT_RATIO,
  };
  const reportPath = path.resolve(benchDir, '../../../reports/tokenizer.json');
  mkdirSync(path.dirname(reportPath), { recursive: true });
  writeFileSync(reportPath, `${JSON.stringify(report, null, 2)}\n`);
  console.log(JSON.stringify(report, null, 2));
  console.log(`wrote ${reportPath}`);
  if (!report.peakRssWithinLimit) {
    console.error(`peak RSS is ${rssRatio.toFixed(2)}x the model size, over ${RSS_LIMIT_RATIO}x`);
    process.exitCode = 1;
  }
}

await main();
