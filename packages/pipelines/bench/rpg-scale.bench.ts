/**
 * `pnpm bench:rpg`: generation time and peak RSS of the RPG pipeline for ViT-shaped targets of
 * about 1M, 10M and 86M (ViT-B/16) parameters, all with the same small generator and a few DDIM
 * steps. Each size is fitted (on two seeded synthetic checkpoints) and saved in one child
 * process, then loaded and generated from in a fresh one, whose peak RSS is what is compared:
 * generation streams tensor by tensor, so peak RSS growth from 1M to 86M must stay below twice
 * the 86M model's own float32 size. Writes reports/rpg-scale.json.
 *
 * Environment (for trying other settings; the defaults are what the report is about):
 * `RPG_BENCH_SIZES` (e.g. `1M,10M`), `RPG_BENCH_PRIOR` (mamba | lstm | transformer | none).
 * A run with a non-default prior writes reports/rpg-scale-<prior>.json instead.
 */
import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { initBackend } from '@pgen/backends';
import type { StateDict } from '@pgen/checkpoint-io';
import { type RpgConfig, RpgPipeline, type RpgPriorKind } from '../src/rpg/index';

const here = dirname(fileURLToPath(import.meta.url));
const thisFile = fileURLToPath(import.meta.url);
const BACKEND = 'wasm' as const;
const CHECKPOINTS_PER_SIZE = 2;
const SAMPLING_STEPS = 3;
const CHUNK_SIZE = 256;
const RESULT_MARK = '@@result ';

/** ViT-shaped targets: patch 16, 224×224 RGB input (197 positions), 1000 classes, MLP ratio 4. */
interface VitShape {
  label: string;
  dim: number;
  depth: number;
}
const SIZES: VitShape[] = [
  { label: '1M', dim: 128, depth: 4 },
  { label: '10M', dim: 256, depth: 12 },
  { label: '86M', dim: 768, depth: 12 },
];

const DEFAULT_PRIOR: RpgPriorKind = 'mamba';
const prior = (process.env.RPG_BENCH_PRIOR ?? DEFAULT_PRIOR) as RpgPriorKind;

/** The same small generator for every size; quality is not the point, memory and time are. */
const GENERATOR: Partial<RpgConfig> = {
  tokenSize: 1024,
  dPos: 64,
  dModel: 32,
  prior,
  priorLayers: 2,
  // Chunks of 2 keep the scan's first level at length·2·dModel·dState values (~87 MB at 86M).
  priorOptions: { dState: 4, expand: 1, chunkSize: 2 },
  denoiser: 'mlp',
  mlpHidden: 64,
  steps: 4,
  tokensPerStep: 64,
  seed: 0,
};

const reportPath = resolve(
  here,
  '../../../reports',
  prior === DEFAULT_PRIOR ? 'rpg-scale.json' : `rpg-scale-${prior}.json`,
);

/** Names and shapes of a timm-style ViT (`vit_base_patch16_224` for dim 768, depth 12). */
function vitLayout({ dim, depth }: VitShape): Array<[string, number[]]> {
  const out: Array<[string, number[]]> = [
    ['cls_token', [1, 1, dim]],
    ['pos_embed', [1, 197, dim]],
    ['patch_embed.proj.weight', [dim, 3, 16, 16]],
    ['patch_embed.proj.bias', [dim]],
  ];
  for (let i = 0; i < depth; i++) {
    const b = `blocks.${i}`;
    out.push(
      [`${b}.norm1.weight`, [dim]],
      [`${b}.norm1.bias`, [dim]],
      [`${b}.attn.qkv.weight`, [3 * dim, dim]],
      [`${b}.attn.qkv.bias`, [3 * dim]],
      [`${b}.attn.proj.weight`, [dim, dim]],
      [`${b}.attn.proj.bias`, [dim]],
      [`${b}.norm2.weight`, [dim]],
      [`${b}.norm2.bias`, [dim]],
      [`${b}.mlp.fc1.weight`, [4 * dim, dim]],
      [`${b}.mlp.fc1.bias`, [4 * dim]],
      [`${b}.mlp.fc2.weight`, [dim, 4 * dim]],
      [`${b}.mlp.fc2.bias`, [dim]],
    );
  }
  out.push(['norm.weight', [dim]], ['norm.bias', [dim]]);
  out.push(['head.weight', [1000, dim]], ['head.bias', [1000]]);
  return out;
}

