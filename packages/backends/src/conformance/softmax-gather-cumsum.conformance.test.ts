import { addN, cumsum, gather, softmax, type Tensor, tensor1d, tidy } from '@tensorflow/tfjs-core';
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
import { refCumsum, refGather, refSoftmax } from './reference-ops';

const FORWARD_TOLERANCE = 1e-5;
const GRADIENT_TOLERANCE = 1e-4;

afterAll(releaseBackend);

describe.each(CONFORMANCE_BACKENDS)('softmax, gather and cumsum on %s', (backend) => {
  let available = false;
  beforeAll(async () => {
    available = await useBackend(backend);
  });

  it('softmax over the last axis: forward and gradient', async (ctx) => {
    if (!available) return ctx.skip();
    const shape = [4, 3, 10];
    const x = randomInput(shape, 61, 4);
    const got = await readAndDispose(tidy(() => softmax(toTensor(x, shape))));
    expect(relativeError(got, refSoftmax(x, 10))).toBeLessThan(FORWARD_TOLERANCE);
    const w = randomInput(shape, 62);
    const [g] = await backendGradients((t: Tensor) => softmax(t), [{ values: x, shape }], w, shape);
    const [want] = finiteDifferenceGradients((v) => refSoftmax(v, 10), [x], w);
    expect(relativeError(g!, want!)).toBeLessThan(GRADIENT_TOLERANCE);
  });

  it('gather rows (an embedding lookup), repeated indices: forward and gradient', async (ctx) => {
    if (!available) return ctx.skip();
    const table = [7, 5];
    const x = randomInput(table, 63);
    const indices = [3, 0, 3, 6, 1, 3, 6];
    const outShape = [indices.length, 5];
    const run = (t: Tensor) => gather(t, tensor1d(indices, 'int32'), 0);
    const got = await readAndDispose(tidy(() => run(toTensor(x, table))));
    expect(relativeError(got, refGather(x, 5, indices))).toBeLessThan(FORWARD_TOLERANCE);
    // The gradient of gather is UnsortedSegmentSum, which pgen adds to wasm.
    const w = randomInput(outShape, 64);
    const [g] = await backendGradients(run, [{ values: x, shape: table }], w, outShape);
    const [want] = finiteDifferenceGradients((v) => refGather(v, 5, indices), [x], w);
    expect(relativeError(g!, want!)).toBeLessThan(GRADIENT_TOLERANCE);
  });

  it.for([
    { axis: 1, exclusive: false, reverse: false },
    { axis: 1, exclusive: true, reverse: false },
    { axis: 0, exclusive: false, reverse: true },
    { axis: 2, exclusive: true, reverse: true },
  ])(
    'cumsum axis $axis exclusive=$exclusive reverse=$reverse: forward and gradient',
    async (p, ctx) => {
      if (!available) return ctx.skip();
      const shape = [3, 6, 4];
      const x = randomInput(shape, 65);
      const run = (t: Tensor) => cumsum(t, p.axis, p.exclusive, p.reverse);
      const reference = (v: Float64Array) => refCumsum(v, shape, p.axis, p.exclusive, p.reverse);
      const got = await readAndDispose(tidy(() => run(toTensor(x, shape))));
      expect(relativeError(got, reference(x))).toBeLessThan(FORWARD_TOLERANCE);
      const w = randomInput(shape, 66);
      const [g] = await backendGradients(run, [{ values: x, shape }], w, shape);
      const [want] = finiteDifferenceGradients(reference, [x], w);
      expect(relativeError(g!, want!)).toBeLessThan(GRADIENT_TOLERANCE);
    },
  );

  it.for([2, 7, 8, 29])(
    'addN of %i tensors (a gradient-norm sum over a model) matches float64',
    async (count, ctx) => {
      if (!available) return ctx.skip();
      const shape = [3, 5];
      const terms = Array.from({ length: count }, (_, i) => randomInput(shape, 200 + i));
      const got = await readAndDispose(tidy(() => addN(terms.map((t) => toTensor(t, shape)))));
      const want = new Float64Array(15);
      for (const t of terms)
        t.forEach((v, i) => {
          want[i]! += v;
        });
      expect(relativeError(got, want)).toBeLessThan(FORWARD_TOLERANCE);
    },
  );
});
