/**
 * `pnpm bench:diffusion`: training steps/s and sampling tokens/s of each denoiser at token sizes
 * 256, 1024 and 8192, on every backend available here (WebGPU included where an adapter exists;
 * a software adapter is marked as such). Batches shrink where one forward pass is slow, so the
 * whole run stays within minutes on a 2-core CPU; the batch used is reported. Writes
 * reports/diffusion.json.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  type BackendName,
  BackendUnavailableError,
  initBackend,
  releaseBackend,
} from '@pgen/backends';
import * as tf from '@tensorflow/tfjs-core';
import {
  asDenoiser,
  ConditionalUnet1d,
  DdpmScheduler,
  type DenoiserModule,
  DenoiserTrainer,
  MlpDenoiser,
  OneDimCnn,
  sample,
} from '../dist/index.js';

const here = dirname(fileURLToPath(import.meta.url));
const reportPath = resolve(here, '../../../reports/diffusion.json');
const TOKEN_SIZES = [256, 1024, 8192];
const CONDITION_DIM = 64;
const SAMPLING_STEPS = 10;
/** Rough wall-time budget per measurement, in ms. */
const BUDGET_MS = 4000;
/** A configuration whose single-token forward pass exceeds this is measured no further. */
const SKIP_FORWARD_MS = 8000;

const denoisers: Record<string, (tokenSize: number) => DenoiserModule> = {
  ConditionalUnet1d: (tokenSize) =>
    new ConditionalUnet1d({ tokenSize, conditionDim: CONDITION_DIM }),
  OneDimCnn: (dim) => new OneDimCnn({ dim, conditionDim: CONDITION_DIM }),
  MlpDenoiser: (dim) => new MlpDenoiser({ dim, conditionDim: CONDITION_DIM }),
};

async function timeForward(
  model: DenoiserModule,
  batch: number,
  tokenSize: number,
): Promise<number> {
  const x = tf.randomNormal([batch, tokenSize]);
  const t = tf.fill([batch], 500, 'int32');
  const c = tf.randomNormal([batch, CONDITION_DIM]);
  const start = performance.now();
  const y = model.forward(x, t, c);
  await y.data();
  const ms = performance.now() - start;
  tf.dispose([x, t, c, y]);
  return ms;
}

/**
 * The single-token forward time and the largest power-of-two batch ≤ 64 whose forward pass
 * fits a tenth of the budget.
 */
async function pickBatch(model: DenoiserModule, tokenSize: number) {
  model.eval();
  await timeForward(model, 1, tokenSize); // warm-up: kernels, shaders
  const single = await timeForward(model, 1, tokenSize);
  let batch = 1;
  while (batch < 64 && single * batch * 2 < BUDGET_MS / 10) batch *= 2;
  return { single, batch };
}

async function benchOne(name: string, tokenSize: number) {
  const model = denoisers[name]!(tokenSize);
  const { single, batch } = await pickBatch(model, tokenSize);
  if (single > SKIP_FORWARD_MS) {
    const parameters = model.numParameters();
    model.dispose();
    return {
      denoiser: name,
      tokenSize,
      parameters,
      skipped: `one token's forward pass took ${(single / 1000).toFixed(1)} s; training and sampling not measured`,
      forwardMsOneToken: single,
    };
  }
  const scheduler = new DdpmScheduler();
  const trainer = new DenoiserTrainer({ scheduler, denoiser: model, seed: 1 });
  const x0 = tf.randomNormal([batch, tokenSize]);
  const condition = tf.randomNormal([batch, CONDITION_DIM]);
  await trainer.trainStep({ x0, condition }); // warm-up
  const trainTimes: number[] = [];
  for (let spent = 0; trainTimes.length < 2 || (spent < BUDGET_MS && trainTimes.length < 20); ) {
    const start = performance.now();
    await trainer.trainStep({ x0, condition });
    const ms = performance.now() - start;
    trainTimes.push(ms);
    spent += ms;
  }
  trainTimes.sort((a, b) => a - b);
  const trainMs = trainTimes[Math.floor(trainTimes.length / 2)]!;
  model.eval();
  const start = performance.now();
  const samples = await sample({
    scheduler,
    model: asDenoiser(model),
    shape: [batch, tokenSize],
    condition,
    sampler: 'ddim',
    steps: SAMPLING_STEPS,
    seed: 2,
    chunkSize: batch,
  });
  await samples.data();
  const sampleMs = performance.now() - start;
  tf.dispose([x0, condition, samples]);
  trainer.dispose();
  const parameters = model.numParameters();
  model.dispose();
  return {
    denoiser: name,
    tokenSize,
    parameters,
    forwardMsOneToken: single,
    batch,
    trainStepMs: trainMs,
    trainStepsPerSecond: 1000 / trainMs,
    trainTokensPerSecond: (1000 * batch) / trainMs,
    samplingSteps: SAMPLING_STEPS,
    sampleMs,
    sampleTokensPerSecond: (1000 * batch) / sampleMs,
  };
}

