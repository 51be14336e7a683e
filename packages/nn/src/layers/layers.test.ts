import { initBackend } from '@pgen/backends';
import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  BatchNorm1d,
  BatchNorm2d,
  Conv1d,
  Conv2d,
  Dropout,
  Embedding,
  GroupNorm,
  LayerNorm,
  Linear,
  MultiheadAttention,
  Rng,
} from '../index';
import { randomTensor, relativeError, values } from '../test-support';

/**
 * PyTorch conv semantics in float64: weight [out, in/groups, kh, kw], input NHWC, symmetric
 * padding, cross-correlation.
 */
function referenceConv(
  x: number[],
  xShape: number[],
  weight: number[],
  wShape: number[],
  { stride = 1, pad = 0, groups = 1 } = {},
) {
  const [n, h, w, c] = xShape as [number, number, number, number];
  const [o, cg, kh, kw] = wShape as [number, number, number, number];
  const oh = Math.floor((h + 2 * pad - kh) / stride) + 1;
  const ow = Math.floor((w + 2 * pad - kw) / stride) + 1;
  const out: number[] = [];
  const outPerGroup = o / groups;
  for (let b = 0; b < n; b++)
    for (let i = 0; i < oh; i++)
      for (let j = 0; j < ow; j++)
        for (let oc = 0; oc < o; oc++) {
          const g = Math.floor(oc / outPerGroup);
          let acc = 0;
          for (let ci = 0; ci < cg; ci++)
            for (let p = 0; p < kh; p++)
              for (let q = 0; q < kw; q++) {
                const y = i * stride + p - pad;
                const z = j * stride + q - pad;
                if (y < 0 || y >= h || z < 0 || z >= w) continue;
                acc +=
                  x[((b * h! + y) * w! + z) * c! + g * cg! + ci]! *
                  weight[((oc * cg! + ci) * kh! + p) * kw! + q]!;
              }
          out.push(acc);
        }
  return out;
}

beforeAll(async () => {
  await initBackend({ prefer: 'cpu' });
});

describe('Linear', () => {
  it('in eval mode gives the same outputs, follows reassigned weights and still has gradients', async () => {
    const layer = new Linear(5, 3, { rng: new Rng(4) });
    const x = randomTensor([2, 5], 5);
    const trained = await values(layer.forward(x));
    layer.eval();
    expect(relativeError(await values(layer.forward(x)), trained)).toBeLessThan(1e-6);
    layer.weight.assign(tf.mul(layer.weight, 2));
    const doubled = await values(layer.forward(x));
    layer.train();
    expect(relativeError(doubled, await values(layer.forward(x)))).toBeLessThan(1e-6);
    layer.eval();
    const { grads } = tf.variableGrads(() => tf.sum(layer.forward(x)) as tf.Scalar, [layer.weight]);
    expect(await values(tf.sum(tf.abs(grads[layer.weight.name]!)))).not.toEqual([0]);
    layer.dispose();
  });

  it('computes x·Wᵀ + b with weight [out, in] over any leading axes', async () => {
    const layer = new Linear(3, 2, { rng: new Rng(1) });
    const x = randomTensor([2, 4, 3], 2);
    const [xs, w, b] = [await values(x), await values(layer.weight), await values(layer.bias!)];
    const want: number[] = [];
    for (let r = 0; r < 8; r++)
      for (let o = 0; o < 2; o++)
        want.push(
          b[o]! +
            w[o * 3]! * xs[r * 3]! +
            w[o * 3 + 1]! * xs[r * 3 + 1]! +
            w[o * 3 + 2]! * xs[r * 3 + 2]!,
        );
    const y = layer.forward(x);
    expect(y.shape).toEqual([2, 4, 2]);
    expect(relativeError(await values(y), want)).toBeLessThan(1e-6);
    for (const v of w) expect(Math.abs(v)).toBeLessThanOrEqual(1 / Math.sqrt(3));
    layer.dispose();
  });
});

