import type { StateDict } from '@pgen/checkpoint-io';

/** Mean squared difference over every tensor of `ref` (float tensors; a test helper). */
export function stateDictMse(sd: StateDict, ref: StateDict): number {
  let sum = 0;
  let n = 0;
  for (const [name, t] of ref) {
    const a = sd.get(name)!.data as Float32Array;
    const b = t.data as Float32Array;
    for (let i = 0; i < b.length; i++) {
      sum += (a[i]! - b[i]!) ** 2;
      n++;
    }
  }
  return sum / n;
}