const numelOf = (shape: number[]) => shape.reduce((a, b) => a * b, 1);
const parameterCount = (size: VitShape) =>
  vitLayout(size).reduce((n, [, shape]) => n + numelOf(shape), 0);

/** A seeded checkpoint: LayerNorm weights near 1, biases near 0, weights of scale 0.02. */
function syntheticCheckpoint(size: VitShape, seed: number): StateDict {
  let s = (seed * 0x9e3779b1 + 0x6d2b79f5) >>> 0;
  // mulberry32: fast enough to fill 86M values in about a second.
  const next = () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296 - 0.5;
  };
  const dict: StateDict = new Map();
  for (const [name, shape] of vitLayout(size)) {
    const data = new Float32Array(numelOf(shape));
    const isNorm = /norm\d?\.weight$/.test(name);
    const scale = name.endsWith('.bias') ? 0.01 : isNorm ? 0.1 : 0.07; // uniform ±scale/2
    const offset = isNorm ? 1 : 0;
    for (let i = 0; i < data.length; i++) data[i] = offset + scale * next();
    dict.set(name, { dtype: 'F32', shape, data });
  }
  return dict;
}

// ---------------------------------------------------------------------------------------------
// Child processes: `fit` builds the zoo, fits and saves; `generate` loads and writes one model.

interface FitResult {
  tokens: number;
  tokenSize: number;
  fitSeconds: number;
  fitPeakRssBytes: number;
}

interface GenerateResult {
  backendDevice: string;
  loadSeconds: number;
  baselineRssBytes: number;
  peakRssBytes: number;
  generationSeconds: number;
  fileBytes: number;
}

const maxRssBytes = () => process.resourceUsage().maxRSS * 1024;

/**
 * Fits run on the cpu backend: training runs the prior over every position with gradients,
 * and at 86M (~85K positions) Mamba's activations outgrow the wasm backend's 4 GiB heap
 * ("memory access out of bounds"). Fitting is not what this bench measures; generation is,
 * and it runs on wasm.
 */
const FIT_BACKEND = 'cpu';

async function childFit(size: VitShape, pipelineDir: string): Promise<FitResult> {
  await initBackend({ prefer: FIT_BACKEND });
  const zoo = Array.from({ length: CHECKPOINTS_PER_SIZE }, (_, i) => syntheticCheckpoint(size, i));
  const start = performance.now();
  const pipeline = await RpgPipeline.fit(zoo, GENERATOR, {
    onProgress: (p) => console.log(`fit step ${p.step}/${p.steps} loss ${p.loss.toFixed(3)}`),
  });
  const fitSeconds = (performance.now() - start) / 1000;
  await pipeline.save(pipelineDir);
  const [tokens, tokenSize] = pipeline.tokenizer.shape;
  pipeline.dispose();
  return { tokens, tokenSize, fitSeconds, fitPeakRssBytes: maxRssBytes() };
}

async function childGenerate(pipelineDir: string, outDir: string): Promise<GenerateResult> {
  const info = await initBackend({ prefer: BACKEND });
  const loadStart = performance.now();
  const pipeline = await RpgPipeline.load(pipelineDir);
  const loadSeconds = (performance.now() - loadStart) / 1000;
  const baselineRssBytes = process.memoryUsage().rss;
  const start = performance.now();
  const [path] = await pipeline.generate(outDir, {
    count: 1,
    seed: 0,
    steps: SAMPLING_STEPS,
    sampler: 'ddim',
    chunkSize: CHUNK_SIZE,
  });
  const generationSeconds = (performance.now() - start) / 1000;
  const peakRssBytes = maxRssBytes();
  pipeline.dispose();
  return {
    backendDevice: info.device,
    loadSeconds,
    baselineRssBytes,
    peakRssBytes,
    generationSeconds,
    fileBytes: statSync(path!).size,
  };
}

async function runChild(args: string[]): Promise<void> {
  const [mode, label, ...dirs] = args;
  const size = SIZES.find((s) => s.label === label)!;
  const result =
    mode === 'fit' ? await childFit(size, dirs[0]!) : await childGenerate(dirs[0]!, dirs[1]!);
  console.log(`${RESULT_MARK}${JSON.stringify(result)}`);
}

// ---------------------------------------------------------------------------------------------
// Parent: runs the children size by size, prints the table, writes the report.

type ChildOutcome<T> = { ok: true; value: T } | { ok: false; error: string };

