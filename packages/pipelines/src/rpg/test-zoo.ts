import type { StateDict, TensorData } from '@pgen/checkpoint-io';
import { Rng } from '@pgen/nn';

/** Shapes of the tiny synthetic zoo used by the RPG tests. */
export const TINY_SHAPES: Record<string, number[]> = {
  'fc1.weight': [16, 8],
  'fc1.bias': [16],
  'fc2.weight': [4, 16],
};

/**
 * `count` tiny state dicts whose every value is a fixed per-element mean (drawn once from
 * N(0, 1)) plus N(0, noise²): a zoo with a known centre, so tests can tell learned weights
 * from noise.
 */
export function tinyZoo(count: number, noise = 0.02): { zoo: StateDict[]; mean: StateDict } {
  const rng = new Rng(7);
  const mean: StateDict = new Map();
  for (const [name, shape] of Object.entries(TINY_SHAPES)) {
    const n = shape.reduce((a, b) => a * b, 1);
    mean.set(name, { dtype: 'F32', shape, data: rng.normalArray(n) } as TensorData);
  }
  const zoo = Array.from({ length: count }, () => {
    const sd: StateDict = new Map();
    for (const [name, t] of mean) {
      const m = t.data as Float32Array;
      const data = Float32Array.from(m, (v) => v + noise * rng.normal());
      sd.set(name, { dtype: 'F32', shape: [...t.shape], data } as TensorData);
    }
    return sd;
  });
  return { zoo, mean };
}
