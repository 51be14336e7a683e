import { initBackend } from '@pgen/backends';
import { Rng } from '@pgen/nn';
import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { PriorInput, type PriorInputParts } from './prior-input';
import { maxAbsDiff, randomTensor, relativeError, values } from './test-support';

const [batch, positions, dIn, dPos, dCond, tokenSize] = [2, 6, 5, 4, 3, 7];

function build(extra: { condLastK?: number } = {}): PriorInput {
  return new PriorInput(
    { dIn, dPos, dCond, numCheckpoints: 4, permutationDim: 3, tokenSize, ...extra },
    { rng: new Rng(1) },
  );
}

function parts(seed: number): PriorInputParts {
  return {
    positions: randomTensor([positions, dPos], seed),
    condition: randomTensor([batch, dCond], seed + 1),
    checkpoint: tf.tensor1d([3, 1], 'int32'),
    tokens: randomTensor([batch, positions, tokenSize], seed + 2),
  };
}

/** Which positions (of every row) differ between two [batch, positions, dIn] outputs. */
async function changedPositions(a: tf.Tensor, b: tf.Tensor): Promise<number[]> {
  const [va, vb] = [await values(a), await values(b)];
  const out: number[] = [];
  for (let p = 0; p < positions; p++) {
    const pick = (v: number[]) =>
      Array.from({ length: batch }, (_, r) =>
        v.slice((r * positions + p) * dIn, (r * positions + p + 1) * dIn),
      ).flat();
    if (maxAbsDiff(pick(va), pick(vb)) > 1e-6) out.push(p);
  }
  return out;
}

beforeAll(async () => {
  await initBackend({ prefer: 'wasm' });
});

