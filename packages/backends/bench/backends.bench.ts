/**
 * `pnpm bench:backends`: matmul GFLOP/s (plain and transposed, 256–1024) and the time of one
 * MLP training step (Adam, batch 256, 256→1024→256) on every backend available here, plus the
 * wasm backend with tfjs's stock matmul kernels for comparison. Writes reports/backends.json.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as tf from '@tensorflow/tfjs-core';
import {
  type BackendInfo,
  type BackendName,
  BackendUnavailableError,
  initBackend,
  releaseBackend,
} from '../dist/index.js';

const here = dirname(fileURLToPath(import.meta.url));
const reportPath = resolve(here, '../../../reports/backends.json');
const SIZES = [256, 512, 1024];
const VARIANTS = [
  { name: 'plain', tA: false, tB: false },
  { name: 'transposeA', tA: true, tB: false },
  { name: 'transposeB', tA: false, tB: true },
] as const;

/** Median wall time of `fn` (awaiting its result's data) over enough runs to fill ~`budgetMs`. */
async function timeIt(fn: () => tf.Tensor, budgetMs = 600, maxRuns = 20): Promise<number> {
  const once = async () => {
    const start = performance.now();
    const out = fn();
    await out.data();
    out.dispose();
    return performance.now() - start;
  };
  await once(); // warm-up: shader compilation, wasm setup, allocation
  const times: number[] = [];
  let spent = 0;
  while (times.length < 3 || (spent < budgetMs && times.length < maxRuns)) {
    const t = await once();
    times.push(t);
    spent += t;
  }
  times.sort((a, b) => a - b);
  return times[Math.floor(times.length / 2)]!;
}

async function benchMatmul(log: (line: string) => void) {
  const rows: { n: number; variant: string; ms: number; gflops: number }[] = [];
  for (const n of SIZES) {
    const a = tf.randomNormal([n, n]);
    const b = tf.randomNormal([n, n]);
    for (const v of VARIANTS) {
      const ms = await timeIt(() => tf.matMul(a, b, v.tA, v.tB));
      const gflops = (2 * n ** 3) / (ms * 1e6);
      rows.push({ n, variant: v.name, ms, gflops });
      log(
        `  matMul ${n}³ ${v.name.padEnd(10)} ${ms.toFixed(2).padStart(9)} ms ${gflops.toFixed(2).padStart(8)} GFLOP/s`,
      );
    }
    tf.dispose([a, b]);
  }
  return rows;
}

/** One Adam step of a 256→1024→256 ReLU MLP on batch 256 with MSE loss, and its six matmuls alone. */
async function benchMlpStep(log: (line: string) => void) {
  const batch = 256;
  const x = tf.randomNormal([batch, 256]);
  const y = tf.randomNormal([batch, 256]);
  const w1 = tf.variable(tf.randomNormal([256, 1024], 0, 0.05));
  const b1 = tf.variable(tf.zeros([1024]));
  const w2 = tf.variable(tf.randomNormal([1024, 256], 0, 0.05));
  const b2 = tf.variable(tf.zeros([256]));
  const optimizer = tf.train.adam(1e-3);
  const step = () =>
    optimizer.minimize(() => {
      const h = tf.relu(tf.add(tf.matMul(x, w1), b1));
      return tf.losses.meanSquaredError(y, tf.add(tf.matMul(h, w2), b2)) as tf.Scalar;
    }, true)!;
  const stepMs = await timeIt(step, 1500);

  // The forward and backward products of that step, with the transpose flags autodiff uses.
  const h = tf.randomNormal([batch, 1024]);
  const dOut = tf.randomNormal([batch, 256]);
  const dH = tf.randomNormal([batch, 1024]);
  const products = [
    () => tf.matMul(x, w1),
    () => tf.matMul(h, w2),
    () => tf.matMul(dOut, w2, false, true),
    () => tf.matMul(h, dOut, true, false),
    () => tf.matMul(x, dH, true, false),
    () => tf.matMul(dH, w1, false, true),
  ];
  let matmulMs = 0;
  for (const p of products) matmulMs += await timeIt(p, 300);
  const forwardMs = (await timeIt(products[0]!, 300)) + (await timeIt(products[1]!, 300));
  log(
    `  MLP step (Adam, batch 256, 256→1024→256): ${stepMs.toFixed(1)} ms; its 6 matmuls alone ${matmulMs.toFixed(1)} ms (ratio ${(stepMs / matmulMs).toFixed(2)}); forward matmuls ${forwardMs.toFixed(1)} ms (step/forward ${(stepMs / forwardMs).toFixed(1)})`,
  );
  optimizer.dispose();
  tf.dispose([x, y, w1, b1, w2, b2, h, dOut, dH]);
  return {
    stepMs,
    matmulMs,
    forwardMs,
    stepOverMatmul: stepMs / matmulMs,
    stepOverForward: stepMs / forwardMs,
  };
}