describe('Conv2d and Conv1d with PyTorch weights', () => {
  it.for([
    { name: 'padding 1', opts: { padding: 1 }, ref: { pad: 1 }, cin: 3, cout: 4 },
    { name: 'stride 2, no padding', opts: { stride: 2 }, ref: { stride: 2 }, cin: 2, cout: 3 },
    {
      name: 'depthwise (groups = in)',
      opts: { padding: 1, groups: 3 },
      ref: { pad: 1, groups: 3 },
      cin: 3,
      cout: 6,
    },
  ])('Conv2d $name matches a float64 reference', async ({ opts, ref, cin, cout }) => {
    const conv = new Conv2d(cin, cout, 3, { ...opts, rng: new Rng(3) });
    const x = randomTensor([2, 6, 5, cin], 4);
    const want = referenceConv(
      await values(x),
      x.shape,
      await values(conv.weight),
      conv.weight.shape,
      ref,
    );
    const bias = await values(conv.bias!);
    const got = await values(conv.forward(x));
    expect(
      relativeError(
        got,
        want.map((v, i) => v + bias[i % cout]!),
      ),
    ).toBeLessThan(1e-5);
    conv.dispose();
  });

  it('Conv1d with causal padding [k−1, 0] never looks ahead', async () => {
    const conv = new Conv1d(2, 3, 4, { padding: [3, 0], rng: new Rng(5) });
    const x = randomTensor([1, 10, 2], 6);
    const y1 = await values(conv.forward(x));
    const changed = tf.concat([tf.slice(x, [0, 0, 0], [1, 6, 2]), tf.fill([1, 4, 2], 9)], 1);
    const y2 = await values(conv.forward(changed));
    expect(y2.slice(0, 6 * 3)).toEqual(y1.slice(0, 6 * 3));
    expect(y2.slice(6 * 3)).not.toEqual(y1.slice(6 * 3));
    expect(conv.weight.shape).toEqual([3, 2, 4]);
    conv.dispose();
  });

  it('Conv1d matches Conv2d of height 1 with the same weights', async () => {
    const c1 = new Conv1d(3, 2, 5, { padding: 2, rng: new Rng(7) });
    const c2 = new Conv2d(3, 2, [1, 5], { padding: [0, 2], rng: new Rng(8) });
    c2.loadStateDict(
      new Map([
        [
          'weight',
          { dtype: 'F32', shape: [2, 3, 1, 5], data: Float32Array.from(await values(c1.weight)) },
        ],
        ['bias', { dtype: 'F32', shape: [2], data: Float32Array.from(await values(c1.bias!)) }],
      ]),
    );
    const x = randomTensor([2, 9, 3], 9);
    expect(await values(c1.forward(x))).toEqual(
      await values(c2.forward(tf.reshape(x, [2, 1, 9, 3]))),
    );
    c1.dispose();
    c2.dispose();
  });

  it('refuses group counts tfjs cannot run', () => {
    expect(() => new Conv2d(4, 4, 3, { groups: 2 })).toThrow(/groups=2 is not supported/);
  });
});

describe('normalisations', () => {
  it('BatchNorm2d trains on batch statistics and keeps PyTorch running statistics', async () => {
    const bn = new BatchNorm2d(2, { momentum: 0.1 });
    const x = randomTensor([3, 2, 2, 2], 10, 3);
    const xs = await values(x);
    const y = await values(bn.forward(x));
    for (let c = 0; c < 2; c++) {
      const col = xs.filter((_, i) => i % 2 === c);
      const mean = col.reduce((a, b) => a + b) / col.length;
      const biased = col.reduce((a, b) => a + (b - mean) ** 2, 0) / col.length;
      const unbiased = (biased * col.length) / (col.length - 1);
      const ys = y.filter((_, i) => i % 2 === c);
      ys.forEach((v, i) => {
        expect(v).toBeCloseTo((col[i]! - mean) / Math.sqrt(biased + 1e-5), 4);
      });
      expect((await values(bn.runningMean!))[c]).toBeCloseTo(0.1 * mean, 5);
      expect((await values(bn.runningVar!))[c]).toBeCloseTo(0.9 + 0.1 * unbiased, 5);
    }
    expect(await values(bn.numBatchesTracked!)).toEqual([1]);
    bn.eval();
    const rm = await values(bn.runningMean!);
    const rv = await values(bn.runningVar!);
    const evalOut = await values(bn.forward(x));
    evalOut.forEach((v, i) => {
      expect(v).toBeCloseTo((xs[i]! - rm[i % 2]!) / Math.sqrt(rv[i % 2]! + 1e-5), 4);
    });
    expect(await values(bn.numBatchesTracked!)).toEqual([1]);
    bn.dispose();
  });

  it('BatchNorm1d refuses a batch of one in training, as PyTorch does', () => {
    const bn = new BatchNorm1d(3);
    expect(() => bn.forward(tf.ones([1, 3]))).toThrow(/more than one value per channel/);
    bn.dispose();
  });

  it('LayerNorm and GroupNorm normalise the right elements', async () => {
    const ln = new LayerNorm(4);
    const x = randomTensor([2, 3, 4], 11, 2);
    const y = await values(ln.forward(x));
    for (let r = 0; r < 6; r++) {
      const row = y.slice(r * 4, r * 4 + 4);
      expect(row.reduce((a, b) => a + b) / 4).toBeCloseTo(0, 5);
      expect(row.reduce((a, b) => a + b * b, 0) / 4).toBeCloseTo(1, 3);
    }
    const gn = new GroupNorm(2, 4);
    const img = randomTensor([2, 3, 3, 4], 12, 2);
    const g = await values(gn.forward(img));
    for (let n = 0; n < 2; n++)
      for (let group = 0; group < 2; group++) {
        const members = g.filter(
          (_, i) => Math.floor(i / 36) === n && Math.floor((i % 4) / 2) === group,
        );
        expect(members).toHaveLength(18);
        expect(members.reduce((a, b) => a + b) / 18).toBeCloseTo(0, 5);
        expect(members.reduce((a, b) => a + b * b, 0) / 18).toBeCloseTo(1, 3);
      }
    ln.dispose();
    gn.dispose();
  });
});

