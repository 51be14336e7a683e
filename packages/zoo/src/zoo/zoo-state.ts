import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { readSafetensors, type StateDict, writeSafetensors } from '@pgen/checkpoint-io';
import type { ClassifierModel } from '../models/classifier-model';

const MODEL = 'model.';
const OPTIM = 'optim.';

/** Model and optimiser state of an unfinished run, as a resumable collection saves them. */
export interface RunState {
  model: StateDict;
  optimizer: StateDict;
}

/** Writes model and optimiser state into one safetensors file (atomically). */
export async function saveRunState(
  dir: string,
  file: string,
  model: ClassifierModel,
  optimizer: StateDict,
): Promise<void> {
  const tensors: StateDict = new Map();
  for (const [name, t] of await model.stateDict()) tensors.set(MODEL + name, t);
  for (const [name, t] of optimizer) tensors.set(OPTIM + name, t);
  await writeSafetensors(join(dir, file), tensors, { metadata: { format: 'pgen-zoo-resume' } });
}

/** Reads what `saveRunState` wrote. */
export async function loadRunState(dir: string, file: string): Promise<RunState> {
  const { tensors } = await readSafetensors(join(dir, file));
  const state: RunState = { model: new Map(), optimizer: new Map() };
  for (const [name, t] of tensors) {
    if (name.startsWith(MODEL)) state.model.set(name.slice(MODEL.length), t);
    else if (name.startsWith(OPTIM)) state.optimizer.set(name.slice(OPTIM.length), t);
  }
  return state;
}

/** Removes a superseded state file (already gone is fine). */
export async function removeRunState(dir: string, file: string | undefined): Promise<void> {
  if (file) await rm(join(dir, file), { force: true });
}
