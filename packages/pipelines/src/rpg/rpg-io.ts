import { mkdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { readSafetensors, writeSafetensors } from '@pgen/checkpoint-io';
import {
  type DdpmScheduler,
  type DenoiserModule,
  loadDenoiser,
  loadScheduler,
  type Scheduler,
  saveDenoiser,
} from '@pgen/diffusion-core';
import type { PretrainResult } from '@pgen/task-encoder';
import { TensorTokenizer } from '@pgen/tensor-tokenizer';
import { missingEntries } from '../missing-entries';
import { PrototypeNetwork, type PrototypeNetworkConfig } from './prototype-network';
import { type RpgConfig, resolveSavedRpgConfig } from './rpg-config';
import { RpgError } from './rpg-error';
import { writeTextAtomic } from './write-text-atomic';

/** Everything a fitted RPG pipeline is made of. */
export interface RpgPipelineParts {
  config: RpgConfig;
  tokenizer: TensorTokenizer;
  network: PrototypeNetwork;
  denoiser: DenoiserModule;
  scheduler: Scheduler | DdpmScheduler;
  /** [tokenCount, dPos] position embeddings (recomputed from the tokenizer on load). */
  positions: Float32Array;
  /** How the fit went, when this process fitted it or the folder recorded it. */
  fitInfo?: RpgFitInfo;
}

/** `fit_info.json`: what a fit cost and where it ended (informative; absent in older folders). */
export interface RpgFitInfo {
  /** Wall-clock seconds of the fit (this run's, when resumed). */
  seconds: number;
  /** Steps trained and the loss of the last one. */
  steps: number;
  finalLoss: number;
  /** tfjs backend the fit ran on. */
  backend: string;
  /**
   * How the example encoder's feature extractor ended its pretraining (`examplesPretrainSteps`),
   * when this run did it; a resumed fit finds it done and leaves this out.
   */
  extractorPretraining?: PretrainResult;
}

/** File names inside a saved pipeline folder. */
export const RPG_FILES = {
  config: 'rpg_config.json',
  tokenizer: 'tokenizer.safetensors',
  priorInput: 'prior_input.safetensors',
  prior: 'prior.safetensors',
  denoiser: 'denoiser',
  scheduler: 'scheduler',
} as const;

const FIT_INFO = 'fit_info.json';
/** Present only for a task-conditioned pipeline. */
const CONDITION_ENCODER = 'condition_encoder.safetensors';

const FORMAT = 'pgen-rpg';

interface RpgConfigFile {
  format: typeof FORMAT;
  version: 1;
  config: RpgConfig;
  network: PrototypeNetworkConfig;
}

/**
 * Writes the pipeline folder: tokenizer, prior-input and prior weights, the denoiser folder,
 * the scheduler folder, and `rpg_config.json` last, each file atomically; a folder without
 * `rpg_config.json` is thus never mistaken for a complete pipeline.
 */
export async function saveRpgPipelineParts(dir: string, parts: RpgPipelineParts): Promise<void> {
  await mkdir(dir, { recursive: true });
  await parts.tokenizer.save(join(dir, RPG_FILES.tokenizer));
  await writeSafetensors(join(dir, RPG_FILES.priorInput), await parts.network.input.stateDict(), {
    metadata: { format: `${FORMAT}-prior-input` },
  });
  await writeSafetensors(join(dir, RPG_FILES.prior), await parts.network.prior.stateDict(), {
    metadata: { format: `${FORMAT}-prior` },
  });
  if (parts.network.conditionEncoder) {
    await writeSafetensors(
      join(dir, CONDITION_ENCODER),
      await parts.network.conditionEncoder.stateDict(),
      { metadata: { format: `${FORMAT}-condition-encoder` } },
    );
  }
  await saveDenoiser(join(dir, RPG_FILES.denoiser), parts.denoiser);
  await parts.scheduler.save(join(dir, RPG_FILES.scheduler));
  if (parts.fitInfo) {
    const info = parts.fitInfo;
    await writeTextAtomic(join(dir, FIT_INFO), `${JSON.stringify(info, null, 2)}\n`);
  }
  const file: RpgConfigFile = {
    format: FORMAT,
    version: 1,
    config: parts.config,
    network: parts.network.config,
  };
  await writeTextAtomic(join(dir, RPG_FILES.config), `${JSON.stringify(file, null, 2)}\n`);
}

/** Reads a folder {@link saveRpgPipelineParts} wrote; names every missing file in one error. */
export async function loadRpgPipelineParts(dir: string): Promise<RpgPipelineParts> {
  const missing = await missingEntries(dir, Object.values(RPG_FILES));
  if (missing.length > 0) {
    throw new RpgError(
      `${dir}: not a complete RPG pipeline folder (missing ${missing.join(', ')})`,
    );
  }
  const configPath = join(dir, RPG_FILES.config);
  let file: RpgConfigFile;
  try {
    file = JSON.parse(await readFile(configPath, 'utf8')) as RpgConfigFile;
  } catch (error) {
    throw new RpgError(`${configPath}: unreadable (${(error as Error).message})`);
  }
  if (file.format !== FORMAT || file.version !== 1) {
    throw new RpgError(`${configPath}: not an RPG pipeline config (format ${String(file.format)})`);
  }
  const config = resolveSavedRpgConfig(file.config);
  const tokenizer = await TensorTokenizer.load(join(dir, RPG_FILES.tokenizer));
  const network = new PrototypeNetwork(file.network);
  try {
    network.input.loadStateDict((await readSafetensors(join(dir, RPG_FILES.priorInput))).tensors);
    network.prior.loadStateDict((await readSafetensors(join(dir, RPG_FILES.prior))).tensors);
    if (network.conditionEncoder) {
      network.conditionEncoder.loadStateDict(
        (await readSafetensors(join(dir, CONDITION_ENCODER))).tensors,
      );
    }
  } catch (error) {
    network.dispose();
    throw new RpgError(
      `${dir}: prior weights do not fit rpg_config.json (${(error as Error).message})`,
    );
  }
  network.eval();
  const denoiser = await loadDenoiser(join(dir, RPG_FILES.denoiser));
  denoiser.eval();
  const scheduler = await loadScheduler(join(dir, RPG_FILES.scheduler));
  const positions = tokenizer.positionEmbedding(config.dPos, '2d').data;
  let fitInfo: RpgFitInfo | undefined;
  try {
    fitInfo = JSON.parse(await readFile(join(dir, FIT_INFO), 'utf8')) as RpgFitInfo;
  } catch {
    fitInfo = undefined;
  }
  return { config, tokenizer, network, denoiser, scheduler, positions, fitInfo };
}
