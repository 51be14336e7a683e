// Fits the RPG experiment pipelines on the lent GPU machine (tfjs-webgpu over Dawn/Vulkan)
// within a time budget, saves each pipeline folder under --out, and prints a table last.
// Pack with ../shared/gpu/pack.sh packages/pipelines/gpu/rpg-fit-gpu.ts; zoos travel as packs
// written by gpu/pack-zoos.ts. Locally: --backend cpu|wasm|webgpu --tiny checks it end to end.
import { join } from 'node:path';
import { initBackend, provideWebgpuModule, releaseBackend } from '@pgen/backends';
import * as webgpu from 'webgpu';
import type { RpgConfig, RpgPriorKind } from '../src/rpg/rpg-config';
import { RpgPipeline } from '../src/rpg/rpg-pipeline';
import { unpackZoo } from './zoo-pack';

interface Job {
  name: string;
  zoo: string;
  prior: RpgPriorKind;
  /** Share of the whole budget, or the name of the job whose step count this one repeats. */
  share?: number;
  sameStepsAs?: string;
}

const JOBS: Job[] = [
  { name: 'resnet-mamba', zoo: 'resnet-rpg', prior: 'mamba', share: 0.36 },
  { name: 'vit-mamba', zoo: 'vit-rpg', prior: 'mamba', share: 0.28 },
  { name: 'resnet-none', zoo: 'resnet-rpg', prior: 'none', sameStepsAs: 'resnet-mamba' },
  { name: 'resnet-lstm', zoo: 'resnet-rpg', prior: 'lstm', sameStepsAs: 'resnet-mamba' },
];

const args = new Map<string, string>();
const argv = process.argv.slice(2);
for (let i = 0; i < argv.length; i++) {
  if (argv[i]!.startsWith('--'))
    args.set(argv[i]!.slice(2), argv[i + 1]?.startsWith('--') ? '1' : (argv[++i] ?? '1'));
}
const budget = Number(args.get('budget') ?? 420);
const dataDir = args.get('data') ?? '.gpu-data';
const outDir = args.get('out') ?? process.env.OUT ?? 'gpu-out';
const tiny = args.has('tiny');
const only = args.get('only')?.split(',');

const base: Partial<RpgConfig> = tiny
  ? { tokenSize: 512, dModel: 32, dPos: 16, unetChannels: [1, 8, 1], tokensPerStep: 16 }
  : {
      tokenSize: 512,
      dModel: 256,
      dPos: 64,
      priorLayers: 2,
      denoiser: 'unet',
      unetChannels: [1, 32, 64, 32, 1],
      tokensPerStep: 256,
      lr: 1e-3,
    };

const started = Date.now();
const elapsed = () => (Date.now() - started) / 1000;
if (args.get('backend') === undefined || args.get('backend') === 'webgpu')
  provideWebgpuModule(webgpu);
const backend = await initBackend({ prefer: (args.get('backend') ?? 'webgpu') as 'webgpu' });
console.log(`backend ${backend.name}: ${backend.device}`);

const rows: string[] = [];
const stepsOf = new Map<string, number>();
const zoos = new Map<string, Awaited<ReturnType<typeof unpackZoo>>>();
for (const job of JOBS) {
  if (only && !only.includes(job.name)) continue;
  if (!zoos.has(job.zoo))
    zoos.set(job.zoo, await unpackZoo(join(dataDir, `${job.zoo}.zoopack.safetensors`)));
  const zoo = zoos.get(job.zoo)!;
  const config = { ...base, prior: job.prior };
  // Calibrate: a short fit (shader compilation included) gives the pace of a step.
  const stamps: number[] = [];
  const probe = await RpgPipeline.fit(
    zoo,
    { ...config, steps: 12, warmupSteps: 0 },
    {
      onProgress: () => stamps.push(Date.now()),
    },
  );
  probe.dispose();
  const pace = (stamps[11]! - stamps[5]!) / 6 / 1000;
  const left = budget - elapsed();
  let steps: number;
  if (job.sameStepsAs) {
    steps = stepsOf.get(job.sameStepsAs) ?? 0;
    if (steps === 0 || steps * pace > left - 20) {
      const line = `${job.name}: skipped, ${steps} steps at ${(pace * 1000).toFixed(0)} ms/step need ${(steps * pace).toFixed(0)} s, ${left.toFixed(0)} s left`;
      console.log(line);
      rows.push(line);
      continue;
    }
  } else {
    steps = Math.max(50, Math.floor((budget * job.share! - 5) / pace));
    if (tiny) steps = Math.min(steps, 30);
  }
  stepsOf.set(job.name, steps);
  console.log(
    `${job.name}: ${zoo.length} checkpoints, ${(pace * 1000).toFixed(1)} ms/step, fitting ${steps} steps`,
  );
  const t0 = Date.now();
  let lossSum = 0;
  let lossCount = 0;
  const pipeline = await RpgPipeline.fit(
    zoo,
    { ...config, steps },
    {
      onProgress: (p) => {
        lossSum += p.loss;
        lossCount++;
        if (p.step % Math.max(1, Math.floor(steps / 10)) === 0 || p.step === steps) {
          console.log(
            `  ${job.name} step ${p.step}/${steps} loss(avg) ${(lossSum / lossCount).toFixed(4)} eta ${p.etaSeconds.toFixed(0)} s`,
          );
          lossSum = 0;
          lossCount = 0;
        }
      },
    },
  );
  const fitSeconds = (Date.now() - t0) / 1000;
  await pipeline.save(join(outDir, job.name));
  pipeline.dispose();
  const line = `${job.name}: ${steps} steps in ${fitSeconds.toFixed(0)} s (${((fitSeconds / steps) * 1000).toFixed(1)} ms/step), tokens ${JSON.stringify(pipeline.tokenizer.shape)}`;
  console.log(line);
  rows.push(line);
}
console.log(`\n== RPG fits on ${backend.device} (${elapsed().toFixed(0)} s) ==`);
for (const r of rows) console.log(r);
await releaseBackend();
delete (globalThis as { navigator?: unknown }).navigator;