describe('Embedding and Dropout', () => {
  it('Embedding looks rows up for any index shape', async () => {
    const emb = new Embedding(5, 3, { rng: new Rng(13) });
    const table = await values(emb.weight);
    const y = emb.forward(
      tf.tensor2d(
        [
          [4, 0],
          [2, 4],
        ],
        [2, 2],
        'int32',
      ),
    );
    expect(y.shape).toEqual([2, 2, 3]);
    expect(await values(y)).toEqual([
      ...table.slice(12, 15),
      ...table.slice(0, 3),
      ...table.slice(6, 9),
      ...table.slice(12, 15),
    ]);
    emb.dispose();
  });

  it('Dropout keeps about 1−p of the values, scaled by 1/(1−p), and is the identity in eval', async () => {
    const drop = new Dropout(0.25, { rng: new Rng(14) });
    const y = await values(drop.forward(tf.ones([4000])));
    const kept = y.filter((v) => v !== 0);
    expect(kept.length / 4000).toBeGreaterThan(0.72);
    expect(kept.length / 4000).toBeLessThan(0.78);
    for (const v of kept) expect(v).toBeCloseTo(1 / 0.75, 5);
    drop.eval();
    expect(await values(drop.forward(tf.ones([5])))).toEqual([1, 1, 1, 1, 1]);
  });
});

describe('MultiheadAttention', () => {
  it('matches a per-head float64 computation with PyTorch parameter names', async () => {
    const mha = new MultiheadAttention(4, 2, { rng: new Rng(15) });
    expect(mha.namedParameters().map(([n]) => n)).toEqual([
      'in_proj_weight',
      'in_proj_bias',
      'out_proj.weight',
      'out_proj.bias',
    ]);
    const bias = randomTensor([12], 16);
    mha.inProjBias!.assign(bias);
    const x = randomTensor([1, 3, 4], 17);
    const [xs, w, b, ow, ob] = await Promise.all(
      [x, mha.inProjWeight, bias, mha.outProj.weight, mha.outProj.bias!].map(values),
    );
    const proj = (t: number, which: number) =>
      Array.from(
        { length: 4 },
        (_, o) =>
          b![which * 4 + o]! +
          [0, 1, 2, 3].reduce((s, i) => s + w![(which * 4 + o) * 4 + i]! * xs![t * 4 + i]!, 0),
      );
    const merged: number[][] = [[], [], []];
    for (let head = 0; head < 2; head++) {
      for (let t = 0; t < 3; t++) {
        const q = proj(t, 0).slice(head * 2, head * 2 + 2);
        const scores = [0, 1, 2].map((s) => {
          const k = proj(s, 1).slice(head * 2, head * 2 + 2);
          return (q[0]! * k[0]! + q[1]! * k[1]!) / Math.sqrt(2);
        });
        const max = Math.max(...scores);
        const e = scores.map((s) => Math.exp(s - max));
        const z = e.reduce((a, c) => a + c);
        for (let d = 0; d < 2; d++)
          merged[t]!.push(
            [0, 1, 2].reduce((s, u) => s + (e[u]! / z) * proj(u, 2)[head * 2 + d]!, 0),
          );
      }
    }
    const want = merged.flatMap((row) =>
      Array.from(
        { length: 4 },
        (_, o) => ob![o]! + row.reduce((s, v, i) => s + ow![o * 4 + i]! * v, 0),
      ),
    );
    expect(relativeError(await values(mha.forward(x)), want)).toBeLessThan(1e-5);
    mha.dispose();
  });

  it('causal attention ignores later positions', async () => {
    const mha = new MultiheadAttention(4, 2, { rng: new Rng(18) });
    const x = randomTensor([1, 5, 4], 19);
    const changed = tf.concat([tf.slice(x, [0, 0, 0], [1, 3, 4]), tf.fill([1, 2, 4], 5)], 1);
    const a = await values(mha.forward(x, x, x, { causal: true }));
    const b = await values(mha.forward(changed, changed, changed, { causal: true }));
    expect(relativeError(b.slice(0, 12), a.slice(0, 12))).toBeLessThan(1e-6);
    expect(b.slice(12)).not.toEqual(a.slice(12));
    mha.dispose();
  });
});

describe('activation modules', () => {
  it('keep PyTorch child indices in a Sequential and compute their functions', async () => {
    const { Sequential, SiLU, ELU } = await import('../index');
    const seq = new Sequential(
      new Linear(2, 2, { rng: new Rng(1) }),
      new SiLU(),
      new Linear(2, 1, { rng: new Rng(2) }),
    );
    expect(seq.namedParameters().map(([n]) => n)).toEqual([
      '0.weight',
      '0.bias',
      '2.weight',
      '2.bias',
    ]);
    const x = tf.tensor([-1, 0, 2]);
    const silu = await values(new SiLU().forward(x));
    expect(silu.map((v) => Number(v.toFixed(5)))).toEqual([-0.26894, 0, 1.76159]);
    const elu = await values(new ELU().forward(x));
    expect(elu[0]).toBeCloseTo(Math.expm1(-1), 5);
    seq.dispose();
  });
});
