import { initBackend } from '@pgen/backends';
import { AdamW, Rng } from '@pgen/nn';
import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { LstmPrior } from './lstm-prior';
import { MambaPrior } from './mamba-prior';
import { type PriorConfig, priorFromConfig } from './prior-config';
import type { RecurrentPrior } from './recurrent-prior';
import { maxAbsDiff, randomTensor, values } from './test-support';
import { TransformerPrior } from './transformer-prior';

const [batch, positions, dIn, dModel] = [2, 7, 5, 8];

const builders: [string, (seed: number) => RecurrentPrior][] = [
  ['LstmPrior', (seed) => new LstmPrior({ dIn, dModel, numLayers: 2 }, { rng: new Rng(seed) })],
  [
    'MambaPrior',
    (seed) =>
      new MambaPrior(
        { dIn, dModel, numLayers: 2, dState: 4, chunkSize: 3 },
        { rng: new Rng(seed) },
      ),
  ],
  [
    'TransformerPrior',
    (seed) =>
      new TransformerPrior({ dIn, dModel, numLayers: 2, numHeads: 2 }, { rng: new Rng(seed) }),
  ],
];

beforeAll(async () => {
  await initBackend({ prefer: 'wasm' });
});

describe.each(builders)('%s', (name, build) => {
  it('maps [batch, positions, dIn] to [batch, positions, dModel] and refuses other widths', () => {
    const prior = build(1);
    const x = randomTensor([batch, positions, dIn], 2);
    const y = prior.forward(x);
    expect(y.shape).toEqual([batch, positions, dModel]);
    const bad = tf.zeros([batch, positions, dIn + 1]);
    expect(() => prior.forward(bad)).toThrow(new RegExp(`${name}: input has shape \\[2,7,6\\]`));
    tf.dispose([x, y, bad]);
    prior.dispose();
  });

  it('is causal: changing positions ≥ p changes no output before p', async () => {
    const prior = build(3);
    const x = randomTensor([batch, positions, dIn], 4);
    const y = await values(prior.forward(x));
    for (const p of [1, 3, 6]) {
      const changed = tf.tidy(() => {
        const noise = randomTensor([batch, positions - p, dIn], 10 + p);
        const tail = tf.add(tf.slice(x, [0, p, 0], [-1, -1, -1]), noise);
        return tf.concat([tf.slice(x, [0, 0, 0], [-1, p, -1]), tail], 1);
      });
      const out = prior.forward(changed);
      const y2 = await values(out);
      const split = p * dModel;
      const rows = (v: number[], before: boolean) =>
        Array.from({ length: batch }, (_, b) => {
          const row = v.slice(b * positions * dModel, (b + 1) * positions * dModel);
          return before ? row.slice(0, split) : row.slice(split);
        }).flat();
      expect(maxAbsDiff(rows(y2, true), rows(y, true)), `p=${p}`).toBeLessThan(1e-6);
      expect(maxAbsDiff(rows(y2, false), rows(y, false)), `p=${p}`).toBeGreaterThan(1e-3);
      tf.dispose([changed, out]);
    }
    x.dispose();
    prior.dispose();
  });

  it('trains: every parameter gets a nonzero gradient, the loss falls, no tensor leaks', async () => {
    const prior = build(5);
    const x = randomTensor([batch, positions, dIn], 6);
    const target = randomTensor([batch, positions, dModel], 7);
    const optimizer = new AdamW(prior.parameters(), { lr: 1e-2 });
    const lossFn = () => tf.losses.meanSquaredError(target, prior.forward(x)) as tf.Scalar;
    const losses: number[] = [];
    let tensorsAfterFirst = 0;
    for (let step = 0; step < 4; step++) {
      const { value, grads } = tf.variableGrads(lossFn, prior.parameters());
      if (step === 0) {
        for (const [pname, p] of prior.namedParameters()) {
          const g = grads[p.name];
          expect(g, pname).toBeDefined();
          const normTensor = tf.norm(g!);
          const norm = (await normTensor.data())[0]!;
          normTensor.dispose();
          expect(norm, pname).toBeGreaterThan(0);
        }
      }
      optimizer.applyGradients(grads);
      losses.push((await value.data())[0]!);
      tf.dispose([value, ...Object.values(grads)]);
      if (step === 0) tensorsAfterFirst = tf.memory().numTensors;
      else expect(tf.memory().numTensors).toBe(tensorsAfterFirst);
    }
    expect(losses[3]!).toBeLessThan(losses[0]!);
    tf.dispose([x, target]);
    optimizer.dispose();
    prior.dispose();
  });

  it('round-trips its config through JSON and its state dict exactly', async () => {
    const prior = build(8);
    prior.eval();
    const config = JSON.parse(JSON.stringify(prior.config)) as PriorConfig;
    expect(config.type).toBe(name);
    const copy = priorFromConfig(config, { rng: new Rng(99) }).eval();
    const x = randomTensor([batch, positions, dIn], 9);
    const before = await values(copy.forward(x));
    expect(maxAbsDiff(before, await values(prior.forward(x)))).toBeGreaterThan(0);
    copy.loadStateDict(await prior.stateDict());
    expect(await values(copy.forward(x))).toEqual(await values(prior.forward(x)));
    expect(copy.numParameters()).toBe(prior.numParameters());
    x.dispose();
    prior.dispose();
    copy.dispose();
  });
});

describe('priorFromConfig', () => {
  it('refuses unknown prior types, listing the known ones', () => {
    const bogus = { type: 'GruPrior', options: {} } as unknown as PriorConfig;
    expect(() => priorFromConfig(bogus)).toThrow(/unknown prior type "GruPrior".*LstmPrior/);
  });
});
