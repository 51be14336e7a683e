import { mkdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { type LoraConfig, loraConfigToJson, parseLoraConfig } from '@pgen/checkpoint-io';
import {
  type DdpmScheduler,
  type DenoiserModule,
  loadDenoiser,
  loadScheduler,
  type Scheduler,
  saveDenoiser,
} from '@pgen/diffusion-core';
import { loadAutoencoder, type ParameterAutoencoder, saveAutoencoder } from '@pgen/latent-ae';
import { type AnyTaskEncoder, loadTaskEncoder, saveTaskEncoder } from '@pgen/task-encoder';
import { TensorTokenizer } from '@pgen/tensor-tokenizer';
import { missingEntries } from '../missing-entries';
import { writeTextAtomic } from '../rpg/write-text-atomic';
import { type CondPdiffConfig, resolveCondPdiffConfig } from './cond-pdiff-config';
import { CondPdiffError } from './cond-pdiff-error';
import type { CondPdiffTask } from './cond-pdiff-task';
import type { LatentStatistics } from './latent-statistics';

/** How a fit went (informative). */
export interface CondPdiffFitInfo {
  /** Wall-clock seconds of each phase (0 for a reused autoencoder). */
  seconds: { autoencoder: number; diffusion: number };
  /** Last-step losses: autoencoder reconstruction MSE (normalised units) and diffusion loss. */
  finalLoss: { autoencoder: number; diffusion: number };
  /** Adapters and tasks trained on. */
  adapters: number;
  backend: string;
}

/** Everything a fitted COND P-DIFF pipeline is made of. */
export interface CondPdiffParts {
  config: CondPdiffConfig;
  tokenizer: TensorTokenizer;
  autoencoder: ParameterAutoencoder;
  encoder: AnyTaskEncoder;
  denoiser: DenoiserModule;
  scheduler: Scheduler | DdpmScheduler;
  latentStatistics: LatentStatistics;
  /** The training tasks, in the order the embedding condition numbers them. */
  tasks: CondPdiffTask[];
  /** The PEFT config every generated adapter is written with (the zoo's). */
  loraConfig: LoraConfig;
  fitInfo?: CondPdiffFitInfo;
}

/** File and folder names inside a saved pipeline. */
export const COND_PDIFF_FILES = {
  config: 'cond_pdiff_config.json',
  tokenizer: 'tokenizer.safetensors',
  autoencoder: 'autoencoder',
  encoder: 'task_encoder',
  denoiser: 'denoiser',
  scheduler: 'scheduler',
} as const;

const FORMAT = 'pgen-cond-pdiff';

interface CondPdiffConfigFile {
  format: typeof FORMAT;
  version: 1;
  config: CondPdiffConfig;
  tasks: CondPdiffTask[];
  latentStatistics: LatentStatistics;
  loraConfig: Record<string, unknown>;
  fitInfo?: CondPdiffFitInfo;
}

/**
 * Writes the pipeline folder: tokenizer, autoencoder, task encoder, denoiser and scheduler,
 * then `cond_pdiff_config.json` last, each file atomically; a folder without the config is
 * never taken for a complete pipeline.
 */
export async function saveCondPdiffParts(dir: string, parts: CondPdiffParts): Promise<void> {
  await mkdir(dir, { recursive: true });
  await parts.tokenizer.save(join(dir, COND_PDIFF_FILES.tokenizer));
  await saveAutoencoder(join(dir, COND_PDIFF_FILES.autoencoder), parts.autoencoder);
  await saveTaskEncoder(join(dir, COND_PDIFF_FILES.encoder), parts.encoder as never);
  await saveDenoiser(join(dir, COND_PDIFF_FILES.denoiser), parts.denoiser);
  await parts.scheduler.save(join(dir, COND_PDIFF_FILES.scheduler));
  const file: CondPdiffConfigFile = {
    format: FORMAT,
    version: 1,
    config: parts.config,
    tasks: parts.tasks,
    latentStatistics: parts.latentStatistics,
    loraConfig: loraConfigToJson(parts.loraConfig),
    ...(parts.fitInfo ? { fitInfo: parts.fitInfo } : {}),
  };
  await writeTextAtomic(join(dir, COND_PDIFF_FILES.config), `${JSON.stringify(file, null, 2)}\n`);
}

/** Reads a folder {@link saveCondPdiffParts} wrote; names every missing part in one error. */
export async function loadCondPdiffParts(dir: string): Promise<CondPdiffParts> {
  const missing = await missingEntries(dir, Object.values(COND_PDIFF_FILES));
  if (missing.length > 0) {
    throw new CondPdiffError(
      `${dir}: not a complete COND P-DIFF pipeline folder (missing ${missing.join(', ')})`,
    );
  }
  const configPath = join(dir, COND_PDIFF_FILES.config);
  let file: CondPdiffConfigFile;
  try {
    file = JSON.parse(await readFile(configPath, 'utf8')) as CondPdiffConfigFile;
  } catch (error) {
    throw new CondPdiffError(`${configPath}: unreadable (${(error as Error).message})`);
  }
  if (file.format !== FORMAT || file.version !== 1) {
    throw new CondPdiffError(
      `${configPath}: not a COND P-DIFF pipeline config (format ${String(file.format)})`,
    );
  }
  const config = resolveCondPdiffConfig(file.config);
  if (!Array.isArray(file.tasks) || file.tasks.length === 0) {
    throw new CondPdiffError(`${configPath}: no training tasks recorded`);
  }
  const loraConfig = parseLoraConfig(file.loraConfig, configPath);
  const tokenizer = await TensorTokenizer.load(join(dir, COND_PDIFF_FILES.tokenizer));
  const autoencoder = await loadAutoencoder(join(dir, COND_PDIFF_FILES.autoencoder));
  const encoder = await loadTaskEncoder(join(dir, COND_PDIFF_FILES.encoder));
  encoder.eval();
  const denoiser = await loadDenoiser(join(dir, COND_PDIFF_FILES.denoiser));
  denoiser.eval();
  const scheduler = await loadScheduler(join(dir, COND_PDIFF_FILES.scheduler));
  return {
    config,
    tokenizer,
    autoencoder,
    encoder,
    denoiser,
    scheduler,
    latentStatistics: file.latentStatistics,
    tasks: file.tasks,
    loraConfig,
    fitInfo: file.fitInfo,
  };
}