describe('PriorInput', () => {
  it('names its parts and sums their projections', async () => {
    const input = build();
    // A module's own parameters come before its children's, as in PyTorch.
    expect([...(await input.stateDict()).keys()]).toEqual([
      'start_token',
      'pos_proj.weight',
      'pos_proj.bias',
      'cond_proj.weight',
      'cond_proj.bias',
      'perm_embed.weight',
      'perm_proj.weight',
      'perm_proj.bias',
      'token_proj.weight',
      'token_proj.bias',
    ]);
    const p = parts(10);
    const x = input.forward(p);
    expect(x.shape).toEqual([batch, positions, dIn]);
    const want = tf.tidy(() => {
      const pos = tf.expandDims(input.posProj.forward(p.positions), 0);
      const cond = tf.expandDims(input.condProj!.forward(p.condition!), 1);
      const perm = tf.expandDims(
        input.permProj!.forward(input.permEmbed!.forward(p.checkpoint!)),
        1,
      );
      const start = tf.tile(tf.reshape(input.startToken!, [1, 1, tokenSize]), [batch, 1, 1]);
      const shifted = tf.concat(
        [start, tf.slice(p.tokens!, [0, 0, 0], [-1, positions - 1, -1])],
        1,
      );
      return tf.addN([
        tf.broadcastTo(pos, [batch, positions, dIn]),
        tf.broadcastTo(cond, [batch, positions, dIn]),
        tf.broadcastTo(perm, [batch, positions, dIn]),
        input.tokenProj!.forward(shifted),
      ]);
    });
    expect(relativeError(await values(x), await values(want))).toBeLessThan(1e-6);
    input.dispose();
  });

  it('feeds token p − 1 to position p, and the learned start token to position 0', async () => {
    const input = build();
    const p = parts(20);
    const base = input.forward(p);
    const tokens = tf.tidy(() => {
      const bump = tf.reshape(tf.oneHot(tf.tensor1d([2], 'int32'), positions), [1, positions, 1]);
      return tf.add(p.tokens!, bump);
    });
    expect(await changedPositions(base, input.forward({ ...p, tokens }))).toEqual([3]);
    input.startToken!.assign(tf.add(input.startToken!, 1));
    expect(await changedPositions(base, input.forward(p))).toEqual([0]);
    input.dispose();
  });

  it('adds the condition everywhere, or only at the last k positions', async () => {
    const p = parts(30);
    const other = { ...p, condition: randomTensor([batch, dCond], 99) };
    const everywhere = build();
    expect(await changedPositions(everywhere.forward(p), everywhere.forward(other))).toEqual([
      0, 1, 2, 3, 4, 5,
    ]);
    const lastTwo = build({ condLastK: 2 });
    expect(await changedPositions(lastTwo.forward(p), lastTwo.forward(other))).toEqual([4, 5]);
    everywhere.dispose();
    lastTwo.dispose();
  });

  it('computes any window of the sequence from offset, total and the previous tokens', async () => {
    const input = build({ condLastK: 3 });
    const p = parts(40);
    const whole = await values(input.forward(p));
    const rowsOf = (v: number[], from: number, count: number, n: number) =>
      Array.from({ length: batch }, (_, r) =>
        v.slice((r * n + from) * dIn, (r * n + from + count) * dIn),
      ).flat();
    for (const [offset, count] of [
      [0, 1],
      [0, 4],
      [2, 3],
      [5, 1],
    ] as const) {
      const previousTokens = tf.tidy(() => {
        // Row i holds token offset + i − 1; at absolute 0 anything (the start token wins).
        const from = Math.max(0, offset - 1);
        const shifted = tf.slice(p.tokens!, [0, from, 0], [-1, count - (offset === 0 ? 1 : 0), -1]);
        return offset === 0 ? tf.concat([tf.fill([batch, 1, tokenSize], 7), shifted], 1) : shifted;
      });
      const window = input.forward({
        ...p,
        tokens: undefined,
        previousTokens,
        positions: tf.slice(p.positions, [offset, 0], [count, -1]),
        offset,
        total: positions,
      });
      expect(
        maxAbsDiff(await values(window), rowsOf(whole, offset, count, positions)),
      ).toBeLessThan(1e-6);
    }
    expect(() => input.forward({ ...p, offset: 2, total: 5 })).toThrow(/total \(5\) is below/);
    input.dispose();
  });

  it('gives each zoo checkpoint its own permutation state, and samples them for generation', async () => {
    const input = build();
    const p = parts(40);
    const same = { ...p, checkpoint: tf.tensor1d([1, 1], 'int32') };
    const x = await values(
      input.forward({
        ...same,
        condition: tf.tile(tf.slice(p.condition!, 0, 1), [2, 1]),
        tokens: tf.tile(tf.slice(p.tokens!, 0, 1), [2, 1, 1]),
      }),
    );
    const half = positions * dIn;
    expect(x.slice(0, half)).toEqual(x.slice(half));
    expect(await changedPositions(input.forward(p), input.forward(same))).toEqual([
      0, 1, 2, 3, 4, 5,
    ]);
    const picks = await values(input.randomCheckpoints(64, new Rng(3)));
    expect(new Set(picks)).toEqual(new Set([0, 1, 2, 3]));
    input.dispose();
  });

  it('gets gradients into every parameter', async () => {
    const input = build();
    const p = parts(50);
    const { value, grads } = tf.variableGrads(
      () => tf.sum(tf.square(input.forward(p))) as tf.Scalar,
      input.parameters(),
    );
    for (const [name, v] of input.namedParameters()) {
      expect(Math.max(...(await values(tf.abs(grads[v.name]!)))), name).toBeGreaterThan(0);
    }
    tf.dispose([value, ...Object.values(grads)]);
    input.dispose();
  });

  it('refuses missing, unexpected and disagreeing parts in one error', () => {
    const input = build();
    const p = parts(60);
    expect(() =>
      input.forward({
        positions: p.positions,
        tokens: tf.zeros([3, positions, tokenSize]),
        checkpoint: p.checkpoint,
      }),
    ).toThrow(/condition is required.*disagree on the batch size/);
    const bare = new PriorInput({ dIn, dPos });
    expect(() => bare.forward({ positions: p.positions })).toThrow(/batch is required/);
    expect(() => bare.forward({ positions: p.positions, condition: p.condition })).toThrow(
      /condition was given but the builder has no condition part/,
    );
    expect(bare.forward({ positions: p.positions, batch: 3 }).shape).toEqual([3, positions, dIn]);
    input.dispose();
    bare.dispose();
  });
});
