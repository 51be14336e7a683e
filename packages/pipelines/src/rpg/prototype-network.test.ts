import { initBackend } from '@pgen/backends';
import { Rng } from '@pgen/nn';
import type { PriorSegmentState } from '@pgen/recurrent-prior';
import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { PrototypeNetwork } from './prototype-network';
import type { RpgPriorKind } from './rpg-config';

const [dPos, dModel, tokenSize, positions] = [6, 8, 5, 9];

function randomArray(n: number, seed: number): Float32Array {
  const rng = new Rng(seed);
  return Float32Array.from({ length: n }, () => rng.next() * 2 - 1);
}

beforeAll(async () => {
  await initBackend({ prefer: 'cpu' });
});

describe.each(['mamba', 'lstm', 'none'] as RpgPriorKind[])('PrototypeNetwork (%s)', (kind) => {
  it('gives, one position at a time with teacher forcing, the prototypes of one forward', async () => {
    const config = PrototypeNetwork.configFor(kind, {
      dPos,
      dModel,
      numCheckpoints: 3,
      layers: 2,
      priorOptions: kind === 'mamba' ? { dState: 4, chunkSize: 2 } : {},
    });
    const network = new PrototypeNetwork(
      { ...config, teacherForcingTokenSize: tokenSize },
      { rng: new Rng(2) },
    );
    expect(network.segmentable).toBe(true);
    const pos = randomArray(positions * dPos, 3);
    const tokens = randomArray(positions * tokenSize, 4);
    const checkpoint = tf.tensor1d([2], 'int32');
    const whole = await network
      .forward(
        tf.tensor2d(pos, [positions, dPos]),
        checkpoint,
        tf.tensor3d(tokens, [1, positions, tokenSize]),
      )
      .data();
    let state: PriorSegmentState | undefined;
    let worst = 0;
    for (let p = 0; p < positions; p++) {
      const previous =
        p === 0 ? new Float32Array(tokenSize) : tokens.subarray((p - 1) * tokenSize, p * tokenSize);
      const out = network.forwardWindow({
        positions: tf.tensor2d(pos.subarray(p * dPos, (p + 1) * dPos), [1, dPos]),
        checkpoint,
        offset: p,
        total: positions,
        previousTokens: tf.tensor3d(previous, [1, 1, tokenSize]),
        state,
      });
      if (state) tf.dispose(state);
      state = out.state;
      const got = await out.output.data();
      for (let j = 0; j < dModel; j++) {
        worst = Math.max(worst, Math.abs(got[j]! - whole[p * dModel + j]!));
      }
    }
    expect(worst).toBeLessThan(1e-5);
    network.dispose();
  });
});
