import { makeLoraConfig, type StateDict } from '@pgen/checkpoint-io';
import { Rng } from '@pgen/nn';
import type { CondPdiffSample, CondPdiffTask } from './cond-pdiff-task';

/** The PEFT keys of the synthetic adapters: one adapted 8→8 module at rank 2. */
const A_KEY = 'base_model.model.layer.lora_A.weight';
const B_KEY = 'base_model.model.layer.lora_B.weight';

/**
 * The clean adapter of angle θ: every value a smooth periodic function of θ, so a model that
 * learned the family can place an unseen angle between its neighbours.
 */
export function adapterForAngle(degrees: number, noise = 0, rng = new Rng(0)): StateDict {
  const rad = (degrees * Math.PI) / 180;
  const values = (count: number, phase: number) =>
    Float32Array.from(
      { length: count },
      (_, i) => Math.sin(rad + phase + i * 0.7) * (1 + 0.1 * i) + noise * rng.normal(),
    );
  return new Map([
    [A_KEY, { dtype: 'F32', shape: [2, 8], data: values(16, 0) }],
    [B_KEY, { dtype: 'F32', shape: [8, 2], data: values(16, 1.3) }],
  ]);
}

/** Tasks every 30° (12) with `perTask` noisy adapters each, minus `heldOut` angles. */
export function syntheticAdapterZoo(perTask: number, heldOut: readonly number[] = []) {
  const rng = new Rng(5);
  const tasks: CondPdiffTask[] = [];
  const samples: CondPdiffSample[] = [];
  for (let angle = 0; angle < 360; angle += 30) {
    if (heldOut.includes(angle)) continue;
    const name = `rot-${String(angle).padStart(3, '0')}`;
    tasks.push({ name, descriptor: [angle] });
    for (let k = 0; k < perTask; k++) {
      samples.push({ task: name, tensors: adapterForAngle(angle, 0.02, rng) });
    }
  }
  return {
    tasks,
    samples,
    loraConfig: makeLoraConfig({ r: 2, loraAlpha: 4, targetModules: ['layer'] }),
  };
}

export { stateDictMse as adapterMse } from '../state-dict-mse';
