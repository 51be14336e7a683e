import { initBackend } from '@pgen/backends';
import { Rng } from '@pgen/nn';
import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { relativeError, values } from '../test-support';
import { Mamba } from './mamba-layer';

/** mamba_simple.Mamba's slow path (conv1d, x_proj, dt_proj, selective_scan_ref) in float64. */
function referenceMamba(
  sd: Map<string, { shape: number[]; data: ArrayLike<number | bigint> }>,
  x: number[],
  length: number,
  dModel: number,
): number[] {
  const w = (name: string) => Array.from(sd.get(name)!.data, Number);
  const linear = (input: number[][], weight: number[], out: number, bias?: number[]) =>
    input.map((row) =>
      Array.from({ length: out }, (_, o) =>
        row.reduce((acc, v, i) => acc + v * weight[o * row.length + i]!, bias ? bias[o]! : 0),
      ),
    );
  const silu = (v: number) => v / (1 + Math.exp(-v));
  const [dInner, dState] = sd.get('A_log')!.shape as [number, number];
  const [k] = sd.get('conv1d.weight')!.shape.slice(2) as [number];
  const dtRank = sd.get('dt_proj.weight')!.shape[1]!;
  const rows = Array.from({ length }, (_, t) => x.slice(t * dModel, (t + 1) * dModel));
  const xz = linear(rows, w('in_proj.weight'), 2 * dInner);
  const [cw, cb] = [w('conv1d.weight'), w('conv1d.bias')];
  const u = xz.map((_, t) =>
    Array.from({ length: dInner }, (_, c) => {
      let acc = cb[c]!;
      for (let j = 0; j < k; j++) {
        const src = t - (k - 1) + j;
        if (src >= 0) acc += cw[c * k + j]! * xz[src]![c]!;
      }
      return silu(acc);
    }),
  );
  const xdbl = linear(u, w('x_proj.weight'), dtRank + 2 * dState);
  const delta = linear(
    xdbl.map((r) => r.slice(0, dtRank)),
    w('dt_proj.weight'),
    dInner,
    w('dt_proj.bias'),
  ).map((r) => r.map((v) => Math.log1p(Math.exp(v))));
  const A = w('A_log').map((v) => -Math.exp(v));
  const D = w('D');
  const h = new Array<number>(dInner * dState).fill(0);
  const gated = u.map((ut, t) =>
    ut.map((uc, c) => {
      let y = D[c]! * uc;
      for (let n = 0; n < dState; n++) {
        const i = c * dState + n;
        const Bn = xdbl[t]![dtRank + n]!;
        const Cn = xdbl[t]![dtRank + dState + n]!;
        h[i] = Math.exp(delta[t]![c]! * A[i]!) * h[i]! + delta[t]![c]! * Bn * uc;
        y += Cn * h[i]!;
      }
      return y * silu(xz[t]![dInner + c]!);
    }),
  );
  return linear(gated, w('out_proj.weight'), dModel).flat();
}

beforeAll(async () => {
  await initBackend({ prefer: 'wasm' });
});

describe('Mamba', () => {
  it("has mamba_simple.Mamba's names and layouts", async () => {
    const mamba = new Mamba(32, { dState: 4, rng: new Rng(1) });
    const shapes = Object.fromEntries(
      [...(await mamba.stateDict())].map(([name, data]) => [name, data.shape]),
    );
    // d_inner 64, dt_rank ⌈32/16⌉ = 2, d_conv 4.
    expect(shapes).toEqual({
      'in_proj.weight': [128, 32],
      'conv1d.weight': [64, 1, 4],
      'conv1d.bias': [64],
      'x_proj.weight': [2 + 8, 64],
      'dt_proj.weight': [64, 2],
      'dt_proj.bias': [64],
      A_log: [64, 4],
      D: [64],
      'out_proj.weight': [32, 64],
    });
    mamba.dispose();
  });

  it('initialises A_log, D and the Δ bias as the reference does', async () => {
    const mamba = new Mamba(16, { dState: 3, dtMin: 0.01, dtMax: 0.05, rng: new Rng(2) });
    const aLog = await values(mamba.ALog);
    expect(
      relativeError(aLog.slice(0, 6), [0, Math.log(2), Math.log(3), 0, Math.log(2), Math.log(3)]),
    ).toBeLessThan(1e-7);
    expect(await values(mamba.D)).toEqual(new Array(32).fill(1));
    const dt = (await values(mamba.dtProj.bias!)).map((b) => Math.log1p(Math.exp(b)));
    for (const v of dt) {
      expect(v).toBeGreaterThanOrEqual(0.01 * (1 - 1e-5));
      expect(v).toBeLessThanOrEqual(0.05 * (1 + 1e-5));
    }
    const bound = 1 / Math.sqrt(mamba.dtRank);
    for (const w of await values(mamba.dtProj.weight))
      expect(Math.abs(w)).toBeLessThanOrEqual(bound);
    mamba.dispose();
  });

  it("matches a float64 transcription of the reference's forward", async () => {
    // Large Δ and uniform-random weights, so that the scan, gate and conv all matter.
    const mamba = new Mamba(4, { dState: 3, dtMin: 0.1, dtMax: 1, chunkSize: 4, rng: new Rng(5) });
    const xs = new Rng(6).normalArray(11 * 4);
    const x = tf.tensor(xs, [1, 11, 4]);
    const y = mamba.forward(x);
    const want = referenceMamba(await mamba.stateDict(), Array.from(xs), 11, 4);
    expect(relativeError(await values(y), want)).toBeLessThan(1e-5);
    tf.dispose([x, y]);
    mamba.dispose();
  });

  it('gives the same output for every scan chunk size', async () => {
    const x = tf.tensor(new Rng(3).normalArray(2 * 9 * 8), [2, 9, 8]);
    const outputs: number[][] = [];
    for (const chunkSize of [2, 4, 9]) {
      const mamba = new Mamba(8, { dState: 4, chunkSize, rng: new Rng(4) });
      const y = mamba.forward(x);
      expect(y.shape).toEqual([2, 9, 8]);
      outputs.push(await values(y));
      y.dispose();
      mamba.dispose();
    }
    expect(relativeError(outputs[1]!, outputs[0]!)).toBeLessThan(1e-5);
    expect(relativeError(outputs[2]!, outputs[0]!)).toBeLessThan(1e-5);
    x.dispose();
  });
});