const ORIGINAL = Symbol.for('pgen.originalKernelFunc');

/** Runs `fn` with tfjs's own wasm matmul kernels in place of pgen's, for the before/after figures. */
async function withStockWasmMatmul<T>(fn: () => Promise<T>): Promise<T> {
  const saved = ['BatchMatMul', '_FusedMatMul'].map((name) => tf.getKernel(name, 'wasm')!);
  for (const config of saved) {
    const original = (config.kernelFunc as unknown as Record<symbol, tf.KernelFunc>)[ORIGINAL];
    if (!original) throw new Error(`${config.kernelName} on wasm is not pgen's wrapper`);
    tf.unregisterKernel(config.kernelName, 'wasm');
    tf.registerKernel({ ...config, kernelFunc: original });
  }
  try {
    return await fn();
  } finally {
    for (const config of saved) {
      tf.unregisterKernel(config.kernelName, 'wasm');
      tf.registerKernel(config);
    }
  }
}

async function main() {
  const lines: string[] = [];
  const log = (line: string) => {
    console.log(line);
    lines.push(line);
  };
  const results: Record<string, unknown> = {};
  for (const name of ['tensorflow', 'webgpu', 'wasm', 'cpu'] as BackendName[]) {
    let info: BackendInfo;
    try {
      info = await initBackend({ prefer: name });
    } catch (error) {
      if (!(error instanceof BackendUnavailableError)) throw error;
      log(`${name}: unavailable (${error.reason})`);
      results[name] = { available: false, reason: error.reason };
      continue;
    }
    log(
      `${name}: ${info.device}${info.software ? ' [software adapter: conformance only, not speed]' : ''}`,
    );
    const matmul = await benchMatmul(log);
    const mlpStep = await benchMlpStep(log);
    results[name] = {
      available: true,
      device: info.device,
      software: info.software,
      matmul,
      mlpStep,
    };
    if (name === 'wasm') {
      log("wasm with tfjs stock matmul kernels (before pgen's transposed-matmul fix):");
      const stock = await withStockWasmMatmul(async () => ({
        matmul: await benchMatmul(log),
        mlpStep: await benchMlpStep(log),
      }));
      results['wasm-stock-kernels'] = {
        available: true,
        device: info.device,
        software: false,
        ...stock,
      };
    }
  }
  await releaseBackend();
  const report = {
    generatedBy: 'pnpm bench:backends',
    date: new Date().toISOString(),
    machine: {
      cpu: os.cpus()[0]?.model.trim(),
      cores: os.cpus().length,
      memoryGiB: Math.round(os.totalmem() / 2 ** 30),
      platform: `${os.platform()} ${os.release()}`,
      node: process.version,
    },
    backends: results,
  };
  mkdirSync(dirname(reportPath), { recursive: true });
  writeFileSync(reportPath, `${JSON.stringify(report, null, 2)}\n`);
  console.log(`wrote ${reportPath}`);
}

await main();
