import { initBackend } from '@pgen/backends';
import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  AdamW,
  BatchNorm1d,
  clipGradNorm,
  cosineWithWarmup,
  Dropout,
  Embedding,
  ExponentialMovingAverage,
  LayerNorm,
  Linear,
  Module,
  MultiheadAttention,
  Rng,
} from '../index';
import { randomTensor, relativeError, values } from '../test-support';

beforeAll(async () => {
  await initBackend({ prefer: 'cpu' });
});

describe('AdamW', () => {
  it('follows torch.optim.AdamW (decoupled decay, bias corrections) step for step', async () => {
    const p = tf.variable(tf.tensor([0.5, -1, 2]));
    const opt = new AdamW([p], { lr: 0.1, betas: [0.9, 0.99], eps: 1e-8, weightDecay: 0.1 });
    const gradients = [
      [0.3, -0.2, 1],
      [-0.1, 0.4, 0.5],
      [0.2, 0.2, -0.7],
    ];
    const theta = [0.5, -1, 2];
    const m = [0, 0, 0];
    const v = [0, 0, 0];
    gradients.forEach((g, step) => {
      const t = step + 1;
      for (let i = 0; i < 3; i++) {
        theta[i]! *= 1 - 0.1 * 0.1;
        m[i] = 0.9 * m[i]! + 0.1 * g[i]!;
        v[i] = 0.99 * v[i]! + 0.01 * g[i]! ** 2;
        const denom = Math.sqrt(v[i]!) / Math.sqrt(1 - 0.99 ** t) + 1e-8;
        theta[i]! -= ((0.1 / (1 - 0.9 ** t)) * m[i]!) / denom;
      }
      opt.applyGradients({ [p.name]: tf.tensor(g) });
    });
    expect(relativeError(await values(p), theta)).toBeLessThan(1e-6);
    expect(opt.step).toBe(3);
    opt.dispose();
    p.dispose();
  });

  it('saves and restores its state so a resumed run continues identically', async () => {
    const run = async (resumeAt?: number) => {
      const p = tf.variable(tf.tensor([1, 2]));
      let opt = new AdamW([p], { lr: 0.05 });
      for (let s = 0; s < 6; s++) {
        if (s === resumeAt) {
          const saved = await opt.stateDict();
          const restored = new AdamW([p], { lr: 0.05 });
          restored.loadStateDict(saved);
          opt.dispose();
          opt = restored;
        }
        opt
          .minimize(() => tf.sum(tf.square(tf.sub(p, tf.tensor([3, -1])))) as tf.Scalar)
          .loss.dispose();
      }
      const out = await values(p);
      opt.dispose();
      p.dispose();
      return out;
    };
    expect(await run(3)).toEqual(await run());
  });

  it('refuses optimizer state of the wrong shape', async () => {
    const a = tf.variable(tf.zeros([2]));
    const b = tf.variable(tf.zeros([3]));
    const state = await new AdamW([a]).stateDict();
    expect(() => new AdamW([b]).loadStateDict(state)).toThrow(
      /exp_avg\.0 has shape \[2\], expected \[3\]/,
    );
  });
});

describe('schedules, clipping and EMA', () => {
  it('cosine with warm-up rises linearly then decays to the floor', () => {
    const lr = cosineWithWarmup({ baseLr: 1, warmupSteps: 4, totalSteps: 14, minLr: 0.1 });
    expect([0, 1, 2, 3].map(lr)).toEqual([0.25, 0.5, 0.75, 1]);
    expect(lr(4)).toBeCloseTo(1);
    expect(lr(9)).toBeCloseTo(0.55);
    expect(lr(14)).toBeCloseTo(0.1);
    expect(lr(100)).toBeCloseTo(0.1);
  });

  it('clipGradNorm rescales to the global norm and leaves small gradients alone', async () => {
    const grads = { a: tf.tensor([3, 0]), b: tf.tensor([0, 4]) };
    const clipped = clipGradNorm(grads, 1);
    expect(await values(clipped.totalNorm)).toEqual([5]);
    expect(relativeError(await values(clipped.grads.a!), [0.6, 0])).toBeLessThan(1e-5);
    const untouched = clipGradNorm(grads, 10);
    expect(await values(untouched.grads.b!)).toEqual([0, 4]);
  });

  it('EMA averages parameters with the given decay and copies buffers', async () => {
    const layer = new Linear(1, 1, { bias: false, rng: new Rng(1) });
    layer.weight.assign(tf.tensor2d([[0]]));
    const ema = new ExponentialMovingAverage(layer, 0.9);
    layer.weight.assign(tf.tensor2d([[1]]));
    ema.update();
    ema.update();
    ema.copyTo();
    expect((await values(layer.weight))[0]).toBeCloseTo(1 - 0.81, 6);
    ema.dispose();
    layer.dispose();
  });
});

/** A model touching every layer kind, for the leak check. */
class Everything extends Module {
  readonly emb = this.addModule('emb', new Embedding(10, 8, { rng: new Rng(1) }));
  readonly attn = this.addModule('attn', new MultiheadAttention(8, 2, { rng: new Rng(2) }));
  readonly norm = this.addModule('norm', new LayerNorm(8));
  readonly bn = this.addModule('bn', new BatchNorm1d(8));
  readonly drop = this.addModule('drop', new Dropout(0.1, { rng: new Rng(3) }));
  readonly head = this.addModule('head', new Linear(8, 1, { rng: new Rng(4) }));
  forward(tokens: tf.Tensor): tf.Tensor {
    return tf.tidy(() => {
      const h = this.norm.forward(
        this.attn.forward(this.emb.forward(tokens), undefined, undefined, { causal: true }),
      );
      const pooled = this.drop.forward(this.bn.forward(tf.mean(h, 1)));
      return this.head.forward(pooled);
    });
  }
}

describe('training loop', () => {
  it('creating and disposing an optimizer and an EMA leaves no tensors behind', () => {
    const layer = new Linear(3, 2, { rng: new Rng(9) });
    const before = tf.memory().numTensors;
    const opt = new AdamW(layer.parameters());
    const ema = new ExponentialMovingAverage(layer);
    opt.dispose();
    ema.dispose();
    expect(tf.memory().numTensors).toBe(before);
    layer.dispose();
  });

  it('200 AdamW steps with clipping and EMA leak no tensors and fit the data', async () => {
    const model = new Everything();
    const opt = new AdamW(model.parameters(), { lr: 3e-3 });
    const ema = new ExponentialMovingAverage(model, 0.99);
    const rng = new Rng(6);
    const tokens = tf.tensor2d(
      Array.from({ length: 16 * 5 }, () => rng.int(10)),
      [16, 5],
      'int32',
    );
    const target = randomTensor([16, 1], 5);
    const lossFn = () => tf.losses.meanSquaredError(target, model.forward(tokens)) as tf.Scalar;
    const first = opt.minimize(lossFn, { clipNorm: 1 });
    const firstLoss = (await values(first.loss))[0]!;
    tf.dispose([first.loss, first.gradNorm!]);
    const before = tf.memory().numTensors;
    let last = Number.NaN;
    for (let step = 1; step < 200; step++) {
      const { loss, gradNorm } = opt.minimize(lossFn, { clipNorm: 1 });
      ema.update();
      if (step === 199) last = (await values(loss))[0]!;
      tf.dispose([loss, gradNorm!]);
    }
    expect(tf.memory().numTensors).toBe(before);
    expect(last).toBeLessThan(firstLoss * 0.2);
    tf.dispose([tokens, target]);
    ema.dispose();
    opt.dispose();
    model.dispose();
  });
});
