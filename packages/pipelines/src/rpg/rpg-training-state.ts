import { mkdir, readdir, readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { readSafetensors, writeSafetensors } from '@pgen/checkpoint-io';
import type { DenoiserModule } from '@pgen/diffusion-core';
import type { AdamW } from '@pgen/nn';
import type { PrototypeNetwork } from './prototype-network';
import { type RpgConfig, resolveSavedRpgConfig } from './rpg-config';
import { RpgError } from './rpg-error';
import { writeTextAtomic } from './write-text-atomic';

/** Where and how often {@link trainRpg} saves what it needs to resume. */
export interface RpgCheckpointing {
  /** Folder of training checkpoints (created if missing). */
  dir: string;
  /** Optimiser steps between checkpoints (default 200); one is always written at the end. */
  every?: number;
}

/** What a training checkpoint restores. */
interface TrainingStateFile {
  format: 'pgen-rpg-training-state';
  /** Steps completed. */
  step: number;
  /** The training config; resuming under another config is refused. */
  config: RpgConfig;
  /** Folder of the weights and optimiser state, relative to the checkpoint dir. */
  folder: string;
  /** Loss of the last completed step. */
  loss: number;
}

const LATEST = 'latest.json';

/**
 * Saves weights and optimiser state into `step-XXXXXXX/`, then points `latest.json` at it
 * (atomically, last), then deletes older step folders: a crash at any point leaves
 * `latest.json` naming a complete folder.
 */
export async function saveTrainingState(
  checkpointing: RpgCheckpointing,
  state: {
    step: number;
    loss: number;
    config: RpgConfig;
    network: PrototypeNetwork;
    denoiser: DenoiserModule;
    optimizer: AdamW;
  },
): Promise<void> {
  const folder = `step-${String(state.step).padStart(7, '0')}`;
  const dir = join(checkpointing.dir, folder);
  await mkdir(dir, { recursive: true });
  await writeSafetensors(join(dir, 'network.safetensors'), await state.network.stateDict());
  await writeSafetensors(join(dir, 'denoiser.safetensors'), await state.denoiser.stateDict());
  await writeSafetensors(join(dir, 'optimizer.safetensors'), await state.optimizer.stateDict());
  const file: TrainingStateFile = {
    format: 'pgen-rpg-training-state',
    step: state.step,
    config: state.config,
    folder,
    loss: state.loss,
  };
  await writeTextAtomic(join(checkpointing.dir, LATEST), `${JSON.stringify(file, null, 2)}\n`);
  for (const entry of await readdir(checkpointing.dir)) {
    if (entry.startsWith('step-') && entry !== folder) {
      await rm(join(checkpointing.dir, entry), { recursive: true, force: true });
    }
  }
}

/**
 * Whether the folder's newest training checkpoint was made under `config`: undefined when it
 * holds none (so a caller that owns the folder can clear a stale one instead of failing).
 */
export async function trainingStateMatches(
  checkpointing: RpgCheckpointing,
  config: RpgConfig,
): Promise<boolean | undefined> {
  let file: TrainingStateFile;
  try {
    file = JSON.parse(await readFile(join(checkpointing.dir, LATEST), 'utf8')) as TrainingStateFile;
  } catch {
    return undefined;
  }
  return JSON.stringify(resolveSavedRpgConfig(file.config)) === JSON.stringify(config);
}

/**
 * Restores the newest training checkpoint into the given modules and optimiser and returns the
 * number of completed steps, or 0 when the folder holds none. Refuses a checkpoint written
 * under a different config, naming the fields that differ.
 */
export async function restoreTrainingState(
  checkpointing: RpgCheckpointing,
  target: {
    config: RpgConfig;
    network: PrototypeNetwork;
    denoiser: DenoiserModule;
    optimizer: AdamW;
  },
): Promise<{ step: number; loss: number }> {
  const latest = join(checkpointing.dir, LATEST);
  let text: string;
  try {
    text = await readFile(latest, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return { step: 0, loss: Number.NaN };
    throw error;
  }
  let file: TrainingStateFile;
  try {
    file = JSON.parse(text) as TrainingStateFile;
  } catch (error) {
    throw new RpgError(`${latest}: unreadable (${(error as Error).message})`);
  }
  if (file.format !== 'pgen-rpg-training-state') {
    throw new RpgError(`${latest}: not an RPG training checkpoint`);
  }
  // Fields added since the checkpoint was written take the defaults they had then.
  const saved = resolveSavedRpgConfig(file.config);
  const differing = (Object.keys(target.config) as (keyof RpgConfig)[]).filter(
    (key) => JSON.stringify(saved[key]) !== JSON.stringify(target.config[key]),
  );
  if (differing.length > 0) {
    throw new RpgError(
      `${checkpointing.dir}: its training checkpoint was made with another config (${differing
        .map(
          (k) => `${k}: ${JSON.stringify(saved[k])} there, ${JSON.stringify(target.config[k])} now`,
        )
        .join('; ')}); use another checkpoint folder or the same config`,
    );
  }
  const dir = join(checkpointing.dir, file.folder);
  try {
    target.network.loadStateDict((await readSafetensors(join(dir, 'network.safetensors'))).tensors);
    target.denoiser.loadStateDict(
      (await readSafetensors(join(dir, 'denoiser.safetensors'))).tensors,
    );
    target.optimizer.loadStateDict(
      (await readSafetensors(join(dir, 'optimizer.safetensors'))).tensors,
    );
  } catch (error) {
    throw new RpgError(`${dir}: cannot resume from it (${(error as Error).message})`);
  }
  return { step: file.step, loss: file.loss };
}
