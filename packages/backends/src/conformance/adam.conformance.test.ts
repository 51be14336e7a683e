import { tidy, train, variable } from '@tensorflow/tfjs-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { releaseBackend } from '../index';
import {
  CONFORMANCE_BACKENDS,
  randomInput,
  readAndDispose,
  relativeError,
  toTensor,
  useBackend,
} from './conformance-harness';
import { type AdamParams, refAdam } from './reference-ops';

afterAll(releaseBackend);

describe.each(CONFORMANCE_BACKENDS)('Adam update on %s', (backend) => {
  let available = false;
  beforeAll(async () => {
    available = await useBackend(backend);
  });

  it('ten steps with given gradients match a float64 Adam', async (ctx) => {
    if (!available) return ctx.skip();
    const params: AdamParams = { learningRate: 0.01, beta1: 0.9, beta2: 0.999, epsilon: 1e-7 };
    const shape = [16, 8];
    const initial = randomInput(shape, 71);
    const gradients = Array.from({ length: 10 }, (_, i) => randomInput(shape, 100 + i, 0.5));
    const theta = variable(toTensor(initial, shape), true, `adam-conformance-${backend}`);
    const optimizer = train.adam(params.learningRate, params.beta1, params.beta2, params.epsilon);
    for (const g of gradients) {
      // applyGradients takes plain gradient tensors keyed by variable name despite its typing.
      tidy(() => optimizer.applyGradients({ [theta.name]: toTensor(g, shape) } as never));
    }
    const got = await readAndDispose(theta.clone());
    const want = refAdam(initial, gradients, params);
    // Compare the update, not the parameters: it is what float32 rounding acts on.
    const update = (v: ArrayLike<number>) => Float64Array.from(v, (x, i) => x - initial[i]!);
    expect(relativeError(update(got), update(want))).toBeLessThan(1e-4);
    optimizer.dispose();
    theta.dispose();
  });
});
