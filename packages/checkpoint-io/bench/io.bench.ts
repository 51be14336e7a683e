/**
 * `pnpm bench:io`: read and write throughput (MB/s) and peak RSS for a 1 GB safetensors file,
 * whole (in memory) and streamed (one tensor at a time). Each phase runs in its own child
 * process so its peak RSS is its own. Writes `<repo root>/reports/checkpoint-io.json`.
 *
 * Environment: BENCH_IO_MB (file size in MB, default 1024), BENCH_IO_TENSOR_MB (tensor size,
 * default 16).
 */
import { fork } from 'node:child_process';
import { mkdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir, totalmem } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  openSafetensors,
  readSafetensors,
  SafetensorsStreamWriter,
  writeSafetensors,
} from '../src/index';
import type { StateDict } from '../src/state-dict';

const MB = 1024 * 1024;
const TOTAL_MB = Number(process.env.BENCH_IO_MB ?? 1024);
const TENSOR_MB = Number(process.env.BENCH_IO_TENSOR_MB ?? 16);
const TENSORS = Math.max(1, Math.round(TOTAL_MB / TENSOR_MB));
const ELEMENTS = (TENSOR_MB * MB) / 4;
const STREAMED_RSS_LIMIT_MB = 200;

type Phase = 'stream-write' | 'stream-read' | 'whole-read' | 'whole-write';
interface PhaseResult {
  phase: Phase;
  seconds: number;
  megabytes: number;
  mbPerSecond: number;
  peakRssMB: number;
}

const declarations = () =>
  Array.from({ length: TENSORS }, (_, i) => ({
    name: `layers.${String(i).padStart(4, '0')}.weight`,
    dtype: 'F32' as const,
    shape: [ELEMENTS],
  }));

/** Cheap, non-constant content: tensor i holds i + j·1e-6. */
function fill(data: Float32Array, i: number): void {
  for (let j = 0; j < data.length; j++) data[j] = i + j * 1e-6;
}

async function runPhase(phase: Phase, path: string): Promise<PhaseResult> {
  const start = process.hrtime.bigint();
  let bytes = 0;
  if (phase === 'stream-write') {
    const writer = await SafetensorsStreamWriter.create(path, declarations());
    const buffer = new Float32Array(ELEMENTS);
    for (const [i, d] of declarations().entries()) {
      fill(buffer, i);
      await writer.writeTensor(d.name, buffer);
      bytes += buffer.byteLength;
    }
    await writer.close();
  } else if (phase === 'stream-read') {
    const file = await openSafetensors(path);
    // One reused buffer: memory stays at one tensor however large the file is.
    const buffer = new Uint8Array(file.maxTensorBytes);
    let checksum = 0;
    for (const name of file.names) {
      const raw = await file.readTensorBytes(name, buffer);
      checksum += new Float32Array(raw.buffer, raw.byteOffset, raw.length / 4)[1]!;
      bytes += raw.length;
    }
    await file.close();
    if (!Number.isFinite(checksum)) throw new Error('bad data');
  } else if (phase === 'whole-read') {
    const { tensors } = await readSafetensors(path);
    for (const t of tensors.values()) bytes += t.data.byteLength;
  } else {
    const tensors: StateDict = new Map();
    for (const [i, d] of declarations().entries()) {
      const data = new Float32Array(ELEMENTS);
      fill(data, i);
      tensors.set(d.name, { dtype: 'F32', shape: d.shape, data });
    }
    // Only the write is timed; building the model in memory is not I/O.
    const writeStart = process.hrtime.bigint();
    await writeSafetensors(path, tensors);
    const seconds = Number(process.hrtime.bigint() - writeStart) / 1e9;
    for (const t of tensors.values()) bytes += t.data.byteLength;
    return result(phase, seconds, bytes);
  }
  return result(phase, Number(process.hrtime.bigint() - start) / 1e9, bytes);
}

function result(phase: Phase, seconds: number, bytes: number): PhaseResult {
  const megabytes = bytes / MB;
  // maxRSS is in KiB and is the peak over this (child) process's life.
  const peakRssMB = process.resourceUsage().maxRSS / 1024;
  return { phase, seconds, megabytes, mbPerSecond: megabytes / seconds, peakRssMB };
}

function runChild(phase: Phase, path: string): Promise<PhaseResult> {
  return new Promise((resolvePhase, reject) => {
    const child = fork(fileURLToPath(import.meta.url), ['--phase', phase, path], {
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    });
    child.once('message', (m) => resolvePhase(m as PhaseResult));
    child.once('exit', (code) =>
      code === 0 ? undefined : reject(new Error(`phase ${phase} exited with ${code}`)),
    );
    child.once('error', reject);
  });
}

async function main(): Promise<void> {
  const phaseIndex = process.argv.indexOf('--phase');
  if (phaseIndex >= 0) {
    const r = await runPhase(process.argv[phaseIndex + 1] as Phase, process.argv[phaseIndex + 2]!);
    process.send!(r);
    return;
  }
  const work = join(tmpdir(), `pgen-bench-io-${process.pid}`);
  mkdirSync(work, { recursive: true });
  const streamed = join(work, 'streamed.safetensors');
  const whole = join(work, 'whole.safetensors');
  const results: PhaseResult[] = [];
  try {
    for (const [phase, path] of [
      ['stream-write', streamed],
      ['stream-read', streamed],
      ['whole-read', streamed],
      ['whole-write', whole],
    ] as const) {
      const r = await runChild(phase, path);
      results.push(r);
      console.log(
        `${phase.padEnd(13)} ${r.megabytes.toFixed(0)} MB in ${r.seconds.toFixed(2)} s: ${r.mbPerSecond.toFixed(0)} MB/s, peak RSS ${r.peakRssMB.toFixed(0)} MB`,
      );
    }
    const fileBytes = statSync(streamed).size;
    const streamedPeak = Math.max(
      ...results.filter((r) => r.phase.startsWith('stream')).map((r) => r.peakRssMB),
    );
    const report = {
      benchmark: 'checkpoint-io',
      date: new Date().toISOString(),
      machine: {
        cpu: cpus()[0]?.model ?? 'unknown',
        cores: cpus().length,
        memoryGB: Math.round(totalmem() / 1024 ** 3),
        platform: `${process.platform}-${process.arch}`,
        node: process.version,
      },
      file: { bytes: fileBytes, tensors: TENSORS, tensorMB: TENSOR_MB, dtype: 'F32' },
      note: 'Reads follow the write of the same file, so they are mostly served from the page cache.',
      results,
      streamedPeakRssMB: streamedPeak,
      streamedPeakRssLimitMB: STREAMED_RSS_LIMIT_MB,
      streamedPeakRssOk: streamedPeak < STREAMED_RSS_LIMIT_MB,
    };
    const out = resolve(
      dirname(fileURLToPath(import.meta.url)),
      '../../../reports/checkpoint-io.json',
    );
    mkdirSync(dirname(out), { recursive: true });
    writeFileSync(out, `${JSON.stringify(report, null, 2)}\n`);
    console.log(
      `streamed peak RSS ${streamedPeak.toFixed(0)} MB (limit ${STREAMED_RSS_LIMIT_MB} MB): ${report.streamedPeakRssOk ? 'ok' : 'OVER'}`,
    );
    console.log(`wrote ${out}`);
    if (!report.streamedPeakRssOk) process.exitCode = 1;
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

await main();