/** Runs this file as a child in `mode`; forwards its progress lines, keeps its stderr tail. */
function spawnChild<T>(args: string[]): Promise<ChildOutcome<T>> {
  return new Promise((resolvePromise) => {
    const child = spawn(process.execPath, [...process.execArgv, thisFile, '--child', ...args], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let result: T | undefined;
    let stdoutRest = '';
    const stderrLines: string[] = [];
    let stderrRest = '';
    child.stdout.setEncoding('utf8');
    child.stdout.on('data', (text: string) => {
      const lines = (stdoutRest + text).split('\n');
      stdoutRest = lines.pop()!;
      for (const line of lines) {
        if (line.startsWith(RESULT_MARK)) result = JSON.parse(line.slice(RESULT_MARK.length)) as T;
        else if (line.trim()) process.stdout.write(`    ${line}\n`);
      }
    });
    child.stderr.setEncoding('utf8');
    child.stderr.on('data', (text: string) => {
      const lines = (stderrRest + text).split('\n');
      stderrRest = lines.pop()!;
      // On an abort Emscripten prints its whole minified module and a caret line: skip those.
      for (const line of lines) if (isMessageLine(line)) stderrLines.push(line);
      if (stderrLines.length > 200) stderrLines.splice(0, stderrLines.length - 200);
    });
    child.on('close', (code, signal) => {
      if (isMessageLine(stderrRest)) stderrLines.push(stderrRest);
      if (code === 0 && result !== undefined) {
        resolvePromise({ ok: true, value: result });
        return;
      }
      const tail = stderrLines.slice(-4);
      resolvePromise({
        ok: false,
        error: `child ${args[0]} exited with ${signal ?? `code ${code}`}: ${tail.join(' | ')}`,
      });
    });
  });
}

/** A stderr line worth quoting: not blank, not a stack frame, not minified source or banner. */
function isMessageLine(line: string): boolean {
  const t = line.trim();
  return (
    t.length > 0 &&
    t.length <= 400 &&
    !/^at /.test(t) &&
    !/^\^+$/.test(t) &&
    !/^Node\.js v/.test(t) &&
    !/\.[cm]?js:\d+$/.test(t)
  );
}

interface SizeRow {
  size: string;
  vit: { dim: number; depth: number };
  parameters: number;
  float32ModelBytes: number;
  tokens?: number;
  tokenSize?: number;
  fitSeconds?: number;
  fitPeakRssBytes?: number;
  loadSeconds?: number;
  generationSeconds?: number;
  baselineRssBytes?: number;
  peakRssBytes?: number;
  generatedFileBytes?: number;
  error?: string;
}

const mib = (bytes: number | undefined) =>
  bytes === undefined ? '—' : (bytes / 2 ** 20).toFixed(0);
const secs = (s: number | undefined) => (s === undefined ? '—' : s.toFixed(1));

async function benchSize(size: VitShape, tempRoot: string): Promise<SizeRow> {
  const parameters = parameterCount(size);
  const row: SizeRow = {
    size: size.label,
    vit: { dim: size.dim, depth: size.depth },
    parameters,
    float32ModelBytes: parameters * 4,
  };
  const pipelineDir = join(tempRoot, `pipeline-${size.label}`);
  const outDir = join(tempRoot, `generated-${size.label}`);
  try {
    console.log(`  ${size.label}: fitting (${parameters.toLocaleString('en')} parameters)`);
    const fit = await spawnChild<FitResult>(['fit', size.label, pipelineDir]);
    if (!fit.ok) return { ...row, error: `fit: ${fit.error}` };
    Object.assign(row, fit.value);
    console.log(`  ${size.label}: generating 1 model (${fit.value.tokens} tokens)`);
    const gen = await spawnChild<GenerateResult>(['generate', size.label, pipelineDir, outDir]);
    if (!gen.ok) return { ...row, error: `generate: ${gen.error}` };
    const { fileBytes, backendDevice: _device, ...rest } = gen.value;
    return { ...row, ...rest, generatedFileBytes: fileBytes };
  } finally {
    rmSync(pipelineDir, { recursive: true, force: true });
    rmSync(outDir, { recursive: true, force: true });
  }
}

function printTable(rows: SizeRow[]): void {
  const header = [
    'size',
    'params',
    'tokens',
    'f32 MiB',
    'file MiB',
    'fit s',
    'gen s',
    'base RSS MiB',
    'peak RSS MiB',
  ];
  const lines = rows.map((r) => [
    r.size,
    r.parameters.toLocaleString('en'),
    r.tokens?.toLocaleString('en') ?? '—',
    mib(r.float32ModelBytes),
    mib(r.generatedFileBytes),
    secs(r.fitSeconds),
    secs(r.generationSeconds),
    mib(r.baselineRssBytes),
    r.error ? 'FAILED' : mib(r.peakRssBytes),
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...lines.map((l) => l[i]!.length)));
  const fmt = (cells: string[]) => cells.map((c, i) => c.padStart(widths[i]!)).join('  ');
  console.log(fmt(header));
  for (const l of lines) console.log(fmt(l));
  for (const r of rows) if (r.error) console.log(`${r.size}: ${r.error}`);
}

async function main(): Promise<void> {
  const wanted = process.env.RPG_BENCH_SIZES?.split(',').map((s) => s.trim());
  const sizes = wanted ? SIZES.filter((s) => wanted.includes(s.label)) : SIZES;
  const info = await initBackend({ prefer: BACKEND });
  console.log(`rpg-scale: backend ${info.name} (${info.device}), prior ${prior}`);
  const tempRoot = mkdtempSync(join(os.tmpdir(), 'pgen-rpg-bench-'));
  const rows: SizeRow[] = [];
  const started = performance.now();
  try {
    for (const size of sizes) rows.push(await benchSize(size, tempRoot));
  } finally {
    rmSync(tempRoot, { recursive: true, force: true });
  }
  printTable(rows);

  const small = rows.find((r) => r.size === '1M');
  const large = rows.find((r) => r.size === '86M');
  const limitBytes = 2 * parameterCount(SIZES[2]!) * 4;
  const measured = small?.peakRssBytes !== undefined && large?.peakRssBytes !== undefined;
  const rssGrowthBytes = measured ? large.peakRssBytes! - small.peakRssBytes! : null;
  const withinLimit = rssGrowthBytes !== null && rssGrowthBytes < limitBytes;
  console.log(
    rssGrowthBytes === null
      ? `FAIL: peak RSS growth 1M → 86M not measured (a size failed or was not run); limit ${mib(limitBytes)} MiB`
      : `${withinLimit ? 'PASS' : 'FAIL'}: peak RSS growth 1M → 86M ${mib(rssGrowthBytes)} MiB, limit ${mib(limitBytes)} MiB (2 × the 86M model in float32)`,
  );

  const report = {
    generatedBy: 'pnpm bench:rpg',
    date: new Date().toISOString(),
    machine: {
      cpu: os.cpus()[0]?.model.trim(),
      cores: os.cpus().length,
      memoryBytes: os.totalmem(),
      platform: `${os.platform()} ${os.release()}`,
      node: process.version,
      backend: info.name,
      device: info.device,
      fitBackend: FIT_BACKEND,
      loadAverageAtEnd: os.loadavg(),
    },
    generator: GENERATOR,
    sampling: { sampler: 'ddim', steps: SAMPLING_STEPS, chunkSize: CHUNK_SIZE, count: 1 },
    checkpointsPerSize: CHECKPOINTS_PER_SIZE,
    notes: [
      'Targets: timm-style ViT (patch 16, 224×224, 197 positions, 1000 classes, MLP ratio 4); 86M is ViT-B/16 (dim 768, depth 12). Weights are seeded synthetic values.',
      'Each size is fitted and saved in one child process, then loaded and generated from (one model, streamed to a safetensors file) in a fresh child process.',
      'peakRssBytes: that child’s process.resourceUsage().maxRSS (whole lifetime: backend start, load, generation); baselineRssBytes: its RSS after loading, just before generating.',
      'rssGrowthBytes = peakRss(86M) − peakRss(1M); limitBytes = 2 × the 86M model’s float32 size.',
    ],
    totalSeconds: (performance.now() - started) / 1000,
    sizes: rows,
    rssGrowthBytes,
    limitBytes,
    withinLimit,
  };
  mkdirSync(dirname(reportPath), { recursive: true });
  const tmp = `${reportPath}.${process.pid}.tmp`;
  writeFileSync(tmp, `${JSON.stringify(report, null, 2)}\n`);
  renameSync(tmp, reportPath);
  console.log(`wrote ${reportPath}`);
  if (!withinLimit) process.exitCode = 1;
}

const childIndex = process.argv.indexOf('--child');
if (childIndex >= 0) await runChild(process.argv.slice(childIndex + 1));
else await main();
