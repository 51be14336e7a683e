import { initBackend } from '@pgen/backends';
import {
  grad,
  memory,
  scalar,
  type Tensor,
  tensor,
  tensor1d,
  tensor2d,
  tensor3d,
} from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { DdpmScheduler } from '../schedulers/ddpm-scheduler';
import { maskedMseLoss, nanPaddingMask } from './masked-mse';
import { minSnrWeights, signalToNoiseRatio } from './snr-weighting';

beforeAll(async () => {
  await initBackend({ prefer: 'cpu' });
});

describe('maskedMseLoss', () => {
  it('is the plain MSE without a mask', async () => {
    const pred = tensor2d([
      [1, 2],
      [3, 4],
    ]);
    const target = tensor2d([
      [0, 2],
      [3, 0],
    ]);
    expect(await maskedMseLoss(pred, target).data()).toEqual(new Float32Array([(1 + 16) / 4]));
  });

  it('averages over unmasked elements only; a prefix mask broadcasts over the last axes', async () => {
    // Two rows of three tokens of width 2; the last token of row 1 is padding.
    const pred = tensor3d([
      [
        [1, 1],
        [2, 2],
        [3, 3],
      ],
      [
        [1, 1],
        [1, 1],
        [9, 9],
      ],
    ]);
    const target = tensor3d([
      [
        [0, 0],
        [0, 0],
        [0, 0],
      ],
      [
        [0, 0],
        [0, 0],
        [0, 0],
      ],
    ]);
    const mask = tensor2d(
      [
        [1, 1, 1],
        [1, 1, 0],
      ],
      [2, 3],
      'bool',
    );
    const expected = (1 + 1 + 4 + 4 + 9 + 9 + 1 + 1 + 1 + 1) / 10;
    expect((await maskedMseLoss(pred, target, mask).data())[0]).toBeCloseTo(expected, 6);
    const numericMask = tensor2d([
      [1, 1, 1],
      [1, 1, 0],
    ]);
    expect((await maskedMseLoss(pred, target, numericMask).data())[0]).toBeCloseTo(expected, 6);
  });

  it("with reduction 'rows' weighs every row with data equally, however much of it is padding", async () => {
    // Row 0: one valid element, error 3; row 1: four valid elements, error 1 each; row 2: all padding.
    const pred = tensor2d([
      [3, 7, 7, 7],
      [1, 1, 1, 1],
      [5, 5, 5, 5],
    ]);
    const target = tensor2d([
      [0, 0, 0, 0],
      [0, 0, 0, 0],
      [0, 0, 0, 0],
    ]);
    const mask = tensor2d([
      [1, 0, 0, 0],
      [1, 1, 1, 1],
      [0, 0, 0, 0],
    ]);
    const rows = await maskedMseLoss(pred, target, mask, { reduction: 'rows' }).data();
    expect(rows[0]).toBeCloseTo((9 + 1) / 2, 6);
    const elements = await maskedMseLoss(pred, target, mask).data();
    expect(elements[0]).toBeCloseTo((9 + 4) / 5, 6);
    const unmasked = await maskedMseLoss(pred, target, undefined, { reduction: 'rows' }).data();
    expect(unmasked[0]).toBeCloseTo((9 + 49 * 3) / 4 / 3 + 1 / 3 + 25 / 3, 5);
    // Row weights still scale each row's mean.
    const weights = tensor1d([2, 1, 1]);
    const weighted = await maskedMseLoss(pred, target, mask, { reduction: 'rows', weights }).data();
    expect(weighted[0]).toBeCloseTo((18 + 1) / 2, 6);
  });

  it('ignores padding values, NaN included, in the value and the gradient', async () => {
    const target = tensor2d([[1, 2, Number.NaN]]);
    const mask = tensor2d([[1, 1, 0]]);
    const loss = (p: Tensor) => maskedMseLoss(p, target, mask);
    const pred = tensor2d([[0, 0, Number.NaN]]);
    expect((await loss(pred).data())[0]).toBeCloseTo(2.5, 6);
    const g = await grad(loss)(pred).data();
    expect(Array.from(g)).toEqual([-1, -2, 0]);
  });

  it('is 0 with zero gradient when everything is masked', async () => {
    const pred = tensor2d([[1, 2]]);
    const target = tensor2d([[0, 0]]);
    const mask = tensor2d([[0, 0]]);
    expect((await maskedMseLoss(pred, target, mask).data())[0]).toBe(0);
    const g = await grad((p: Tensor) => maskedMseLoss(p, target, mask))(pred).data();
    expect(Array.from(g)).toEqual([0, 0]);
  });

  it('weights rows', async () => {
    const pred = tensor2d([[1], [1]]);
    const target = tensor2d([[0], [0]]);
    const weights = tensor1d([3, 0]);
    expect((await maskedMseLoss(pred, target, undefined, { weights }).data())[0]).toBeCloseTo(
      1.5,
      6,
    );
  });

  it('rejects mismatched shapes and leaks nothing', () => {
    const a = tensor2d([[1, 2]]);
    const b = tensor2d([[1], [2]]);
    const before = memory().numTensors;
    expect(() => maskedMseLoss(a, b)).toThrow(
      /prediction has shape \[1, 2\] but target has \[2, 1\]/,
    );
    expect(() => maskedMseLoss(a, a, tensor1d([1, 1]))).toThrow(/does not match the leading axes/);
    expect(() => maskedMseLoss(a, a, undefined, { weights: scalar(1) })).toThrow(/one per row/);
    const loss = maskedMseLoss(a, a, tensor(new Float32Array([1, 0]), [1, 2]));
    loss.dispose();
    // The three tensors created inline above (two masks and the weights) are the only extras.
    expect(memory().numTensors).toBe(before + 3);
  });
});

describe('nanPaddingMask', () => {
  it('splits NaN padding into a mask and zeroed values', async () => {
    const { values, mask } = nanPaddingMask(tensor1d([1, Number.NaN, 3]));
    expect(Array.from(await values.data())).toEqual([1, 0, 3]);
    expect(Array.from(await mask.data())).toEqual([1, 0, 1]);
  });
});

describe('Min-SNR weighting', () => {
  it('caps the weight of low-noise timesteps at γ/SNR', async () => {
    const eps = new DdpmScheduler();
    const snr = signalToNoiseRatio(eps, [0, 999]);
    expect(snr[0]).toBeCloseTo(0.9999 / 1e-4, 6);
    const w = await minSnrWeights(eps, [0, 500, 999]).data();
    expect(w[0]).toBeCloseTo(5 / (snr[0] as number), 6);
    // At t = 999 the SNR is far below γ: weight 1.
    expect(w[2]).toBeCloseTo(1, 6);
    const v = await minSnrWeights(
      new DdpmScheduler({ predictionType: 'v_prediction' }),
      [999],
    ).data();
    expect(v[0]).toBeCloseTo((snr[1] as number) / ((snr[1] as number) + 1), 6);
    expect(() => minSnrWeights(eps, [0], 0)).toThrow(/gamma/);
  });
});
