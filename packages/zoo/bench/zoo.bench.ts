/**
 * `pnpm bench:zoo`: training throughput (images/s, batch 64, AdamW, ±2 px shifts) of every zoo
 * architecture on the wasm and cpu backends, evaluation throughput on wasm, one real collection
 * (the default 50-checkpoint mlp rpg zoo) on wasm, and the time to collect every default zoo,
 * extrapolated from the measured wasm throughputs (marked as such). Writes reports/zoo.json.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type BackendInfo, initBackend } from '@pgen/backends';
import * as tf from '@tensorflow/tfjs-core';
import {
  ARCH_NAMES,
  type ArchName,
  ClassifierTrainer,
  collectZoo,
  createModel,
  DEFAULT_COUNTS,
  headMnist,
  loadMnistSplits,
  predictLabels,
  TRAIN_RECIPES,
  ZOO_STRATEGIES,
} from '../src/index';

const here = dirname(fileURLToPath(import.meta.url));
const reportPath = resolve(here, '../../../reports/zoo.json');
const BATCH = 64;
/** Timed steps per backend and architecture: enough for a stable rate, few on the slow cpu. */
const STEPS: Record<'wasm' | 'cpu', Record<ArchName, number>> = {
  wasm: { mlp: 40, resnet: 4, vit: 6 },
  cpu: { mlp: 10, resnet: 1, vit: 1 },
};

const { train, test } = await loadMnistSplits();

async function trainThroughput(arch: ArchName, steps: number): Promise<number> {
  const model = createModel(arch);
  const trainer = new ClassifierTrainer(model, train, { batchSize: BATCH });
  await trainer.trainStep(); // warm-up: kernel setup, allocation
  const start = performance.now();
  for (let i = 0; i < steps; i++) await trainer.trainStep();
  const seconds = (performance.now() - start) / 1000;
  trainer.dispose();
  model.dispose();
  return (steps * BATCH) / seconds;
}

async function evalThroughput(arch: ArchName): Promise<number> {
  const model = createModel(arch);
  const sample = headMnist(test, 500);
  await predictLabels(model, headMnist(test, 50));
  const start = performance.now();
  await predictLabels(model, sample);
  const seconds = (performance.now() - start) / 1000;
  model.dispose();
  return sample.count / seconds;
}

const backends: Record<string, BackendInfo> = {};
const throughput: Record<string, Record<string, number>> = {};
const evalRate: Record<string, number> = {};
for (const name of ['wasm', 'cpu'] as const) {
  backends[name] = await initBackend({ prefer: name });
  for (const arch of ARCH_NAMES) {
    const ips = await trainThroughput(arch, STEPS[name][arch]);
    throughput[arch] = { ...throughput[arch], [name]: Math.round(ips * 10) / 10 };
    console.log(`train ${arch.padEnd(6)} ${name.padEnd(4)} ${ips.toFixed(1).padStart(8)} images/s`);
    if (name === 'wasm') {
      evalRate[arch] = await evalThroughput(arch);
      console.log(
        `eval  ${arch.padEnd(6)} wasm ${evalRate[arch]!.toFixed(1).padStart(8)} images/s`,
      );
    }
  }
}

await initBackend({ prefer: 'wasm' });
const out = mkdtempSync(join(os.tmpdir(), 'pgen-zoo-bench-'));
const collectStart = performance.now();
await collectZoo({ arch: 'mlp', strategy: 'rpg', out, data: { train, test } });
const measuredMlpRpg = (performance.now() - collectStart) / 1000;
rmSync(out, { recursive: true, force: true });
console.log(`collect mlp rpg (50 checkpoints, wasm): ${measuredMlpRpg.toFixed(1)} s measured`);

/** Seconds to collect a default zoo: its training steps at the measured rate, plus evaluations. */
function estimate(arch: ArchName, strategy: (typeof ZOO_STRATEGIES)[number]): number {
  const recipe = TRAIN_RECIPES[arch];
  const count = DEFAULT_COUNTS[strategy];
  const stepsPerEpoch = Math.floor(train.count / recipe.batchSize);
  const trainImages = recipe.epochs * stepsPerEpoch * recipe.batchSize;
  const runs = strategy === 'seeds' || strategy === 'tasks' ? count : 1;
  const collectSteps =
    strategy === 'rpg'
      ? count * Math.max(1, Math.floor(stepsPerEpoch / count))
      : strategy === 'pdiff'
        ? count
        : 0;
  const ips = throughput[arch]!.wasm!;
  const evals = (count * test.count) / evalRate[arch]!;
  // Per-epoch test evaluation during training.
  const epochEvals = (runs * recipe.epochs * test.count) / evalRate[arch]!;
  return (runs * trainImages + collectSteps * recipe.batchSize) / ips + evals + epochEvals;
}

const collection: Record<string, Record<string, { seconds: number; method: string }>> = {};
for (const arch of ARCH_NAMES) {
  for (const strategy of ZOO_STRATEGIES) {
    const seconds =
      arch === 'mlp' && strategy === 'rpg' ? measuredMlpRpg : Math.round(estimate(arch, strategy));
    collection[arch] = { ...collection[arch] };
    collection[arch]![strategy] = {
      seconds: Math.round(seconds * 10) / 10,
      method:
        arch === 'mlp' && strategy === 'rpg' ? 'measured (one full run on wasm)' : 'extrapolated',
    };
    console.log(
      `collect ${arch.padEnd(6)} ${strategy.padEnd(5)} ${(seconds / 60).toFixed(1).padStart(7)} min (${collection[arch]![strategy]!.method})`,
    );
  }
}

const cpus = os.cpus();
const report = {
  date: new Date().toISOString(),
  machine: {
    cpu: `${cpus[0]?.model.trim() ?? 'unknown'} (${cpus.length} cores)`,
    node: process.version,
    note: 'cores are shared with other jobs; rates vary with load',
  },
  backends: Object.fromEntries(Object.entries(backends).map(([k, v]) => [k, v.device])),
  batchSize: BATCH,
  trainImagesPerSecond: throughput,
  evalImagesPerSecondWasm: Object.fromEntries(
    Object.entries(evalRate).map(([k, v]) => [k, Math.round(v)]),
  ),
  collection: {
    backend: 'wasm',
    extrapolation:
      'seconds = (runs·epochs·8000 + collection steps·batch) / measured wasm training images/s + (checkpoints + runs·epochs)·2000 / measured eval images/s; recipes from TRAIN_RECIPES',
    zoos: collection,
  },
  tensorsAtEnd: tf.memory().numTensors,
};
mkdirSync(dirname(reportPath), { recursive: true });
writeFileSync(reportPath, `${JSON.stringify(report, null, 2)}\n`);
console.log(`wrote ${reportPath}`);
