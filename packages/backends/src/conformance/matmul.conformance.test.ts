import { matMul, type Tensor, tidy } from '@tensorflow/tfjs-core';
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
import { refMatMul, type Shape } from './reference-ops';

const FORWARD_TOLERANCE = 1e-5;
const GRADIENT_TOLERANCE = 1e-4;

const FLAGS: [boolean, boolean][] = [
  [false, false],
  [true, false],
  [false, true],
  [true, true],
];

/** Operand shapes for a [batch] m×k by k×n product under the given transpose flags. */
function operandShapes(batch: number[], m: number, k: number, n: number, tA: boolean, tB: boolean) {
  return {
    aShape: [...batch, ...(tA ? [k, m] : [m, k])] as Shape,
    bShape: [...batch, ...(tB ? [n, k] : [k, n])] as Shape,
  };
}

afterAll(releaseBackend);

describe.each(CONFORMANCE_BACKENDS)('matMul on %s', (backend) => {
  let available = false;
  beforeAll(async () => {
    available = await useBackend(backend);
  });

  describe.each(FLAGS)('transposeA=%s transposeB=%s', (tA, tB) => {
    it.for([
      { batch: [], m: 33, k: 65, n: 17 },
      { batch: [3], m: 8, k: 16, n: 24 },
      { batch: [], m: 128, k: 96, n: 160 },
    ])('forward $batch $m×$k·$k×$n matches float64', async ({ batch, m, k, n }, ctx) => {
      if (!available) return ctx.skip();
      const { aShape, bShape } = operandShapes(batch, m, k, n, tA, tB);
      const a = randomInput(aShape, 11);
      const b = randomInput(bShape, 12);
      const got = await readAndDispose(
        tidy(() => matMul(toTensor(a, aShape), toTensor(b, bShape), tA, tB)),
      );
      expect(relativeError(got, refMatMul(a, aShape, b, bShape, tA, tB))).toBeLessThan(
        FORWARD_TOLERANCE,
      );
    });

    it('gradients match finite differences', async (ctx) => {
      if (!available) return ctx.skip();
      const { aShape, bShape } = operandShapes([2], 5, 7, 4, tA, tB);
      const a = randomInput(aShape, 21);
      const b = randomInput(bShape, 22);
      const outShape = [2, 5, 4];
      const w = randomInput(outShape, 23);
      const got = await backendGradients(
        (x: Tensor, y: Tensor) => matMul(x, y, tA, tB),
        [
          { values: a, shape: aShape },
          { values: b, shape: bShape },
        ],
        w,
        outShape,
      );
      const want = finiteDifferenceGradients(
        (x, y) => refMatMul(x, aShape, y, bShape, tA, tB),
        [a, b],
        w,
      );
      expect(relativeError(got[0]!, want[0]!)).toBeLessThan(GRADIENT_TOLERANCE);
      expect(relativeError(got[1]!, want[1]!)).toBeLessThan(GRADIENT_TOLERANCE);
    });
  });
});
