import { initBackend } from '@pgen/backends';
import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { randomArray, relativeError, values } from '../test-support';
import { type SelectiveScanInputs, selectiveScan, selectiveScanSequential } from './selective-scan';

const [batch, length, dInner, dState] = [2, 10, 3, 4];

interface Arrays {
  u: number[];
  delta: number[];
  A: number[];
  B: number[];
  C: number[];
  D: number[];
}

/** The recurrence in float64, written out as `selective_scan_ref` states it. */
function referenceScan(p: Arrays): number[] {
  const y = new Array<number>(batch * length * dInner).fill(0);
  for (let b = 0; b < batch; b++)
    for (let d = 0; d < dInner; d++) {
      const h = new Array<number>(dState).fill(0);
      for (let t = 0; t < length; t++) {
        const i = (b * length + t) * dInner + d;
        let acc = p.D[d]! * p.u[i]!;
        for (let n = 0; n < dState; n++) {
          const bt = (b * length + t) * dState + n;
          h[n] =
            Math.exp(p.delta[i]! * p.A[d * dState + n]!) * h[n]! + p.delta[i]! * p.B[bt]! * p.u[i]!;
          acc += p.C[bt]! * h[n]!;
        }
        y[i] = acc;
      }
    }
  return y;
}

function randomArrays(seed: number, maxDelta = 1): Arrays {
  const io = batch * length * dInner;
  const st = batch * length * dState;
  return {
    u: randomArray(io, seed),
    delta: randomArray(io, seed + 1, 0.01, maxDelta),
    A: randomArray(dInner * dState, seed + 2, -3, -0.1),
    B: randomArray(st, seed + 3),
    C: randomArray(st, seed + 4),
    D: randomArray(dInner, seed + 5),
  };
}

function toTensors(p: Arrays): SelectiveScanInputs {
  return {
    u: tf.tensor(p.u, [batch, length, dInner]),
    delta: tf.tensor(p.delta, [batch, length, dInner]),
    A: tf.tensor(p.A, [dInner, dState]),
    B: tf.tensor(p.B, [batch, length, dState]),
    C: tf.tensor(p.C, [batch, length, dState]),
    D: tf.tensor(p.D, [dInner]),
  };
}

beforeAll(async () => {
  await initBackend({ prefer: 'wasm' });
});

describe('selectiveScan', () => {
  it('matches the float64 recurrence for chunk sizes that do and do not divide the length', async () => {
    const p = randomArrays(10);
    const want = referenceScan(p);
    const inputs = toTensors(p);
    for (const chunkSize of [2, 3, 4, 5, 7, 10, 16]) {
      const y = selectiveScan(inputs, { chunkSize });
      expect(y.shape).toEqual([batch, length, dInner]);
      expect(relativeError(await values(y), want), `chunkSize ${chunkSize}`).toBeLessThan(1e-5);
      y.dispose();
    }
    const seq = selectiveScanSequential(inputs);
    expect(relativeError(await values(seq), want)).toBeLessThan(1e-5);
    tf.dispose([seq, ...Object.values(inputs)]);
  });

  it('stays finite and exact when the state decays far below float32 range', async () => {
    // Δ·A reaches −45 per step, so a chunk of 8 decays by e^−360: exp(−S) alone would overflow.
    const p = randomArrays(20, 15);
    const want = referenceScan(p);
    const inputs = toTensors(p);
    const y = selectiveScan(inputs, { chunkSize: 8 });
    const got = await values(y);
    expect(got.every(Number.isFinite)).toBe(true);
    expect(relativeError(got, want)).toBeLessThan(1e-5);
    tf.dispose([y, ...Object.values(inputs)]);
  });

  it('has gradients matching finite differences of the float64 recurrence', async () => {
    const p = randomArrays(30);
    const weights = randomArray(batch * length * dInner, 31);
    const loss = (q: Arrays) => referenceScan(q).reduce((s, v, i) => s + v * weights[i]!, 0);
    const names = ['u', 'delta', 'A', 'B', 'C', 'D'] as const;
    const inputs = toTensors(p);
    const w = tf.tensor(weights, [batch, length, dInner]);
    const grads = tf.grads((u, delta, A, B, C, D) =>
      tf.sum(tf.mul(selectiveScan({ u, delta, A, B, C, D }, { chunkSize: 2 }), w)),
    )(names.map((n) => inputs[n]));
    const eps = 1e-6;
    for (const [k, name] of names.entries()) {
      const got = await values(grads[k]!);
      const want = p[name].map((_, i) => {
        const plus = { ...p, [name]: p[name].map((v, j) => (j === i ? v + eps : v)) };
        const minus = { ...p, [name]: p[name].map((v, j) => (j === i ? v - eps : v)) };
        return (loss(plus) - loss(minus)) / (2 * eps);
      });
      expect(relativeError(got, want), name).toBeLessThan(1e-4);
    }
    tf.dispose([w, ...grads, ...Object.values(inputs)]);
  });

  it('refuses mismatched shapes with one message naming each problem', () => {
    const inputs = toTensors(randomArrays(40));
    const bad = { ...inputs, B: tf.zeros([batch, length, dState + 1]), D: tf.zeros([2]) };
    expect(() => selectiveScan(bad)).toThrow(/B has shape \[2,10,5\].*D has shape \[2\]/);
    expect(() => selectiveScan(inputs, { chunkSize: 0 })).toThrow(/integer ≥ 2, got 0/);
    tf.dispose([bad.B, bad.D, ...Object.values(inputs)]);
  });
});
