import {
  add,
  batchNorm,
  moments,
  mul,
  reshape,
  rsqrt,
  sub,
  type Tensor,
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
import {
  refBatchNormInference,
  refBatchNormTrain,
  refGroupNorm,
  refLayerNorm,
  type Shape,
} from './reference-ops';

const FORWARD_TOLERANCE = 1e-5;
const GRADIENT_TOLERANCE = 2e-4;
const EPS = 1e-5;

// The normalisations as @pgen/nn composes them from tfjs ops (channels last).
function batchNormTrain(x: Tensor, gamma: Tensor, beta: Tensor): Tensor {
  const axes = [...Array(x.rank - 1).keys()];
  const { mean, variance } = moments(x, axes);
  return batchNorm(x, mean, variance, beta, gamma, EPS);
}

function layerNorm(x: Tensor, gamma: Tensor, beta: Tensor): Tensor {
  const { mean, variance } = moments(x, -1, true);
  return add(mul(mul(sub(x, mean), rsqrt(add(variance, EPS))), gamma), beta);
}

function groupNorm(x: Tensor, gamma: Tensor, beta: Tensor, groups: number): Tensor {
  const [n, ...rest] = x.shape;
  const c = rest[rest.length - 1]!;
  const grouped = reshape(x, [n!, -1, groups, c / groups]);
  const { mean, variance } = moments(grouped, [1, 3], true);
  const normalized = mul(sub(grouped, mean), rsqrt(add(variance, EPS)));
  return add(mul(reshape(normalized, x.shape), gamma), beta);
}

interface NormCase {
  name: string;
  xShape: Shape;
  run: (x: Tensor, gamma: Tensor, beta: Tensor) => Tensor;
  reference: (x: Float64Array, gamma: Float64Array, beta: Float64Array) => Float64Array;
}

const CASES: NormCase[] = [
  {
    name: 'batch norm, training statistics (BatchNorm2d)',
    xShape: [4, 3, 3, 5],
    run: batchNormTrain,
    reference: (x, g, b) => refBatchNormTrain(x, 5, g, b, EPS),
  },
  {
    name: 'batch norm, training statistics (BatchNorm1d)',
    xShape: [6, 4],
    run: batchNormTrain,
    reference: (x, g, b) => refBatchNormTrain(x, 4, g, b, EPS),
  },
  {
    name: 'layer norm',
    xShape: [3, 4, 8],
    run: layerNorm,
    reference: (x, g, b) => refLayerNorm(x, 8, g, b, EPS),
  },
  {
    name: 'group norm (4 groups of 2)',
    xShape: [2, 3, 3, 8],
    run: (x, g, b) => groupNorm(x, g, b, 4),
    reference: (x, g, b) => refGroupNorm(x, [2, 3, 3, 8], 4, g, b, EPS),
  },
];

afterAll(releaseBackend);

describe.each(CONFORMANCE_BACKENDS)('normalisations on %s', (backend) => {
  let available = false;
  beforeAll(async () => {
    available = await useBackend(backend);
  });

  describe.each(CASES)('$name', (c) => {
    const channels = c.xShape[c.xShape.length - 1]!;
    const x = randomInput(c.xShape, 41, 2);
    const gamma = randomInput([channels], 42);
    const beta = randomInput([channels], 43);

    it('forward matches float64', async (ctx) => {
      if (!available) return ctx.skip();
      const got = await readAndDispose(
        tidy(() =>
          c.run(toTensor(x, c.xShape), toTensor(gamma, [channels]), toTensor(beta, [channels])),
        ),
      );
      expect(relativeError(got, c.reference(x, gamma, beta))).toBeLessThan(FORWARD_TOLERANCE);
    });

    it('gradients for x, scale and shift match finite differences', async (ctx) => {
      if (!available) return ctx.skip();
      const cotangent = randomInput(c.xShape, 44);
      const got = await backendGradients(
        c.run,
        [
          { values: x, shape: c.xShape },
          { values: gamma, shape: [channels] },
          { values: beta, shape: [channels] },
        ],
        cotangent,
        c.xShape,
      );
      const want = finiteDifferenceGradients(c.reference, [x, gamma, beta], cotangent);
      for (let i = 0; i < 3; i++) {
        expect(relativeError(got[i]!, want[i]!)).toBeLessThan(GRADIENT_TOLERANCE);
      }
    });
  });

  it('batch norm with running statistics (eval mode) matches float64', async (ctx) => {
    if (!available) return ctx.skip();
    const shape = [3, 4, 4, 6];
    const x = randomInput(shape, 51, 3);
    const mean = randomInput([6], 52);
    const variance = randomInput([6], 53).map((v) => Math.fround(Math.abs(v) + 0.1));
    const gamma = randomInput([6], 54);
    const beta = randomInput([6], 55);
    const got = await readAndDispose(
      tidy(() =>
        batchNorm(
          toTensor(x, shape),
          toTensor(mean, [6]),
          toTensor(variance, [6]),
          toTensor(beta, [6]),
          toTensor(gamma, [6]),
          EPS,
        ),
      ),
    );
    const want = refBatchNormInference(x, 6, mean, variance, gamma, beta, EPS);
    expect(relativeError(got, want)).toBeLessThan(FORWARD_TOLERANCE);
  });
});
