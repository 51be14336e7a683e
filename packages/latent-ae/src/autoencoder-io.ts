import { mkdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { readSafetensors, writeCheckpointAtomic, writeSafetensors } from '@pgen/checkpoint-io';
import type { ParameterAutoencoderOptions } from './autoencoder-config';
import { LatentAeError } from './errors';
import { ParameterAutoencoder } from './parameter-autoencoder';

/** File names inside a saved autoencoder folder. */
export const AUTOENCODER_CONFIG_NAME = 'autoencoder_config.json';
export const AUTOENCODER_WEIGHTS_NAME = 'autoencoder.safetensors';

/**
 * Saves an autoencoder as a folder: `autoencoder_config.json` (every option, defaults filled in)
 * and `autoencoder.safetensors` (weights and batch-norm statistics under PyTorch-style names),
 * each written atomically. The weights go first, so a folder with a config always has weights
 * that were complete when the config was written.
 */
export async function saveAutoencoder(dir: string, ae: ParameterAutoencoder): Promise<void> {
  await mkdir(dir, { recursive: true });
  await writeSafetensors(join(dir, AUTOENCODER_WEIGHTS_NAME), await ae.stateDict(), {
    metadata: { format: 'pgen-latent-ae' },
  });
  const json = `${JSON.stringify(ae.config, null, 2)}\n`;
  await writeCheckpointAtomic(join(dir, AUTOENCODER_CONFIG_NAME), async (file) => {
    await file.writeFile(json);
  });
}

/**
 * Loads what `saveAutoencoder` wrote, in eval mode. The weights must fit the config exactly;
 * a missing or invalid config is a `LatentAeError` naming the file.
 */
export async function loadAutoencoder(dir: string): Promise<ParameterAutoencoder> {
  const configPath = join(dir, AUTOENCODER_CONFIG_NAME);
  let options: ParameterAutoencoderOptions;
  try {
    options = JSON.parse(await readFile(configPath, 'utf8')) as ParameterAutoencoderOptions;
  } catch (error) {
    throw new LatentAeError(
      `${configPath}: cannot read autoencoder config (${(error as Error).message})`,
    );
  }
  let ae: ParameterAutoencoder;
  try {
    ae = new ParameterAutoencoder(options);
  } catch (error) {
    if (error instanceof LatentAeError) throw new LatentAeError(`${configPath}: ${error.message}`);
    throw error;
  }
  const weightsPath = join(dir, AUTOENCODER_WEIGHTS_NAME);
  try {
    const { tensors } = await readSafetensors(weightsPath);
    ae.loadStateDict(tensors, { source: weightsPath });
  } catch (error) {
    ae.dispose();
    throw error;
  }
  return ae.eval();
}
