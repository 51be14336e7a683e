import { initBackend } from '@pgen/backends';
import { Rng } from '@pgen/nn';
import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { Lstm } from './lstm';
import { randomArray, relativeError, values } from './test-support';

const [batch, length, inputSize, hidden, numLayers] = [2, 5, 3, 4, 2];

type Weights = Map<string, { dtype: 'F32'; shape: number[]; data: Float32Array }>;

/** A state dict as torch.nn.LSTM(3, 4, num_layers=2, batch_first=True).state_dict() has it. */
function torchStateDict(seed: number): Weights {
  const sd: Weights = new Map();
  let s = seed;
  for (let k = 0; k < numLayers; k++) {
    const inSize = k === 0 ? inputSize : hidden;
    for (const [name, shape] of [
      [`weight_ih_l${k}`, [4 * hidden, inSize]],
      [`weight_hh_l${k}`, [4 * hidden, hidden]],
      [`bias_ih_l${k}`, [4 * hidden]],
      [`bias_hh_l${k}`, [4 * hidden]],
    ] as [string, number[]][]) {
      const n = shape.reduce((a, b) => a * b, 1);
      sd.set(name, {
        dtype: 'F32',
        shape,
        data: Float32Array.from(randomArray(n, s++, -0.6, 0.6)),
      });
    }
  }
  return sd;
}

/** PyTorch's LSTM equations in float64 (gates i, f, g, o; zero initial states). */
function referenceLstm(sd: Weights, x: number[]): number[] {
  const sig = (v: number) => 1 / (1 + Math.exp(-v));
  let input = x;
  let inSize = inputSize;
  for (let k = 0; k < numLayers; k++) {
    const wih = sd.get(`weight_ih_l${k}`)!.data;
    const whh = sd.get(`weight_hh_l${k}`)!.data;
    const bih = sd.get(`bias_ih_l${k}`)!.data;
    const bhh = sd.get(`bias_hh_l${k}`)!.data;
    const out: number[] = new Array(batch * length * hidden).fill(0);
    for (let b = 0; b < batch; b++) {
      const h = new Array<number>(hidden).fill(0);
      const c = new Array<number>(hidden).fill(0);
      for (let t = 0; t < length; t++) {
        const gates = Array.from({ length: 4 * hidden }, (_, r) => {
          let acc = bih[r]! + bhh[r]!;
          for (let j = 0; j < inSize; j++)
            acc += wih[r * inSize + j]! * input[(b * length + t) * inSize + j]!;
          for (let j = 0; j < hidden; j++) acc += whh[r * hidden + j]! * h[j]!;
          return acc;
        });
        for (let j = 0; j < hidden; j++) {
          const i = sig(gates[j]!);
          const f = sig(gates[hidden + j]!);
          const g = Math.tanh(gates[2 * hidden + j]!);
          const o = sig(gates[3 * hidden + j]!);
          c[j] = f * c[j]! + i * g;
          h[j] = o * Math.tanh(c[j]!);
        }
        for (let j = 0; j < hidden; j++) out[(b * length + t) * hidden + j] = h[j]!;
      }
    }
    input = out;
    inSize = hidden;
  }
  return input;
}

beforeAll(async () => {
  await initBackend({ prefer: 'wasm' });
});

describe('Lstm', () => {
  it('has torch.nn.LSTM names and shapes, and loads its state dict', async () => {
    const lstm = new Lstm(inputSize, hidden, { numLayers, rng: new Rng(1) });
    const sd = await lstm.stateDict();
    expect([...sd.keys()]).toEqual([...torchStateDict(0).keys()]);
    for (const [name, data] of torchStateDict(0))
      expect(sd.get(name)!.shape, name).toEqual(data.shape);
    const noBias = new Lstm(inputSize, hidden, { bias: false });
    expect([...(await noBias.stateDict()).keys()]).toEqual(['weight_ih_l0', 'weight_hh_l0']);
    lstm.dispose();
    noBias.dispose();
  });

  it("matches a float64 transcription of PyTorch's LSTM equations", async () => {
    const weights = torchStateDict(10);
    const lstm = new Lstm(inputSize, hidden, { numLayers });
    lstm.loadStateDict(weights);
    const xs = randomArray(batch * length * inputSize, 20, -2, 2);
    const x = tf.tensor(xs, [batch, length, inputSize]);
    const y = lstm.forward(x);
    expect(y.shape).toEqual([batch, length, hidden]);
    expect(relativeError(await values(y), referenceLstm(weights, xs))).toBeLessThan(1e-5);
    tf.dispose([x, y]);
    lstm.dispose();
  });

  it('continues a sequence from returned states exactly as one run', async () => {
    const lstm = new Lstm(inputSize, hidden, { numLayers, rng: new Rng(2) });
    const x = tf.tensor(randomArray(batch * length * inputSize, 21), [batch, length, inputSize]);
    const whole = lstm.forwardWithState(x);
    expect(whole.h.shape).toEqual([numLayers, batch, hidden]);
    const head = lstm.forwardWithState(tf.slice(x, [0, 0, 0], [-1, 2, -1]));
    const tail = lstm.forwardWithState(tf.slice(x, [0, 2, 0], [-1, -1, -1]), head);
    const joined = tf.concat([head.output, tail.output], 1);
    expect(relativeError(await values(joined), await values(whole.output))).toBeLessThan(1e-6);
    expect(relativeError(await values(tail.c), await values(whole.c))).toBeLessThan(1e-6);
    lstm.dispose();
  });
});
