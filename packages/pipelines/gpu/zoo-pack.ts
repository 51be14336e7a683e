import { readSafetensors, type StateDict, writeSafetensors } from '@pgen/checkpoint-io';
import { loadZooDir } from '../src/rpg/zoo-source';

/**
 * A zoo squeezed to fit the GPU machine's 64 MiB transfer limit: the zoo mean in float32 and
 * each checkpoint's difference from it quantised to int8 with one scale per tensor. The
 * differences are small, so the round-trip error is a tiny fraction of the zoo's own spread
 * (`packZoo` reports it).
 */
export async function packZoo(
  dir: string,
  out: string,
): Promise<{ maxAbsError: number; rmsError: number; rmsZooStd: number }> {
  const { checkpoints } = await loadZooDir(dir);
  // Only float32 tensors are quantised; others (BatchNorm's int64 step counters) travel as is.
  const all = [...checkpoints[0]!.keys()];
  const names = all.filter((n) => checkpoints[0]!.get(n)!.dtype === 'F32');
  const raw = all.filter((n) => !names.includes(n));
  const packed: StateDict = new Map();
  let maxAbsError = 0;
  let varSum = 0;
  let errSum = 0;
  let count = 0;
  for (const name of names) {
    const n = (checkpoints[0]!.get(name)!.data as Float32Array).length;
    const mean = new Float32Array(n);
    for (const c of checkpoints) {
      const d = c.get(name)!.data as Float32Array;
      for (let j = 0; j < n; j++) mean[j]! += d[j]! / checkpoints.length;
    }
    for (let j = 0; j < n; j++) {
      let v = 0;
      for (const c of checkpoints) v += ((c.get(name)!.data as Float32Array)[j]! - mean[j]!) ** 2;
      varSum += v / checkpoints.length;
      count++;
    }
    packed.set(`mean.${name}`, { dtype: 'F32', shape: [n], data: mean });
  }
  checkpoints.forEach((c, i) => {
    const scales = new Float32Array(names.length);
    names.forEach((name, k) => {
      const d = c.get(name)!.data as Float32Array;
      const mean = packed.get(`mean.${name}`)!.data as Float32Array;
      let max = 0;
      for (let j = 0; j < d.length; j++) max = Math.max(max, Math.abs(d[j]! - mean[j]!));
      const scale = max / 127 || 1;
      const q = new Int8Array(d.length);
      for (let j = 0; j < d.length; j++) {
        q[j] = Math.round((d[j]! - mean[j]!) / scale);
        const err = Math.abs(mean[j]! + q[j]! * scale - d[j]!);
        maxAbsError = Math.max(maxAbsError, err);
        errSum += (err * err) / checkpoints.length;
      }
      scales[k] = scale;
      packed.set(`q.${i}.${name}`, { dtype: 'I8', shape: [d.length], data: q });
    });
    packed.set(`scale.${i}`, { dtype: 'F32', shape: [names.length], data: scales });
    for (const name of raw) packed.set(`raw.${i}.${name}`, c.get(name)!);
  });
  const shapes = Object.fromEntries(all.map((n) => [n, checkpoints[0]!.get(n)!.shape]));
  await writeSafetensors(out, packed, {
    metadata: {
      format: 'pgen-zoo-pack',
      count: String(checkpoints.length),
      shapes: JSON.stringify(shapes),
    },
  });
  return { maxAbsError, rmsError: Math.sqrt(errSum / count), rmsZooStd: Math.sqrt(varSum / count) };
}

/** Rebuilds the checkpoints `packZoo` wrote (float32, in the zoo's tensor order). */
export async function unpackZoo(path: string): Promise<StateDict[]> {
  const { tensors, metadata } = await readSafetensors(path);
  if (metadata?.format !== 'pgen-zoo-pack') throw new Error(`${path}: not a pgen zoo pack`);
  const shapes = JSON.parse(metadata.shapes!) as Record<string, number[]>;
  const names = Object.keys(shapes);
  return Array.from({ length: Number(metadata.count) }, (_, i) => {
    const scales = tensors.get(`scale.${i}`)!.data as Float32Array;
    const sd: StateDict = new Map();
    let k = 0;
    for (const name of names) {
      const rawTensor = tensors.get(`raw.${i}.${name}`);
      if (rawTensor) {
        sd.set(name, rawTensor);
        continue;
      }
      const mean = tensors.get(`mean.${name}`)!.data as Float32Array;
      const q = tensors.get(`q.${i}.${name}`)!.data as Int8Array;
      const data = new Float32Array(mean.length);
      for (let j = 0; j < data.length; j++) data[j] = mean[j]! + q[j]! * scales[k]!;
      sd.set(name, { dtype: 'F32', shape: shapes[name]!, data });
      k++;
    }
    return sd;
  });
}
