import {
  conv1d,
  conv2d,
  depthwiseConv2d,
  type Tensor,
  type Tensor3D,
  type Tensor4D,
  tidy,
} from '@tensorflow/tfjs-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { releaseBackend } from '../index';
import {
  backendGradients,
  CONFORMANCE_BACKENDS,
  finiteDifferenceGradients,
  randomInput,
  readAndDispose,
  relativeError,
  toTensor,
  useBackend,
} from './conformance-harness';
import { type Conv2dParams, refConv2d, type Shape } from './reference-ops';

const FORWARD_TOLERANCE = 1e-5;
const GRADIENT_TOLERANCE = 1e-4;

interface ConvCase {
  name: string;
  xShape: Shape;
  wShape: Shape;
  params: Conv2dParams;
  kind: 'conv2d' | 'conv1d' | 'depthwise';
}

const CASES: ConvCase[] = [
  {
    name: 'conv2d 3×3 same',
    kind: 'conv2d',
    xShape: [2, 6, 5, 3],
    wShape: [3, 3, 3, 4],
    params: { strides: [1, 1], pad: 'same' },
  },
  {
    name: 'conv2d 3×3 stride 2 valid',
    kind: 'conv2d',
    xShape: [2, 7, 7, 2],
    wShape: [3, 3, 2, 3],
    params: { strides: [2, 2], pad: 'valid' },
  },
  {
    name: 'conv2d 2×4 stride 2 same',
    kind: 'conv2d',
    xShape: [1, 6, 8, 3],
    wShape: [2, 4, 3, 2],
    params: { strides: [2, 2], pad: 'same' },
  },
  {
    name: 'conv1d k7 same (RPG token denoiser)',
    kind: 'conv1d',
    xShape: [2, 1, 16, 2],
    wShape: [1, 7, 2, 3],
    params: { strides: [1, 1], pad: 'same' },
  },
  {
    name: 'conv1d k4 stride 2 valid (p-diff encoder)',
    kind: 'conv1d',
    xShape: [2, 1, 13, 3],
    wShape: [1, 4, 3, 2],
    params: { strides: [1, 2], pad: 'valid' },
  },
  {
    name: 'depthwise 3×3 multiplier 2',
    kind: 'depthwise',
    xShape: [2, 5, 5, 3],
    wShape: [3, 3, 3, 2],
    params: { strides: [1, 1], pad: 'same' },
  },
  // Mamba's causal conv: a left-padded sequence through a 1×4 depthwise filter, 'valid'.
  // (tfjs has no gradient for dilated convolutions, so none is tested.)
  {
    name: 'depthwise 1×4 valid (causal conv)',
    kind: 'depthwise',
    xShape: [2, 1, 9, 4],
    wShape: [1, 4, 4, 1],
    params: { strides: [1, 1], pad: 'valid' },
  },
];

/** The tfjs op under test, taking x and w in the reference's 4-D layouts. */
function runOp(c: ConvCase, x: Tensor, w: Tensor): Tensor {
  const { strides, pad, dilations = [1, 1] } = c.params;
  if (c.kind === 'conv1d') {
    // conv1d takes x [N, W, C] and w [k, Ci, Co]; the reference sees them with H = 1.
    const x3 = x.reshape([c.xShape[0]!, c.xShape[2]!, c.xShape[3]!]) as Tensor3D;
    const w3 = w.reshape([c.wShape[1]!, c.wShape[2]!, c.wShape[3]!]) as Tensor3D;
    const y = conv1d(x3, w3, strides[1], pad, 'NWC', dilations[1]);
    return y.reshape([y.shape[0], 1, y.shape[1], y.shape[2]]);
  }
  if (c.kind === 'depthwise') {
    return depthwiseConv2d(x as Tensor4D, w as Tensor4D, strides, pad, 'NHWC', dilations);
  }
  return conv2d(x as Tensor4D, w as Tensor4D, strides, pad, 'NHWC', dilations);
}

afterAll(releaseBackend);

describe.each(CONFORMANCE_BACKENDS)('convolutions on %s', (backend) => {
  let available = false;
  beforeAll(async () => {
    available = await useBackend(backend);
  });

  describe.each(CASES)('$name', (c) => {
    const x = randomInput(c.xShape, 31);
    const w = randomInput(c.wShape, 32);
    const reference = (xs: Float64Array, ws: Float64Array) =>
      refConv2d(xs, c.xShape, ws, c.wShape, c.params, c.kind === 'depthwise');
    const expected = reference(x, w);

    it('forward matches float64', async (ctx) => {
      if (!available) return ctx.skip();
      const got = await readAndDispose(
        tidy(() => runOp(c, toTensor(x, c.xShape), toTensor(w, c.wShape))),
      );
      expect(relativeError(got, expected.out)).toBeLessThan(FORWARD_TOLERANCE);
    });

    it('input and filter gradients match finite differences', async (ctx) => {
      if (!available) return ctx.skip();
      const cotangent = randomInput(expected.shape, 33);
      const got = await backendGradients(
        (xt, wt) => runOp(c, xt, wt),
        [
          { values: x, shape: c.xShape },
          { values: w, shape: c.wShape },
        ],
        cotangent,
        expected.shape,
      );
      const want = finiteDifferenceGradients((xs, ws) => reference(xs, ws).out, [x, w], cotangent);
      expect(relativeError(got[0]!, want[0]!)).toBeLessThan(GRADIENT_TOLERANCE);
      expect(relativeError(got[1]!, want[1]!)).toBeLessThan(GRADIENT_TOLERANCE);
    });
  });
});
