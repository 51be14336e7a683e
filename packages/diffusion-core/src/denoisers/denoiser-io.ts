import { mkdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { readSafetensors, writeCheckpointAtomic, writeSafetensors } from '@pgen/checkpoint-io';
import { DiffusionInputError } from '../errors';
import { ConditionalUnet1d, type ConditionalUnet1dOptions } from './conditional-unet-1d';
import type { DenoiserConfig, DenoiserModule } from './denoiser-module';
import { MlpDenoiser, type MlpDenoiserOptions } from './mlp-denoiser';
import { OneDimCnn, type OneDimCnnOptions } from './one-dim-cnn';

/** File names inside a saved denoiser folder. */
export const DENOISER_CONFIG_NAME = 'denoiser_config.json';
export const DENOISER_WEIGHTS_NAME = 'denoiser.safetensors';

/** Builds an (untrained) denoiser from its config. */
export function denoiserFromConfig(
  config: DenoiserConfig,
  source = 'denoiser config',
): DenoiserModule {
  const { _class_name: name, ...options } = config;
  switch (name) {
    case 'ConditionalUnet1d':
      return new ConditionalUnet1d(options as unknown as ConditionalUnet1dOptions);
    case 'OneDimCnn':
      return new OneDimCnn(options as unknown as OneDimCnnOptions);
    case 'MlpDenoiser':
      return new MlpDenoiser(options as unknown as MlpDenoiserOptions);
    default:
      throw new DiffusionInputError(`${source}: unknown denoiser class "${String(name)}"`);
  }
}

/**
 * Saves a denoiser as a folder: `denoiser_config.json` (class and options) and
 * `denoiser.safetensors` (PyTorch-named weights), each written atomically.
 */
export async function saveDenoiser(dir: string, denoiser: DenoiserModule): Promise<void> {
  await mkdir(dir, { recursive: true });
  await writeSafetensors(join(dir, DENOISER_WEIGHTS_NAME), await denoiser.stateDict(), {
    metadata: { format: 'pgen-denoiser', class: denoiser.config._class_name },
  });
  const json = `${JSON.stringify(denoiser.config, null, 2)}\n`;
  await writeCheckpointAtomic(join(dir, DENOISER_CONFIG_NAME), async (file) => {
    await file.writeFile(json);
  });
}

/** Loads what `saveDenoiser` wrote; the weights must fit the config exactly. */
export async function loadDenoiser(dir: string): Promise<DenoiserModule> {
  const configPath = join(dir, DENOISER_CONFIG_NAME);
  let config: DenoiserConfig;
  try {
    config = JSON.parse(await readFile(configPath, 'utf8')) as DenoiserConfig;
  } catch (error) {
    throw new DiffusionInputError(
      `${configPath}: cannot read denoiser config (${(error as Error).message})`,
    );
  }
  const denoiser = denoiserFromConfig(config, configPath);
  const weightsPath = join(dir, DENOISER_WEIGHTS_NAME);
  try {
    const { tensors } = await readSafetensors(weightsPath);
    denoiser.loadStateDict(tensors, { source: weightsPath });
  } catch (error) {
    denoiser.dispose();
    throw error;
  }
  return denoiser;
}
