import { initBackend } from '@pgen/backends';
import { Rng } from '@pgen/nn';
import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { LstmPrior } from './lstm-prior';
import { MambaPrior } from './mamba-prior';
import type { PriorSegmentState, RecurrentPrior } from './recurrent-prior';
import { maxAbsDiff, randomTensor, values } from './test-support';

const [batch, positions, dIn, dModel] = [2, 29, 5, 8];

const builders: [string, () => RecurrentPrior][] = [
  ['LstmPrior', () => new LstmPrior({ dIn, dModel, numLayers: 2 }, { rng: new Rng(5) })],
  [
    'MambaPrior',
    () =>
      new MambaPrior(
        // Δ drawn large so the carried state still matters many positions later.
        { dIn, dModel, numLayers: 2, dState: 4, chunkSize: 3, dtMin: 0.01, dtMax: 0.05 },
        { rng: new Rng(6) },
      ),
  ],
];

beforeAll(async () => {
  await initBackend({ prefer: 'wasm' });
});

describe.each(builders)('%s.forwardSegment', (_name, build) => {
  it('gives, segment by segment with the state carried, the outputs of one forward', async () => {
    const prior = build();
    const x = randomTensor([batch, positions, dIn], 7);
    const whole = await values(prior.forward(x));
    // Uneven segments, single positions among them (token-by-token generation uses those).
    const lengths = [1, 4, 1, 10, 2, 11];
    let state: PriorSegmentState | undefined;
    const parts: number[][] = [];
    let start = 0;
    for (const length of lengths) {
      const segment = tf.slice(x, [0, start, 0], [-1, length, -1]);
      const out = prior.forwardSegment!(segment, state);
      if (state) tf.dispose(state);
      state = out.state;
      parts.push(await values(out.output));
      tf.dispose([segment, out.output]);
      start += length;
    }
    expect(start).toBe(positions);
    tf.dispose(state!);
    // Reassemble [batch, positions, dModel] from the per-segment [batch, length, dModel] blocks.
    const joined: number[] = [];
    for (let b = 0; b < batch; b++) {
      for (const [k, length] of lengths.entries()) {
        joined.push(...parts[k]!.slice(b * length * dModel, (b + 1) * length * dModel));
      }
    }
    expect(maxAbsDiff(joined, whole)).toBeLessThan(1e-5);
    // Without the carried state the later segments differ: the state is really used.
    const fresh = await values(prior.forwardSegment!(tf.slice(x, [0, 20, 0], [-1, 9, -1])).output);
    const wholeTail = whole.slice(20 * dModel, 29 * dModel);
    expect(maxAbsDiff(fresh.slice(0, 9 * dModel), wholeTail)).toBeGreaterThan(1e-3);
    tf.dispose(x);
    prior.dispose();
  });

  it('refuses a state from another prior shape', () => {
    const prior = build();
    const x = randomTensor([batch, 3, dIn], 8);
    expect(() => prior.forwardSegment!(x, [tf.zeros([1]), tf.zeros([1]), tf.zeros([1])])).toThrow(
      /segment state has 3 tensors/,
    );
    tf.dispose(x);
    prior.dispose();
  });
});