async function main() {
  const results: Record<string, unknown> = {};
  for (const backend of ['webgpu', 'wasm', 'cpu'] as BackendName[]) {
    let device: string;
    let software = false;
    try {
      const info = await initBackend({ prefer: backend });
      device = info.device;
      software = info.software;
    } catch (error) {
      if (!(error instanceof BackendUnavailableError)) throw error;
      console.log(`${backend}: unavailable (${error.reason})`);
      results[backend] = { available: false, reason: error.reason };
      continue;
    }
    console.log(`${backend}: ${device}${software ? ' [software adapter]' : ''}`);
    const rows = [];
    for (const name of Object.keys(denoisers)) {
      for (const tokenSize of TOKEN_SIZES) {
        const r = await benchOne(name, tokenSize);
        rows.push(r);
        const label = `  ${name.padEnd(18)} token ${String(tokenSize).padStart(5)}`;
        if ('skipped' in r) console.log(`${label}  skipped: ${r.skipped}`);
        else {
          console.log(
            `${label}  batch ${String(r.batch).padStart(2)}  train ${r.trainStepsPerSecond.toFixed(2).padStart(8)} steps/s (${r.trainTokensPerSecond.toFixed(1)} tokens/s)  sample DDIM-${SAMPLING_STEPS} ${r.sampleTokensPerSecond.toFixed(1).padStart(8)} tokens/s`,
          );
        }
      }
    }
    results[backend] = { available: true, device, software, rows };
    writeReport(results);
  }
  await releaseBackend();
  writeReport(results);
  console.log(`wrote ${reportPath}`);
}

/** Written after every backend, so a long run that is stopped keeps what it measured. */
function writeReport(results: Record<string, unknown>): void {
  const report = {
    generatedBy: 'pnpm bench:diffusion',
    date: new Date().toISOString(),
    machine: {
      cpu: os.cpus()[0]?.model.trim(),
      cores: os.cpus().length,
      platform: `${os.platform()} ${os.release()}`,
      node: process.version,
      loadAverageAtEnd: os.loadavg(),
    },
    notes: [
      'Train: one DenoiserTrainer step (AdamW, clip 1, epsilon loss) on `batch` tokens; median over up to 20 steps.',
      `Sample: DDIM with ${SAMPLING_STEPS} steps over \`batch\` tokens, one chunk.`,
      'Batch is the largest power of two ≤ 64 whose forward pass fits ~0.4 s, so slow configurations run on fewer tokens.',
      `Condition width ${CONDITION_DIM}; default channels (ConditionalUnet1d [1,32,64,128,64,32,1], OneDimCnn [1,64,128,256,128,64,1], MLP hidden 256 × 3 blocks).`,
    ],
    backends: results,
  };
  mkdirSync(dirname(reportPath), { recursive: true });
  writeFileSync(reportPath, `${JSON.stringify(report, null, 2)}\n`);
}

await main();
